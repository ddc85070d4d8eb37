"""`PLAN.json` and `--snapshot`, declared once: the two inputs most commands read.

The same name, type and help everywhere; a command only says whether it needs the input and, in
one clause, what it reads it for. Neither checks that the path exists: the reader does, so a
missing snapshot or plan is one line naming it with what to do (exit 3), not a usage error.
`tests/test_cli_consistency.py` fails for a command that declares either itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

SNAPSHOT_HELP = "Snapshot folder (sgharden collect --out DIR, or AWS CLI JSON + flow-logs/)."
PLAN_HELP = "Plan JSON written by `sgharden propose --format json --output PLAN.json`."
PLAN_METAVAR = "PLAN.json"


class SnapshotOption(click.Option):
    """`--snapshot`, as snapshot_option makes it (the consistency test looks for this class)."""


class PlanArgument(click.Argument):
    """The PLAN.json argument, as plan_argument makes it."""


class PlanOption(click.Option):
    """`--plan PLAN.json`, for a command whose plan is optional (triage)."""


def snapshot_type() -> click.Path:
    return click.Path(file_okay=False, path_type=Path)


def plan_type() -> click.Path:
    return click.Path(dir_okay=False, path_type=Path)


def snapshot_option(*, required: bool = True, purpose: str = "") -> Callable[[F], F]:
    """`--snapshot DIR` into `snapshot_dir`; `purpose` says what the command reads it for."""
    return click.option(
        "--snapshot",
        "snapshot_dir",
        cls=SnapshotOption,
        required=required,
        type=snapshot_type(),
        metavar="DIR",
        help=f"{SNAPSHOT_HELP} {purpose}".strip(),
    )


def plan_argument(func: F) -> F:
    """The PLAN.json argument into `plan_path`."""
    return click.argument("plan_path", cls=PlanArgument, metavar=PLAN_METAVAR, type=plan_type())(
        func
    )


def plan_option(*, purpose: str) -> Callable[[F], F]:
    """`--plan PLAN.json` into `plan_path` (optional)."""
    return click.option(
        "--plan",
        "plan_path",
        cls=PlanOption,
        type=plan_type(),
        metavar=PLAN_METAVAR,
        help=f"{PLAN_HELP} {purpose}".strip(),
    )
