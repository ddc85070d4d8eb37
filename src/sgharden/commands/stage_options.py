"""The arguments `stage status` and `promote` share: a staged plan, the flow logs since the stage,
where the stage record is and how long a group must soak."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sgharden.act.apply import DEFAULT_BACKUP_DIR
from sgharden.change.soak import DEFAULT_MIN_SOAK_DAYS
from sgharden.commands.input_options import plan_argument, snapshot_option
from sgharden.commands.workspace_option import workspace_option

F = TypeVar("F", bound=Callable[..., Any])


def staged_plan_options(
    *, snapshot_purpose: str, workspace_help: str, stage_dir_help: str, soak_help: str
) -> Callable[[F], F]:
    """PLAN.json, SOURCE..., --snapshot, --workspace, --stage-dir, --min-soak-days (at least 1)."""

    def decorate(func: F) -> F:
        for option in reversed(
            [
                plan_argument,
                click.argument("sources", nargs=-1),
                snapshot_option(purpose=snapshot_purpose),
                workspace_option(workspace_help),
                click.option(
                    "--stage-dir",
                    type=click.Path(file_okay=False, path_type=Path),
                    default=DEFAULT_BACKUP_DIR,
                    show_default=True,
                    help=stage_dir_help,
                ),
                click.option(
                    "--min-soak-days",
                    type=click.IntRange(min=1),
                    default=DEFAULT_MIN_SOAK_DAYS,
                    show_default=True,
                    help=soak_help,
                ),
            ]
        ):
            func = option(func)
        return func

    return decorate
