"""Collect shows its progress over Security Hub regions and account/region sets on a terminal
(stderr only; not with --quiet, not when stderr is not a TTY). A real moto server over HTTP
(tests/aws_seed.py) and a real pseudo-terminal for stderr."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from aws_seed import CALLER, MEMBER, REGION, ROLE, World, seed

from sgharden.aws.clients import AwsContext
from sgharden.aws.collect import collect

CLI = [sys.executable, "-c", "from sgharden.cli import main; main()"]


@pytest.fixture
def world(aws: str, vectors: Path) -> World:
    return seed(vectors)


def test_collect_tells_every_region_and_set(world: World, tmp_path: Path) -> None:
    told: list[tuple[str, int, int]] = []
    collect(
        AwsContext(region=REGION, role_name=ROLE),
        tmp_path / "snap",
        regions=[REGION],
        progress=lambda step, done, total: told.append((step, done, total)),
    )
    assert told[:2] == [(f"findings {REGION}", 0, 1), ("findings", 1, 1)]
    sets = told[2:]
    assert sets[-1][0] == "inventory" and sets[-1][1] == sets[-1][2] == len(sets) - 1
    named = [step for step, _, _ in sets[:-1]]
    assert f"inventory {CALLER} {REGION}" in named and f"inventory {MEMBER} {REGION}" in named
    assert [done for _, done, _ in sets] == list(range(len(sets)))


def _collect_on_a_terminal(out: Path, *extra: str) -> tuple[str, str]:
    """(stdout, stderr) of `sgharden collect` whose stderr is a pseudo-terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "collect", "--out", str(out), "--role-name", ROLE, "--region", REGION, *extra],
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: the process is done writing
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = proc.communicate(timeout=120)[0].decode()
    os.close(master)
    assert proc.returncode in (0, 4), stdout
    return stdout, b"".join(chunks).decode()


def test_collect_shows_progress_on_a_terminal_only(world: World, tmp_path: Path) -> None:
    stdout, stderr = _collect_on_a_terminal(tmp_path / "a")
    assert f"findings {REGION}  0/1" in stderr and "findings  1/1" in stderr
    assert f"inventory {MEMBER} {REGION}" in stderr
    assert f"findings {REGION}  0/1" not in stdout  # stdout carries the result only

    _, quiet = _collect_on_a_terminal(tmp_path / "b", "--quiet")
    assert "findings" not in quiet and "inventory" not in quiet

    piped = subprocess.run(
        [*CLI, "collect", "--out", str(tmp_path / "c"), "--role-name", ROLE, "--region", REGION],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode in (0, 4), piped.stderr
    assert f"findings {REGION}  0/1" not in piped.stderr
