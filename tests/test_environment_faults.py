"""Faults of the machine or the AWS configuration are input errors with a hint (exit 3), never
"internal error"."""

from __future__ import annotations

import errno

import pytest
from click.testing import CliRunner

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
