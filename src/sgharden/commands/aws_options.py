"""The options every AWS command shares, and the one `AwsContext` they build.

`--profile` and `--region` mean the same in every command that reaches AWS or S3: the base
session's profile, and the region for calls that carry none of their own (STS, S3 reads;
security groups and flow logs carry their regions in the plan or the snapshot).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class AwsOptions:
    """--profile, --region, --role-name and --retry-mode as a command received them."""

    profile: str | None = None
    region: str | None = None
    role_name: str | None = None
    retry_mode: str = DEFAULT_RETRY_MODE

    def context(self, ctx: click.Context, region: str | None = None) -> AwsContext:
        """The AwsContext these options describe (`region` overrides --region: collect's
        first Security Hub region)."""
        return make_context(
            ctx,
            profile=self.profile,
            region=region or self.region,
            role_name=self.role_name,
            retry_mode=self.retry_mode,
        )


def _as_one(func: Callable[..., Any], names: tuple[str, ...]) -> Any:
    """`func` taking `aws: AwsOptions` in place of the options `names`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {n: kwargs.pop(n) for n in names}
        return func(*args, aws=AwsOptions(**given), **kwargs)

    return wrapper


def s3_options(func: F) -> F:
    """--profile and --region, for commands that read flow logs from S3 (or run Athena); the
    command receives them as `aws: AwsOptions`."""
    return profile_option(region_option(_as_one(func, ("profile", "region"))))  # type: ignore[no-any-return]


def aws_options(func: F) -> F:
    """--profile, --region, --role-name and --retry-mode, received as `aws: AwsOptions`."""
    return _aws_options(func, with_region=True)


def aws_options_own_region(func: F) -> F:
    """As `aws_options`, for a command that declares its own --region (collect: its Security
    Hub regions, repeatable)."""
    return _aws_options(func, with_region=False)


def _aws_options(func: F, with_region: bool) -> F:
    names = ("profile", "role_name", "retry_mode") + (("region",) if with_region else ())
    decorated = _as_one(func, names)
    decorated = click.option(
        "--retry-mode",
        type=click.Choice(RETRY_MODES),
        default=DEFAULT_RETRY_MODE,
        show_default=True,
        help="botocore retry mode for throttling; adaptive also rate-limits the client.",
    )(decorated)
    decorated = click.option(
        "--role-name",
        metavar="NAME",
        help="Role to assume in each member account (arn:aws:iam::<account>:role/NAME).",
    )(decorated)
    if with_region:
        decorated = region_option(decorated)
    return profile_option(decorated)  # type: ignore[no-any-return]


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


def aws_line(aws: AwsContext) -> str:
    """Which profile and region a command's calls use, for --verbose."""
    return f"profile {aws.profile or '(default chain)'}, region {aws.default_region()}"
