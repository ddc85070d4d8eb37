"""A result file is written whole or not at all (sgharden/atomic_write.py): a write that fails part
way leaves the file it would replace byte for byte, and no temporary file beside it. Real files,
real failures: an unencodable character, a writer that raises half way, a file-size limit
(RLIMIT_FSIZE, as a disk that fills) in a child process."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import pytest
from test_environment_faults import one_error, propose_to

from sgharden.atomic_write import write_atomically, writing_atomically
from sgharden.commands.output_options import Voice, emit, emit_written
from sgharden.errors import EXIT_INPUT, EXIT_USAGE

OLD = "old result: must survive a failed write\n"
QUIET = Voice(quiet=True)
PLAN_SMALL = Path(__file__).parent / "fixtures" / "plan_small" / "snapshot"


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "out" / "plan.json"
    path.parent.mkdir()
    path.write_text(OLD, encoding="utf-8")
    return path


def only(path: Path) -> None:
    """The folder holds the target and nothing else: no temporary file was left."""
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_emit_keeps_the_old_file_when_the_text_cannot_be_encoded(old_file: Path) -> None:
    # a lone surrogate is no UTF-8: the write fails after the text before it was written
    with pytest.raises(UnicodeEncodeError):
        emit("x" * 100_000 + "\ud800 and more", old_file, QUIET)
    assert old_file.read_bytes() == OLD.encode()
    only(old_file)


def half_way(folder: Path, fail: str) -> Any:
    """A streaming writer that writes 2 MB, checks its temporary file is there, then fails."""

    def write(out: TextIO) -> None:
        for _ in range(32):
            out.write("y" * 65536)
        temporary = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
        assert len(temporary) == 1 and temporary[0].startswith(".plan.json."), temporary
        if fail == "raise":
            raise RuntimeError("the writer failed half way")
        out.write("\ud800")

    return write


@pytest.mark.parametrize("fail", ["raise", "unencodable"])
def test_emit_written_keeps_the_old_file_when_the_writer_fails_half_way(
    old_file: Path, fail: str
) -> None:
    with pytest.raises(RuntimeError if fail == "raise" else UnicodeEncodeError):
        emit_written(half_way(old_file.parent, fail), old_file, QUIET)
    assert old_file.read_bytes() == OLD.encode()
    only(old_file)


def test_emit_and_emit_written_replace_the_content_or_make_the_file(tmp_path: Path) -> None:
    made = tmp_path / "new.json"
    emit("first", made, QUIET)
    assert made.read_text(encoding="utf-8") == "first\n"
    emit("second, shorter\n", made, QUIET)
    assert made.read_text(encoding="utf-8") == "second, shorter\n"

    def pieces(out: TextIO) -> None:
        for n in range(3):
            out.write(f"piece {n};")

    streamed = tmp_path / "streamed.csv"
    emit_written(pieces, streamed, QUIET)
    assert streamed.read_text(encoding="utf-8") == "piece 0;piece 1;piece 2;\n"
    emit_written(lambda out: out.write("again\n"), made, QUIET)
    assert made.read_text(encoding="utf-8") == "again\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.json", "streamed.csv"]


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("umask")
def test_modes_are_a_plain_opens(tmp_path: Path) -> None:
    """New: 0o666 less the umask (not mkstemp's 0o600); existing: its own mode kept; mode=: that."""
    plain = tmp_path / "plain"
    with plain.open("w", encoding="utf-8"):
        pass
    new = tmp_path / "new"
    write_atomically(new, "x")
    assert stat.S_IMODE(new.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) == 0o640
    new.chmod(0o604)
    write_atomically(new, "y")
    assert stat.S_IMODE(new.stat().st_mode) == 0o604 and new.read_text(encoding="utf-8") == "y"
    script = tmp_path / "apply.sh"
    write_atomically(script, "#!/bin/sh\n", mode=0o755)
    assert stat.S_IMODE(script.stat().st_mode) == 0o755


def test_a_symlink_stays_and_its_file_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomically(link, "new")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_a_fifo_is_written_into_not_replaced(tmp_path: Path) -> None:
    # as /dev/stdout or /dev/full: a file that is no regular file cannot be swapped for one
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    write_atomically(fifo, "through the pipe\n")
    reader.join()
    assert got == ["through the pipe\n"] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_failed_write_names_the_target_not_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "plan.json"
    with pytest.raises(FileNotFoundError) as caught, writing_atomically(target) as fh:
        fh.write("never")
    assert caught.value.filename == str(target)


# Through the CLI: one line naming the file, exit 3 (README "Exit codes"), never "internal error".


def test_an_output_in_a_missing_folder_is_one_line_exit_3(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "plan.json"
    one_error(propose_to(str(target)), f"{target}: No such file or directory", "check the path")
    assert not (tmp_path / "missing").exists()


def test_an_output_under_a_file_is_one_line_exit_3(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    target = tmp_path / "a-file" / "plan.json"
    one_error(propose_to(str(target)), f"{target}: Not a directory", "a part of the path is a file")


def test_an_output_that_is_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = propose_to(str(tmp_path))  # click's Path(dir_okay=False) refuses it before any work
    assert result.exit_code == EXIT_USAGE, result.output
    assert "is a directory" in result.stderr and "internal error" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def limited(limit: int) -> Any:
    """A child process that may write no file past `limit` bytes: its writes then fail with EFBIG
    (Python ignores SIGXFSZ), as a disk that fills part way through."""
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_write_cut_short_through_the_cli_keeps_the_old_plan(old_file: Path) -> None:
    sgharden = Path(sys.executable).parent / "sgharden"
    args = [str(sgharden), "propose", "--snapshot", str(PLAN_SMALL), "--workspace", ":memory:",
            "--format", "json", "--quiet", "--output", str(old_file)]  # fmt: skip
    whole = old_file.parent / "whole.json"
    subprocess.run([*args[:-1], str(whole)], check=True, capture_output=True)
    size = whole.stat().st_size
    whole.unlink()
    assert size > 4 * len(OLD)
    done = subprocess.run(args, capture_output=True, text=True, preexec_fn=limited(size // 2))
    assert done.returncode == EXIT_INPUT, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0], done.stderr
    assert f"{old_file}: File too large" in lines[0] and "ulimit -f" in lines[0]
    assert old_file.read_bytes() == OLD.encode()
    only(old_file)


CHILD = """
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from sgharden.act.apply import write_backup
from sgharden.change.recheck import save_state
state, backups = Path(sys.argv[1]), Path(sys.argv[2])
many = {f"event-{n:06d}" for n in range(20_000)}
failed = []
for name, write in (("state", lambda: save_state(state, many)),
                    ("backup", lambda: write_backup({"groups": sorted(many)}, backups,
                                                    datetime(2026, 12, 1, tzinfo=UTC)))):
    try:
        write()
    except OSError as exc:
        failed.append([name, exc.errno, exc.filename])
print(json.dumps(failed))
"""


def test_the_recheck_state_and_the_apply_backup_survive_a_write_cut_short(tmp_path: Path) -> None:
    state = tmp_path / "state" / "recheck-state.json"
    state.parent.mkdir()
    from sgharden.change.recheck import load_state, save_state

    save_state(state, {"event-old-1", "event-old-2"})
    before = state.read_bytes()
    backups = tmp_path / "backups"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(state), str(backups)],
        capture_output=True, text=True, check=True, preexec_fn=limited(64 * 1024),
    )  # fmt: skip
    assert state.read_bytes() == before and load_state(state) == {"event-old-1", "event-old-2"}
    only(state)
    assert list(backups.iterdir()) == []  # no partial backup for a rollback to trust
    failed = json.loads(done.stdout)
    efbig = errno.EFBIG
    assert failed == [["state", efbig, str(state)], ["backup", efbig, str(failed[1][2])]]
    assert Path(failed[1][2]).parent == backups
