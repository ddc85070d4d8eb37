"""Ingest over objects, and propose's ingest step, show their progress on a terminal (stderr
only; not with --quiet, not when stderr is not a TTY), as collect does (test_collect_progress.py).
The bundled sample's flow-log objects, a real DuckDB, a real pseudo-terminal for stderr."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from sgharden.commands.demo import sample_snapshot

CLI = [sys.executable, "-c", "from sgharden.cli import main; main()"]
PROGRESS = re.compile(r"objects (\d+)/(\d+)  records [\d,]+")


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `sgharden ARGS` whose stderr is a pseudo-terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=slave)
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
    stdout = proc.communicate(timeout=300)[0].decode()
    os.close(master)
    return proc.returncode, stdout, b"".join(chunks).decode()


def _objects() -> Path:
    return next(sample_snapshot().rglob("flow-logs"))


def test_ingest_shows_progress_over_objects_on_a_terminal_only(tmp_path: Path) -> None:
    code, stdout, stderr = _on_a_terminal("ingest", str(_objects()), "--workspace", str(tmp_path / "a.duckdb"))  # fmt: skip
    assert code == 0, stderr
    steps = [(int(a), int(b)) for a, b in PROGRESS.findall(stderr)]
    total = steps[-1][1]
    assert total > 1 and steps[-1] == (total, total)  # it reached the last object
    assert not PROGRESS.search(stdout)  # stdout carries the result only

    code, _, quiet = _on_a_terminal("ingest", str(_objects()), "--workspace", str(tmp_path / "b.duckdb"), "--quiet")  # fmt: skip
    assert code == 0 and not PROGRESS.search(quiet)

    piped = subprocess.run(
        [*CLI, "ingest", str(_objects()), "--workspace", str(tmp_path / "c.duckdb")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert piped.returncode == 0, piped.stderr
    assert not PROGRESS.search(piped.stderr)


def test_proposes_ingest_step_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    code, stdout, stderr = _on_a_terminal(
        "propose", "--snapshot", str(sample_snapshot()), "--workspace", str(tmp_path / "p.duckdb"),
        "--format", "json", "--output", str(tmp_path / "plan.json"),
    )  # fmt: skip
    assert code == 0, stderr
    steps = [(int(a), int(b)) for a, b in PROGRESS.findall(stderr)]
    assert steps and steps[-1][0] == steps[-1][1] > 1
    assert (tmp_path / "plan.json").is_file() and not PROGRESS.search(stdout)
