"""`sgharden propose --snapshot DIR`: a hardening plan from a snapshot and its flow logs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from sgharden.acceptance import acceptances_for
from sgharden.analysis.options import PlannerOptions, parse_public_ports
from sgharden.aws.clients import AwsContext
from sgharden.commands.accepted_option import accepted_option
from sgharden.commands.aws_options import AwsOptions, aws_line, s3_options
from sgharden.commands.engine_options import engine_options
from sgharden.commands.ingest import progress_printer
from sgharden.commands.input_options import snapshot_option
from sgharden.commands.output_options import Voice, emit, output_options, voice_options
from sgharden.commands.workspace_option import workspace_option, workspace_to_write
from sgharden.moments import iso
from sgharden.pipeline import WindowRequest, parse_moment, propose_snapshot
from sgharden.render import renderer
from sgharden.settings import PlannerSettings, load_planner_settings
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace


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
@snapshot_option()
@workspace_option("DuckDB workspace (created when absent).")
@click.option("--days", type=float, help="Analyse the last N days of data.")
@click.option("--since", help="Window start, ISO 8601 (UTC if no offset).")
@click.option("--until", help="Window end (exclusive), ISO 8601.")
@output_options()
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
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings: [planner] public_ports (merged with --public-port) and classifier "
    "thresholds in sgharden.toml (docs/planner.md). Default: ./sgharden.toml if present.",
)
@accepted_option
@voice_options
@engine_options
@s3_options
@click.pass_context
def command(
    ctx: click.Context,
    /,
    snapshot_dir: Path,
    workspace: Path,
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
    settings_path: Path | None,
    accepted_path: Path | None,
    voice: Voice,
    aws: AwsOptions,
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
    if settings_path is None and Path("sgharden.toml").is_file():
        settings_path = Path("sgharden.toml")
    settings = load_planner_settings(settings_path) if settings_path else PlannerSettings()
    try:
        tcp, udp = parse_public_ports((*settings.public_ports, *public_ports))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--public-port") from None
    options = replace(
        PlannerOptions(),
        thresholds=settings.thresholds,
        min_window_days=min_days,
        max_gap_share=max_gap_share,
        public_tcp_ports=tcp,
        public_udp_ports=udp,
    )
    request = WindowRequest(days, parse_moment(since), parse_moment(until))
    check_window(request)
    # read before the (long) analysis: a broken sgharden.toml fails at once
    accepted = acceptances_for(accepted_path, datetime.now(UTC).date())
    aws_ctx = aws.context(ctx)
    target = workspace_to_write(workspace)
    voice.explain(f"workspace: {target or 'in memory'}")
    if flow_logs:
        voice.explain(f"S3 reads: {aws_line(aws_ctx)}")
    if engine["engine"] == "athena" and not no_ingest:
        if not _athena_rollup(aws_ctx, snapshot_dir, target, request, voice, output, engine):
            return  # --dry-run: statements and cost printed, nothing run
        no_ingest = True  # the Athena table is the source; local folders would count twice
    plan = propose_snapshot(
        snapshot_dir,
        None if target is None else str(target),
        request,
        options,
        not no_ingest,
        flow_logs,
        progress_printer(voice.quiet),  # type: ignore[arg-type]
        voice.printer(),
        voice.warn,
        aws=aws_ctx,
    )
    voice.explain(f"window: {iso(plan.window.start)} to {iso(plan.window.end)}")
    for warning in accepted.warnings():
        voice.warn(warning)
    emit(renderer(fmt)(replace(plan, accepted=accepted)), output, voice)


def _athena_rollup(
    aws_ctx: AwsContext,
    snapshot_dir: Path,
    workspace: Path | None,
    request: WindowRequest,
    voice: Voice,
    output: Path | None,
    engine: dict[str, Any],
) -> bool:
    """The Athena roll-up of the window; False after a dry run (nothing to plan from)."""
    from datetime import timedelta

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
    con = open_workspace(workspace)
    try:
        report = athena_rollup(
            con,
            load_snapshot(snapshot_dir),
            options,
            lambda service: aws_ctx.client(service),
            since,
            until,
            query_progress(voice.quiet),
        )
    finally:
        con.close()
    if options.dry_run:
        emit(dry_run_text(report, options.price_per_tb), output, voice)
        return False
    for line in run_lines(report):
        voice.progress(line)
    return True
