"""`sgharden collect`: findings + inventory from AWS into a snapshot directory (read-only)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sgharden.aws.collect import CollectProgress, collect
from sgharden.commands.aws_options import AwsOptions, aws_line, aws_options_own_region
from sgharden.commands.output_options import Voice, voice_options
from sgharden.errors import EXIT_PARTIAL
from sgharden.findings import IN_SCOPE_CONTROLS
from sgharden.render.summary import collect_summary
from sgharden.snapshot import load_snapshot


def _csv(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def collect_progress(quiet: bool, tty: bool) -> CollectProgress | None:
    """One line on stderr, rewritten in place, per Security Hub region and account/region set
    (ingest's convention: only on a terminal, and not with --quiet)."""
    if quiet or not tty:
        return None

    def show(step: str, done: int, total: int) -> None:
        click.echo(f"\r\033[K  {step}  {done}/{total}", err=True, nl=done == total)

    return show


@click.command("collect")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Snapshot directory to write (one set per <account-id>/<region>/).",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="R",
    help="Security Hub region(s) to read; the aggregation region is enough when cross-region "
    "aggregation is on. Repeatable. Default: the profile's region.",
)
@click.option(
    "--controls",
    metavar="EC2.19,...",
    help=f"Controls to collect (default: all in scope: {','.join(IN_SCOPE_CONTROLS)}).",
)
@click.option("--accounts", metavar="ID,...", help="Only these accounts' findings and inventory.")
@voice_options
@aws_options_own_region
@click.pass_context
def command(
    ctx: click.Context,
    out: Path,
    regions: tuple[str, ...],
    controls: str | None,
    accounts: str | None,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Read the in-scope Security Hub findings and the inventory around them into a snapshot.

    Exit code 4 when some account or region could not be read (each is named on stderr).
    """
    wanted = _csv(controls) or list(IN_SCOPE_CONTROLS)
    unknown = sorted(set(wanted) - set(IN_SCOPE_CONTROLS))
    if unknown:
        raise click.BadParameter(
            f"{','.join(unknown)} not in scope; choose from {','.join(IN_SCOPE_CONTROLS)}",
            param_hint="--controls",
        )
    aws_ctx = aws.context(ctx, region=regions[0] if regions else None)
    voice.explain(aws_line(aws_ctx))
    result = collect(
        aws_ctx,
        out,
        regions=list(regions) or None,
        controls=wanted,
        accounts=_csv(accounts) or None,
        progress=collect_progress(voice.quiet, sys.stderr.isatty()),
    )
    snapshot = load_snapshot(out) if result.sets_written else None
    click.echo(collect_summary(result, snapshot))
    for failure in result.failures:
        click.echo(f"sgharden: warning: {failure.line()}", err=True)
    if result.failures:
        ctx.exit(EXIT_PARTIAL)
