"""The options every AWS command shares, and the one `AwsContext` they build."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from sgharden.aws.clients import DEFAULT_RETRY_MODE, RETRY_MODES, AwsContext

F = TypeVar("F", bound=Callable[..., Any])


def aws_options(func: F) -> F:
    """--profile, --role-name and --retry-mode (regions differ per command)."""
    func = click.option(
        "--retry-mode",
        type=click.Choice(RETRY_MODES),
        default=DEFAULT_RETRY_MODE,
        show_default=True,
        help="botocore retry mode for throttling; adaptive also rate-limits the client.",
    )(func)
    func = click.option(
        "--role-name",
        metavar="NAME",
        help="Role to assume in each member account (arn:aws:iam::<account>:role/NAME).",
    )(func)
    func = click.option(
        "--profile", metavar="P", help="AWS profile (default: AWS_PROFILE / the default chain)."
    )(func)
    return func


def make_context(
    ctx: click.Context,
    *,
    profile: str | None,
    region: str | None,
    role_name: str | None,
    retry_mode: str,
) -> AwsContext:
    """The AwsContext for a command. `ctx.obj["aws_hooks"]` (botocore event handlers), when an
    embedding program or a test passes one, is registered on every session."""
    hooks = tuple((ctx.obj or {}).get("aws_hooks", ()))
    return AwsContext(
        profile=profile, region=region, role_name=role_name, retry_mode=retry_mode, hooks=hooks
    )
