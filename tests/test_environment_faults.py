"""Faults of the machine or the AWS configuration are input errors with a hint (exit 3), never
"internal error"."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sgharden.cli import main
from sgharden.errors import EXIT_INPUT, environment_fault


@pytest.mark.parametrize(
    "code", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.ENAMETOOLONG, errno.EDQUOT]
)
def test_os_faults_become_input_errors_naming_the_path(code: int) -> None:
    fault = environment_fault(OSError(code, "boom", "/out/x.json"))
    assert fault is not None and fault.exit_code == EXIT_INPUT
    assert str(fault).startswith("/out/x.json: boom — ")


def test_a_bug_is_not_an_environment_fault() -> None:
    assert environment_fault(ValueError("bug")) is None
    assert environment_fault(OSError(errno.EBADF, "bad fd")) is None


def test_unknown_profile_is_exit_3_with_a_hint(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile-sgharden")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    result = CliRunner().invoke(main, ["collect", "--out", str(tmp_path), "--region", "eu-west-1"])
    assert result.exit_code == EXIT_INPUT, result.output
    assert "internal error" not in result.output
    assert "profile" in result.output and "list-profiles" in result.output
    assert "no-such-profile-sgharden" in result.output  # which profile, in botocore's words


# Real faults through the CLI (not only `environment_fault` on a made-up OSError).
PLAN_SMALL = Path(__file__).parent / "fixtures" / "plan_small" / "snapshot"
IS_ROOT = os.geteuid() == 0


def propose_to(output: str) -> Result:
    return CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(PLAN_SMALL), "--workspace", ":memory:", "--format", "json",
         "--output", output, "--quiet"],
    )  # fmt: skip


def one_error(result: Result, *parts: str) -> None:
    assert result.exit_code == EXIT_INPUT, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sgharden: error: "), result.stderr
    assert "internal error" not in result.stderr
    for part in parts:
        assert part in lines[0], lines[0]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_full_disk_names_the_output_file() -> None:
    # /dev/full: opening succeeds, every write fails with ENOSPC, as on a disk that filled up
    one_error(propose_to("/dev/full"), "/dev/full: No space left on device", "free space")


def test_a_file_name_too_long_is_exit_3(tmp_path: Path) -> None:
    one_error(propose_to(str(tmp_path / ("p" * 300 + ".json"))), "use a shorter path")


def test_permission_denied_is_exit_3(tmp_path: Path) -> None:
    if IS_ROOT:  # root writes through mode bits; sysfs refuses even root
        target = "/sys/sgharden-plan.json"
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        target = str(locked / "plan.json")
    result = propose_to(target)
    one_error(result, f"{target}: ")
    assert "permission" in result.stderr.lower() or "read-only" in result.stderr.lower()


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs mounted read-only (root only: a read-only file system, not a mode bit)."""
    at = tmp_path / "ro"
    at.mkdir()
    mounted = IS_ROOT and (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(at)]).returncode
        == 0
    )
    if not mounted:
        pytest.skip("a read-only mount needs root and mount(8)")
    try:
        yield at
    finally:
        subprocess.run(["umount", str(at)], check=False)


def test_a_read_only_out_is_exit_3(read_only_dir: Path) -> None:
    one_error(propose_to(str(read_only_dir / "plan.json")), "Read-only file system", "--out")


def test_missing_credentials_say_so_not_retry_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = CliRunner().invoke(
        main, ["collect", "--out", str(tmp_path / "o"), "--region", "us-east-1"]
    )
    one_error(result, "NoCredentialsError", "no AWS credentials found")
    assert "retry later" not in result.stderr


def test_duckdbs_memory_limit_reached_is_exit_3_with_the_setting_to_raise(tmp_path: Path) -> None:
    # The limit is read when sgharden is imported, so this runs the installed command itself. A
    # limit this small fails the first real query (seen at 20M benchmark records with the default).
    sgharden = Path(sys.executable).parent / "sgharden"
    sample = Path(__file__).resolve().parent.parent / "samples" / "snapshot"
    done = subprocess.run(
        [str(sgharden), "propose", "--snapshot", str(sample), "--quiet",
         "--workspace", str(tmp_path / "w.duckdb")],
        env={**os.environ, "SGHARDEN_MEMORY_LIMIT": "1MB"},
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == EXIT_INPUT, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0]
    assert "ran out of memory" in lines[0] and "SGHARDEN_MEMORY_LIMIT" in lines[0]
