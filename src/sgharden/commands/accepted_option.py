"""`--accepted FILE`, declared once for every command that reads accepted risks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

accepted_option: Callable[[F], F] = click.option(
    "--accepted",
    "accepted_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Accepted risks (sgharden.toml; docs/workflow.md). Default: ./sgharden.toml if present.",
)
