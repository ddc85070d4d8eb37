"""Write a result file whole or not at all: a failed write never leaves a partial file, and the
file it was replacing stays as it was.

The text goes to a temporary file in the target's own folder (so the rename cannot cross file
systems), is flushed and fsynced, and only then renamed onto the target with `os.replace`, which is
atomic on POSIX. On any failure the temporary file is removed and the error raised again; an
`OSError` names the target (not the temporary file, nor nothing when a write fails), so the CLI's
one error handler prints one line about the file the user asked for.

What a reader of the result sees, compared with `open(path, "w")`:
- a new file gets the mode a plain open gives (0o666 less the umask: the temporary file is opened
  with `os.open(..., 0o666)`, not `tempfile.mkstemp`'s 0o600); an existing file keeps its mode;
  `mode=` sets one explicitly (the ticket's shell scripts, 0o755);
- the result is a new inode: an existing file's hard links keep the old content and its owner is
  the writer (as with any editor's save); a symlink is followed, so the file it points to is
  replaced and the link stays;
- a target that exists and is not a regular file (/dev/stdout, a FIFO, /dev/full) is written
  directly: it cannot be replaced, and there is no old content to keep.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

_NEW_FILE_MODE = 0o666  # as open(): the umask takes its share


def write_atomically(path: Path, text: str, *, mode: int | None = None) -> None:
    """`text` (UTF-8) as the whole content of `path`, or `path` untouched if writing fails."""
    with writing_atomically(path, mode=mode) as fh:
        fh.write(text)


@contextlib.contextmanager
def writing_atomically(path: Path, *, mode: int | None = None) -> Iterator[TextIO]:
    """A UTF-8 text file to write the content of `path` into, piece by piece; `path` is replaced
    when the block ends without an error, and untouched (no temporary file left) when it raises."""
    real = Path(os.path.realpath(path))  # replace a symlink's file, not the link
    try:
        existing: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        existing = None
    except OSError as exc:  # a part of the path is a file, a name too long...
        _raise_naming(exc, path, None)
        raise
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        yield from _direct(path)
        return
    tmp, tmp_name = _open_temporary(real, path)
    try:
        if mode is not None:
            os.fchmod(tmp.fileno(), mode)
        elif existing is not None:
            os.fchmod(tmp.fileno(), stat.S_IMODE(existing.st_mode))
        with tmp as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, real)
    except BaseException as exc:
        with contextlib.suppress(Exception):  # closed already, or a failing close: keep `exc`
            tmp.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            _raise_naming(exc, path, tmp_name)
        raise
    _sync_folder(real.parent)


def _open_temporary(real: Path, path: Path) -> tuple[TextIO, str]:
    # The target's name (cut short: the result must stay under NAME_MAX) says whose a leftover
    # is after a crash; the random part makes it unique; O_EXCL never takes over another's file.
    stem = real.name.encode("utf-8", "surrogateescape")[:96].decode("utf-8", "ignore")
    for _ in range(16):
        name = str(real.parent / f".{stem}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _NEW_FILE_MODE)
        except FileExistsError:
            continue
        except OSError as exc:  # the folder is missing, read-only, not ours...
            _raise_naming(exc, path, name)
            raise
        return open(fd, "w", encoding="utf-8"), name  # closed by writing_atomically
    raise FileExistsError(errno.EEXIST, "no free temporary name beside it", str(path))


def _direct(path: Path) -> Iterator[TextIO]:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            yield fh
    except OSError as exc:
        _raise_naming(exc, path, None)
        raise


def _raise_naming(exc: OSError, path: Path, tmp: str | None) -> None:
    """`exc` again, naming `path` where it named no file (a failed write) or the temporary one;
    returns when `exc` already names another file (the caller re-raises it as it is)."""
    if exc.filename is None or str(exc.filename) == tmp:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


def _sync_folder(folder: Path) -> None:
    # The rename is durable once the folder's entry is on disk; some file systems refuse to
    # fsync a folder, and the content is already safe then, so a refusal is not an error.
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
