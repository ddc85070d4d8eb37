"""`sgharden propose --snapshot DIR`: a hardening plan from a snapshot and its flow logs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import duckdb

from sgharden.analysis.connections import Window, data_window, floor_hour, snapshot_interface_ids
from sgharden.analysis.plan import Plan
from sgharden.analysis.planner import PlannerOptions, parse_public_ports, propose
from sgharden.analysis.workspace_check import foreign_data_warning
from sgharden.commands.engine_options import engine_options
from sgharden.commands.ingest import progress_printer, report_lines, s3_factory_for
from sgharden.errors import InputError
from sgharden.flowlogs.ingest import IngestOptions, IngestReport, ingest
from sgharden.flowlogs.scope import s3_scope
from sgharden.flowlogs.sources import FlowLogObject
from sgharden.render import OutputFormat, renderer
from sgharden.snapshot import Snapshot, load_snapshot
from sgharden.workspace import DEFAULT_WORKSPACE, enable_s3, open_workspace


@dataclass(frozen=True)
class WindowRequest:
    days: float | None = None
    since: datetime | None = None
    until: datetime | None = None


def flow_logs_json_files(snapshot: Snapshot) -> tuple[Path, ...]:
    """Every flow-logs.json of the snapshot (top level and per account/region)."""
    found = [snapshot.root / "flow-logs.json", *sorted(snapshot.root.glob("*/*/flow-logs.json"))]
    return tuple(p for p in found if p.is_file())


def ingest_snapshot(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    extra_sources: tuple[str, ...] = (),
    quiet: bool = True,
    since: datetime | None = None,
    until: datetime | None = None,
) -> IngestReport:
    """Ingest the snapshot's flow-log folders (and extra sources) with the inventory's addresses.

    An `s3://` source (an organisation's flow-log bucket) is narrowed to the snapshot's accounts
    and regions, and to the window's days when the window is given, by the key layout
    (`flowlogs.scope`). Flow-log ids are not used to narrow it: logs enabled after the snapshot
    was collected are not in its flow-logs.json, and their objects are the evidence.
    """
    sources = [str(p) for p in snapshot.flow_log_dirs]
    scoped_filters = []
    for source in extra_sources:
        if source.startswith("s3://"):
            scope = s3_scope(
                source,
                snapshot.inventories.keys(),
                since=since.date() if since else None,
                until=until.date() if until else None,
            )
            if _any_object(scope.prefixes):
                sources += scope.prefixes
            else:  # not the AWS key layout (objects copied elsewhere): read the prefix as given
                sources.append(source)
            scoped_filters.append(scope.object_filter)
        else:
            sources.append(source)
    if not sources:
        return IngestReport()

    def keep(obj: FlowLogObject) -> bool:
        return not obj.is_s3 or any(f(obj) for f in scoped_filters)

    options = IngestOptions(
        flow_logs_json=flow_logs_json_files(snapshot),
        known_addresses={e.interface_id: e.addresses for e in snapshot.all_interfaces()},
        object_filter=keep,
    )
    session, factory = s3_factory_for(sources)
    if session is not None:
        enable_s3(con, session)
    return ingest(con, sources, options, factory, progress_printer(quiet))  # type: ignore[arg-type]


def _any_object(prefixes: tuple[str, ...]) -> bool:
    """Whether any of the S3 prefixes holds an object (stops at the first that does)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from sgharden.aws.clients import AwsContext
    from sgharden.flowlogs.sources import split_s3_url

    s3 = AwsContext().client("s3")
    for prefix in prefixes:
        bucket, key = split_s3_url(prefix)
        try:
            if s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("KeyCount", 0):
                return True
        except (BotoCoreError, ClientError):  # the ingest that follows names it in one line
            return True
    return False


def build_plan(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    request: WindowRequest,
    options: PlannerOptions,
    require_traffic: bool = True,
) -> Plan:
    """The plan over the workspace's window. `require_traffic=False` is for triage, whose worklist
    of a snapshot without any flow logs yet is every target in "wait" (with the enable command)."""
    interfaces = snapshot_interface_ids(snapshot)
    if require_traffic and interfaces and data_window(con, interfaces) is None:
        # A plan from no traffic at all is not a partial result: it is no result. Every group
        # would be needs-more-data and exit 0 would read as "nothing to do".
        raise InputError(
            f"{snapshot.root}: no flow-log data for any of the snapshot's "
            f"{len(interfaces)} interface(s) in the workspace",
            hint="turn flow logs on (sgharden flow-logs enable --snapshot DIR), wait for "
            "traffic, then give the logs with --flow-logs s3://BUCKET or put them in "
            "the snapshot's flow-logs/ folder",
        )
    window = data_window(con, interfaces, request.days, request.since, request.until)
    if window is None:  # no interfaces at all: nothing needs traffic to be judged
        now = floor_hour(datetime.now(UTC))
        window = Window(now, now)
    return propose(con, snapshot, window, options)


def propose_snapshot(
    snapshot_dir: Path,
    workspace: str | None,
    request: WindowRequest,
    options: PlannerOptions,
    do_ingest: bool = True,
    extra_sources: tuple[str, ...] = (),
    quiet: bool = True,
) -> Plan:
    """Load the snapshot, ingest its flow logs incrementally, and plan."""
    snapshot = load_snapshot(snapshot_dir)
    con = open_workspace(workspace)
    try:
        if do_ingest:
            report = ingest_snapshot(
                con, snapshot, extra_sources, quiet, request.since, request.until
            )
            if not quiet:
                for line in report_lines(report):
                    click.echo(line, err=True)
        foreign = foreign_data_warning(con, snapshot, workspace)
        if foreign:
            click.echo(f"warning: {foreign}", err=True)
        return build_plan(con, snapshot, request, options)
    finally:
        con.close()


def _iso(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not an ISO 8601 time like 2026-10-01T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_window(request: WindowRequest, now: datetime | None = None) -> None:
    """An impossible window is a usage error, not an empty plan."""
    now = now or datetime.now(UTC)
    if request.since and request.until and request.until <= request.since:
        raise click.UsageError(
            f"--until {_z(request.until)} is not after --since {_z(request.since)}"
        )
    if request.since and request.since >= now:
        raise click.UsageError(f"--since {_z(request.since)} is in the future: no traffic yet")
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
    quiet: bool,
    **engine: Any,
) -> None:
    """Propose revoke / authorize / keep per flagged security group, with evidence.

    Ingests the snapshot's flow logs (incrementally) unless --no-ingest, then analyses the
    window: by default all data in the workspace for the snapshot's interfaces. With
    --engine athena the roll-up of the window's days runs in Athena first (--dry-run: only
    print its statements and cost).
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
    request = WindowRequest(days, _iso(since), _iso(until))
    check_window(request)
    if engine["engine"] == "athena" and not no_ingest:
        if not _athena_rollup(ctx, snapshot_dir, workspace, request, quiet, engine):
            return  # --dry-run: statements and cost printed, nothing run
        no_ingest = True  # the Athena table is the source; local folders would count twice
    plan = propose_snapshot(
        snapshot_dir, workspace, request, options, not no_ingest, flow_logs, quiet
    )
    text = renderer(fmt)(plan)
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
