"""`--workspace`, declared once: every command defaults to ./sgharden.duckdb.

Commands that ingest (ingest, propose, triage, verify, stage status, promote) create it when it is
absent. Commands that only read it (ticket, dry-run) use it when it is there and otherwise say what
they do instead. `--workspace :memory:` asks for a workspace that is thrown away after the run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from sgharden.errors import InputError
from sgharden.workspace import DEFAULT_WORKSPACE

F = TypeVar("F", bound=Callable[..., Any])

IN_MEMORY = ":memory:"


def workspace_option(help: str) -> Callable[[F], F]:
    """`--workspace PATH` (a file; `:memory:` for none), default ./sgharden.duckdb."""
    return click.option(
        "--workspace",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path(DEFAULT_WORKSPACE),
        show_default=True,
        help=help + " `:memory:`: a throw-away workspace.",
    )


def is_default(ctx: click.Context) -> bool:
    return ctx.get_parameter_source("workspace") in (ParameterSource.DEFAULT, None)


def workspace_to_write(workspace: Path) -> Path | None:
    """The workspace an ingesting command opens (None: in memory)."""
    return None if str(workspace) == IN_MEMORY else workspace


def workspace_to_read(ctx: click.Context, workspace: Path) -> Path | None:
    """The workspace a reading command uses, or None when it has none: the default when absent,
    or `:memory:`. A workspace named explicitly must exist (exit 3)."""
    if str(workspace) == IN_MEMORY:
        return None
    if workspace.exists():
        return workspace
    if is_default(ctx):
        return None
    raise InputError(
        f"{workspace}: no workspace here",
        hint="pass the workspace the plan was made from (see `sgharden propose --workspace`)",
    )


def logs_workspace(workspace: Path, sources: tuple[str, ...], needs: str) -> Path | None:
    """The workspace of a command that reads the flow logs since a change (verify, stage
    status, promote): SOURCEs are ingested into it; without any it must hold them already."""
    target = workspace_to_write(workspace)
    if not sources and (target is None or not target.exists()):
        where = f": no workspace at {target}" if target is not None else ""
        raise InputError(
            f"{needs}{where}",
            hint="give them as SOURCE arguments (files, folders, s3://...) or --workspace PATH",
        )
    return target
