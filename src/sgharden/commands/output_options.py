"""`--format`/`--output` and `--quiet`/`--verbose`, declared once for every command.

stdout carries the result (or `--output FILE` does), stderr carries progress and warnings.
`--quiet` silences progress, never warnings or errors; `--verbose` also says what the command
used and why (which workspace, which AWS profile and region, which window).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from sgharden.atomic_write import write_atomically, writing_atomically
from sgharden.render import OutputFormat

F = TypeVar("F", bound=Callable[..., Any])

RESULT_FORMATS = tuple(f.value for f in OutputFormat)  # table, json, markdown


def output_options(
    formats: Sequence[str] = RESULT_FORMATS, default: str = OutputFormat.TABLE.value
) -> Callable[[F], F]:
    """`--format` (as `fmt`) and `--output` (a file; default stdout)."""

    def decorate(func: F) -> F:
        func = click.option(
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the result to this file instead of stdout.",
        )(func)
        func = click.option(
            "--format",
            "fmt",
            type=click.Choice(list(formats)),
            default=default,
            show_default=True,
            help="How the result is written: table for people, json for scripts, markdown for "
            "tickets and chat.",
        )(func)
        return func

    return decorate


def emit(text: str, output: Path | None, voice: Voice | None = None) -> None:
    """The result to `output` (saying so on stderr) or to stdout."""
    if not text.endswith("\n"):
        text += "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    # whole or not at all: a write that fails (the disk filled) keeps the file it would replace
    write_atomically(output, text)
    (voice or Voice()).progress(f"written to {output}")


class _Ends:
    """A text sink that remembers the last character written (the result must end a line)."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self.last = ""

    def write(self, text: str, /) -> int:
        if text:
            self._write(text)
            self.last = text[-1]
        return len(text)


class _Stdout:
    """stdout through click.echo (as `emit` writes it), a batch of pieces at a time."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            click.echo("".join(self.parts), nl=False)
        self.parts.clear()
        self.size = 0


def emit_written(
    write: Callable[[Any], None], output: Path | None, voice: Voice | None = None
) -> None:
    """As `emit`, for a result that `write(file)` writes piece by piece to a text file: the
    whole text is never held (a 35,000-finding triage is 15 MB)."""
    if output is None:
        stdout = _Stdout()
        sink = _Ends(stdout.write)
        write(sink)
        if sink.last != "\n":
            sink.write("\n")
        stdout.flush()
        return
    with writing_atomically(output) as fh:
        sink = _Ends(fh.write)
        write(sink)
        if sink.last != "\n":
            sink.write("\n")
    (voice or Voice()).progress(f"written to {output}")


@dataclass(frozen=True)
class Voice:
    """What a command says on stderr besides its result."""

    quiet: bool = False
    verbose: bool = False

    def progress(self, line: str) -> None:
        """A step done or under way (silenced by --quiet)."""
        if not self.quiet:
            click.echo(line, err=True)

    def explain(self, line: str) -> None:
        """What was used and why (only with --verbose)."""
        if self.verbose:
            click.echo(f"  {line}", err=True)

    def warn(self, line: str) -> None:
        """What the user must know even when quiet."""
        click.echo(f"warning: {line}", err=True)

    def printer(self) -> Callable[[str], None] | None:
        """`progress` as a callable for library functions, None when quiet."""
        return None if self.quiet else self.progress


def voice_options(func: F) -> F:
    """`--quiet` and `--verbose`; the command receives them as one `voice: Voice`."""

    @functools.wraps(func)
    def wrapper(*args: Any, quiet: bool, verbose: bool, **kwargs: Any) -> Any:
        if quiet and verbose:
            raise click.UsageError("give --quiet or --verbose, not both")
        return func(*args, voice=Voice(quiet=quiet, verbose=verbose), **kwargs)

    decorated: Any = click.option(
        "--verbose", is_flag=True, help="Also say what was used and why (stderr)."
    )(wrapper)
    decorated = click.option(
        "--quiet", is_flag=True, help="No progress on stderr (warnings and errors still)."
    )(decorated)
    return decorated  # type: ignore[no-any-return]
