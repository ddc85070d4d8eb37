"""Snapshot + workspace + window -> plan: the steps every command that plans shares.

Ingest the snapshot's flow logs (and extra sources, an `s3://` bucket narrowed to the snapshot's
accounts, regions and days), pick the window, propose. No click here: progress and the ingest
summary go to the callables the caller gives (the CLI prints them on stderr).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from sgharden.analysis.connections import Window, data_window, floor_hour, snapshot_interface_ids
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.planner import propose
from sgharden.analysis.workspace_check import workspace_warnings
from sgharden.errors import InputError
from sgharden.flowlogs.ingest import IngestOptions, IngestReport, Progress, ingest
from sgharden.flowlogs.scope import s3_scope
from sgharden.flowlogs.sources import FlowLogObject
from sgharden.moments import iso, parse_aware
from sgharden.plan.fingerprint import snapshot_inputs, workspace_inputs
from sgharden.plan.write import Plan
from sgharden.snapshot import Snapshot, load_snapshot
from sgharden.workspace import enable_s3, open_workspace

if TYPE_CHECKING:
    from sgharden.aws.clients import AwsContext


@dataclass(frozen=True)
class WindowRequest:
    days: float | None = None
    since: datetime | None = None
    until: datetime | None = None


def parse_moment(value: str | None) -> datetime | None:
    """An ISO 8601 option value as an aware datetime (UTC when it gives no offset)."""
    if value is None:
        return None
    try:
        return parse_aware(value)
    except ValueError:
        raise InputError(f"{value!r} is not an ISO 8601 time like 2026-10-01T00:00:00Z") from None


def s3_factory_for(sources: list[str], aws: AwsContext | None = None) -> tuple[object, object]:
    """(session, client factory) when any source is on S3, else (None, None). `aws` carries the
    command's --profile and --region (default: the standard chain); DuckDB's reads of the
    objects get the same session's credentials and region (`enable_s3`)."""
    if not any(s.startswith("s3://") for s in sources):
        return None, None
    ctx = aws or _default_context()
    return ctx.base_session(), lambda: ctx.client("s3")


def _default_context() -> AwsContext:
    from sgharden.aws.clients import AwsContext

    return AwsContext()


def report_lines(report: IngestReport) -> list[str]:
    lines = [
        f"objects: {report.objects_found} found, {report.objects_read} read, "
        f"{report.objects_skipped} already ingested",
        f"records: {report.records:,} stored, {report.rejected:,} rejected, "
        f"{report.unanalysable:,} kept aside as not analysable ({report.seconds:.1f}s)",
    ]
    for source, reason in report.rejected_objects[:20]:
        lines.append(f"  rejected object {source}: {reason}")
    if report.rejected or report.unanalysable:
        lines.append("  see them with: SELECT * FROM rejects  (in the workspace)")
    return lines


def flow_logs_json_files(snapshot: Snapshot) -> tuple[Path, ...]:
    """Every flow-logs.json of the snapshot (top level and per account/region)."""
    found = [snapshot.root / "flow-logs.json", *sorted(snapshot.root.glob("*/*/flow-logs.json"))]
    return tuple(p for p in found if p.is_file())


def ingest_snapshot(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    extra_sources: tuple[str, ...] = (),
    progress: Progress | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    aws: AwsContext | None = None,
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
            if _any_object(scope.prefixes, aws):
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
    session, factory = s3_factory_for(sources, aws)
    if session is not None:
        enable_s3(con, session)
    return ingest(con, sources, options, factory, progress)  # type: ignore[arg-type]


def ingest_after_change(
    con: duckdb.DuckDBPyConnection,
    sources: list[str],
    snapshot: Snapshot | None,
    aws: AwsContext | None = None,
) -> IngestReport:
    """Read the flow logs since a change (verify, stage status, promote, recheck) into the
    workspace: the inventory's addresses and every flow-logs.json of the snapshot help orient
    header-less records; S3 sources with `aws`'s profile and region."""
    options = IngestOptions(
        known_addresses={e.interface_id: e.addresses for e in snapshot.all_interfaces()}
        if snapshot
        else {},
        flow_logs_json=flow_logs_json_files(snapshot) if snapshot else (),
    )
    session, factory = s3_factory_for(sources, aws)
    if session is not None:
        enable_s3(con, session)
    return ingest(con, sources, options, factory)  # type: ignore[arg-type]


def _any_object(prefixes: tuple[str, ...], aws: AwsContext | None) -> bool:
    """Whether any of the S3 prefixes holds an object (stops at the first that does)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from sgharden.flowlogs.sources import split_s3_url

    s3 = (aws or _default_context()).client("s3")
    for prefix in prefixes:
        bucket, key = split_s3_url(prefix)
        try:
            if s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("KeyCount", 0):
                return True
        except (BotoCoreError, ClientError):  # the ingest that follows names it in one line
            return True
    return False


def plan_window(
    con: duckdb.DuckDBPyConnection, interfaces: list[str], request: WindowRequest
) -> Window:
    """The window the plan judges: the request over the workspace's data of these interfaces."""
    window = data_window(con, interfaces, request.days, request.since, request.until)
    if window is None:  # no interfaces at all: nothing needs traffic to be judged
        now = floor_hour(datetime.now(UTC))
        window = Window(now, now)
    return window


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
    window = plan_window(con, interfaces, request)
    plan = propose(con, snapshot, window, options)
    span = (iso(window.start) or "", iso(window.end) or "")
    inputs = snapshot_inputs(snapshot, [g.group_id for g in plan.groups], span)
    inputs["workspace"] = workspace_inputs(con, interfaces, span)
    return replace(plan, inputs=inputs)


def propose_snapshot(
    snapshot_dir: Path,
    workspace: str | None,
    request: WindowRequest,
    options: PlannerOptions,
    do_ingest: bool = True,
    extra_sources: tuple[str, ...] = (),
    progress: Progress | None = None,
    notes: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
    aws: AwsContext | None = None,
) -> Plan:
    """Load the snapshot, ingest its flow logs incrementally, and plan. `notes` receives the
    ingest summary (report_lines) as soon as the ingest is done, before the plan is built; `warn`
    what the user must know even when quiet (a workspace holding another snapshot's data, or data
    of another period: analysis/workspace_check.py)."""
    snapshot = load_snapshot(snapshot_dir)
    con = open_workspace(workspace)
    try:
        if do_ingest:
            report = ingest_snapshot(
                con, snapshot, extra_sources, progress, request.since, request.until, aws
            )
            if notes is not None:
                for line in report_lines(report):
                    notes(line)
        for line in workspace_warnings(con, snapshot, workspace):
            if warn is not None:
                warn(line)
        return build_plan(con, snapshot, request, options)
    finally:
        con.close()
