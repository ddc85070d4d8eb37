"""`sgharden propose --snapshot DIR`: a hardening plan from a snapshot and its flow logs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from sgharden.acceptance import acceptances_for
from sgharden.analysis.options import PlannerOptions, parse_public_ports
from sgharden.commands.accepted_option import accepted_option
from sgharden.commands.engine_options import engine_options
from sgharden.commands.ingest import progress_printer
from sgharden.moments import iso
from sgharden.pipeline import WindowRequest, parse_moment, propose_snapshot
from sgharden.render import OutputFormat, renderer
from sgharden.snapshot import load_snapshot
from sgharden.workspace import DEFAULT_WORKSPACE, open_workspace


def check_window(request: WindowRequest, now: datetime | None = None) -> None:
    """An impossible window is a usage error, not an empty plan."""
    now = now or datetime.now(UTC)
    if request.since and request.until and request.until <= request.since:
        raise click.UsageError(
            f"--until {iso(request.until)} is not after --since {iso(request.since)}"
        )
    if request.since and request.since >= now:
        raise click.UsageError(f"--since {iso(request.since)} is in the future: no traffic yet")
    if request.days is not None and request.days <= 0:
        raise click.UsageError(f"--days {request.days:g} must be more than 0")


@click.command("propose")
@click.option(
    "--snapshot",
    "snapshot_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Snapshot folder (AWS CLI JSON + flow-logs/).",
)
@click.option(
    "--workspace",
    type=click.Path(dir_okay=False),
    default=DEFAULT_WORKSPACE,
    show_default=True,
    help="DuckDB workspace.",
)
@click.option("--days", type=float, help="Analyse the last N days of data.")
@click.option("--since", help="Window start, ISO 8601 (UTC if no offset).")
@click.option("--until", help="Window end (exclusive), ISO 8601.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.TABLE.value,
    show_default=True,
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--no-ingest", is_flag=True, help="Use the workspace as it is.")
@click.option("--flow-logs", "flow_logs", multiple=True, help="More flow-log sources (s3://...).")
@click.option(
    "--min-days",
    type=float,
    default=14.0,
    show_default=True,
    help="Shortest window that can justify a revoke.",
)
@click.option(
    "--max-gap-share",
    type=float,
    default=0.02,
    show_default=True,
    help="Largest share of the window an ENI may miss before needs-more-data.",
)
@click.option(
    "--public-port",
    "public_ports",
    multiple=True,
    metavar="[tcp|udp/]PORT",
    help="A port that is a public service: its world-open rule is kept when really used "
    "(repeatable; EC2.18's authorized ports 80/443 are public already).",
)
@accepted_option
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@engine_options
@click.pass_context
def command(
    ctx: click.Context,
    /,
    snapshot_dir: Path,
    workspace: str,
    days: float | None,
    since: str | None,
    until: str | None,
    fmt: str,
    output: Path | None,
    no_ingest: bool,
    flow_logs: tuple[str, ...],
    min_days: float,
    max_gap_share: float,
    public_ports: tuple[str, ...],
    accepted_path: Path | None,
    quiet: bool,
    **engine: Any,
) -> None:
    """Propose revoke / authorize / keep per flagged security group, with evidence.

    Ingests the snapshot's flow logs (incrementally) unless --no-ingest, then analyses the
    window: by default all data in the workspace for the snapshot's interfaces. With
    --engine athena the roll-up of the window's days runs in Athena first (--dry-run: only
    print its statements and cost). Rules and resources an accepted risk in force matches
    (--accepted) are kept as `accepted-risk`, with the entry; expired entries are warnings.
    """
    if days is not None and (since or until):
        raise click.UsageError("give --days or --since/--until, not both")
    try:
        tcp, udp = parse_public_ports(public_ports)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--public-port") from None
    options = replace(
        PlannerOptions(),
        min_window_days=min_days,
        max_gap_share=max_gap_share,
        public_tcp_ports=tcp,
        public_udp_ports=udp,
    )
    request = WindowRequest(days, parse_moment(since), parse_moment(until))
    check_window(request)
    # read before the (long) analysis: a broken sgharden.toml fails at once
    accepted = acceptances_for(accepted_path, datetime.now(UTC).date())
    if engine["engine"] == "athena" and not no_ingest:
        if not _athena_rollup(ctx, snapshot_dir, workspace, request, quiet, engine):
            return  # --dry-run: statements and cost printed, nothing run
        no_ingest = True  # the Athena table is the source; local folders would count twice
    plan = propose_snapshot(
        snapshot_dir,
        workspace,
        request,
        options,
        not no_ingest,
        flow_logs,
        progress_printer(quiet),  # type: ignore[arg-type]
        None if quiet else lambda line: click.echo(line, err=True),
        lambda line: click.echo(f"warning: {line}", err=True),
    )
    for warning in accepted.warnings():
        click.echo(f"warning: {warning}", err=True)
    text = renderer(fmt)(replace(plan, accepted=accepted))
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"plan written to {output}", err=True)
    else:
        click.echo(text, nl=False)


def _athena_rollup(
    ctx: click.Context,
    snapshot_dir: Path,
    workspace: str,
    request: WindowRequest,
    quiet: bool,
    engine: dict[str, Any],
) -> bool:
    """The Athena roll-up of the window; False after a dry run (nothing to plan from)."""
    from datetime import timedelta

    from sgharden.commands.aws_options import make_context
    from sgharden.commands.engine_options import (
        athena_options,
        dry_run_text,
        query_progress,
        run_lines,
    )
    from sgharden.flowlogs.engines.athena_run import athena_rollup

    options = athena_options(engine)
    until = request.until
    since = request.since
    if request.days is not None:
        until = datetime.now(UTC)
        since = until - timedelta(days=request.days)
    aws = make_context(ctx, profile=None, region=None, role_name=None, retry_mode="standard")
    con = open_workspace(workspace)
    try:
        report = athena_rollup(
            con,
            load_snapshot(snapshot_dir),
            options,
            lambda service: aws.client(service),
            since,
            until,
            query_progress(quiet),
        )
    finally:
        con.close()
    if options.dry_run:
        click.echo(dry_run_text(report, options.price_per_tb), nl=False)
        return False
    if not quiet:
        for line in run_lines(report):
            click.echo(line, err=True)
    return True
