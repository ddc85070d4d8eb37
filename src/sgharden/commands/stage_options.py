"""The arguments `stage status` and `promote` share: a staged plan, the flow logs since the stage,
where the stage record is and how long a group must soak."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sgharden.act.apply import DEFAULT_BACKUP_DIR
from sgharden.change.soak import DEFAULT_MIN_SOAK_DAYS
from sgharden.commands.workspace_option import workspace_option

F = TypeVar("F", bound=Callable[..., Any])


def staged_plan_options(
    *, snapshot_help: str, workspace_help: str, stage_dir_help: str, soak_help: str
) -> Callable[[F], F]:
    """PLAN.json, SOURCE..., --snapshot, --workspace, --stage-dir, --min-soak-days (at least 1)."""

    def decorate(func: F) -> F:
        for option in reversed(
            [
                click.argument(
                    "plan_path",
                    metavar="PLAN.json",
                    type=click.Path(dir_okay=False, path_type=Path),
                ),
                click.argument("sources", nargs=-1),
                click.option(
                    "--snapshot",
                    "snapshot_dir",
                    required=True,
                    type=click.Path(file_okay=False, path_type=Path),
                    help=snapshot_help,
                ),
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
