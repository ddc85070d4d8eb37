"""The options every AWS command shares, and the one `AwsContext` they build.

`--profile` and `--region` mean the same in every command that reaches AWS or S3: the base
session's profile, and the region for calls that carry none of their own (STS, S3 reads;
security groups and flow logs carry their regions in the plan or the snapshot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from sgharden.aws.clients import DEFAULT_RETRY_MODE, RETRY_MODES, AwsContext

F = TypeVar("F", bound=Callable[..., Any])


PROFILE_HELP = "AWS profile (default: AWS_PROFILE / the default chain)."
REGION_HELP = (
    "Region for calls that carry none of their own: STS, S3 reads (default: AWS_REGION / "
    "the profile's region; groups and ENIs carry their own regions)."
)


def profile_option(func: F) -> F:
    return click.option("--profile", metavar="P", help=PROFILE_HELP)(func)


def region_option(func: F) -> F:
    return click.option("--region", metavar="R", help=REGION_HELP)(func)


def s3_options(func: F) -> F:
    """--profile and --region, for commands that read flow logs from S3 (or run Athena)."""
    return profile_option(region_option(func))


def aws_options(func: F) -> F:
    """--profile, --role-name and --retry-mode (--region: `region_option`; collect takes many)."""
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
    return profile_option(func)


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


def s3_context(ctx: click.Context, profile: str | None, region: str | None) -> AwsContext:
    """The AwsContext for S3 reads and Athena: no role to assume, standard retries."""
    return make_context(
        ctx, profile=profile, region=region, role_name=None, retry_mode=DEFAULT_RETRY_MODE
    )


def aws_line(aws: AwsContext) -> str:
    """Which profile and region a command's calls use, for --verbose."""
    return f"profile {aws.profile or '(default chain)'}, region {aws.default_region()}"
