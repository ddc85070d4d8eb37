"""Typed errors raised inside sgharden; `cli.py` is the one place that turns them into messages.

Exit codes (documented in the README):
  0  success
  1  unexpected internal error (a bug: please report it with the traceback from --debug)
  2  usage error (click's own code for bad options)
  3  input error: a file, snapshot, bucket or account could not be read as expected
  4  partial: the command finished but something was rejected or skipped (see its summary)
  5  safety stop: the plan/change would cut off real use, drift was found, or a check failed
  6  attention: `recheck` found facts that need a person (new findings, drift, still ACTIVE,
     former real users rejected)
"""

from __future__ import annotations

import errno

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_PARTIAL = 4
EXIT_SAFETY = 5
EXIT_ATTENTION = 6


class SghardenError(Exception):
    """Base of every error the CLI reports as one line; `hint` says what to do next."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class InputError(SghardenError):
    """A source, file, snapshot, bucket or account could not be read as expected."""

    exit_code = EXIT_INPUT


class SnapshotError(InputError):
    """A snapshot file is missing or is not the output of the AWS CLI command it is named after."""


class AwsAccessError(InputError):
    """An AWS call failed for one account/region (denied, not enabled, opt-in region...)."""


class SafetyError(SghardenError):
    """Refused because going on could cut off real traffic or diverge from the evidence."""

    exit_code = EXIT_SAFETY


# errno -> what to do; these come from the machine, not from a bug in sgharden
_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free space or write elsewhere",
    errno.EDQUOT: "the disk quota is exceeded: free space or write elsewhere",
    errno.EFBIG: "the file grew past the size this process may write (ulimit -f) or the file "
    "system allows: raise the limit or write elsewhere",
    errno.EROFS: "the file system is read-only: choose another --out/--output",
    errno.EACCES: "permission denied: choose a path you can write, or fix its permissions",
    errno.EPERM: "not permitted: choose a path you can write, or fix its permissions",
    errno.ENAMETOOLONG: "a file name is too long for this file system: use a shorter path",
    errno.ENOENT: "no such file or folder: check the path",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "a folder is where a file should be: check the path",
}
CREDENTIAL_HINTS = {
    "NoCredentialsError": "no AWS credentials found: run `aws configure`, set AWS_PROFILE, or "
    "use an instance/SSO role",
    "PartialCredentialsError": "the AWS credentials are incomplete: check the profile's keys",
    "ProfileNotFound": "that AWS profile does not exist: check --profile / AWS_PROFILE against "
    "`aws configure list-profiles`",
    "NoRegionError": "no AWS region: pass --region or set AWS_REGION",
    "SSOTokenLoadError": "the SSO session has expired: run `aws sso login`",
    "TokenRetrievalError": "the SSO session has expired: run `aws sso login`",
}


def environment_fault(exc: BaseException) -> InputError | None:
    """A fault of the environment (disk, permissions, credentials) as an input error with a
    hint, or None when `exc` is not one (then it is a bug)."""
    if isinstance(exc, OSError) and exc.errno in _OS_HINTS:
        where = f"{exc.filename}: " if exc.filename else ""
        return InputError(f"{where}{exc.strerror}", hint=_OS_HINTS[exc.errno])
    name = type(exc).__name__
    if name in CREDENTIAL_HINTS:
        return InputError(str(exc), hint=CREDENTIAL_HINTS[name])
    if name == "OutOfMemoryException" and type(exc).__module__.startswith("_duckdb"):
        # DuckDB's own memory limit (workspace.py), not a bug: the user can raise it
        first = str(exc).splitlines()[0] if str(exc) else name
        return InputError(
            f"the workspace's query ran out of memory: {first}",
            hint="raise DuckDB's limit, e.g. SGHARDEN_MEMORY_LIMIT=4GB (default 1GB), "
            "or analyse fewer interfaces at once",
        )
    return None
