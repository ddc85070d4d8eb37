"""`sgharden triage --snapshot DIR`: every in-scope finding into fix now / decide / wait /
accepted / no change needed, from the plan `propose` makes (the same library path)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import click
import duckdb

from sgharden.acceptance import acceptances_for, apply_to_plan
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.triage import Ordering, Triage, triage
from sgharden.analysis.workspace_check import workspace_warnings
from sgharden.aws.clients import AwsContext
from sgharden.commands.accepted_option import accepted_option
from sgharden.commands.aws_options import AwsOptions, s3_options
from sgharden.commands.ingest import progress_printer
from sgharden.commands.input_options import plan_option, snapshot_option
from sgharden.commands.output_options import Voice, emit_written, voice_options
from sgharden.commands.workspace_option import workspace_option, workspace_to_write
from sgharden.errors import InputError
from sgharden.findings import in_scope
from sgharden.pipeline import WindowRequest, build_plan, ingest_snapshot, report_lines
from sgharden.render.triage import TriageFormat, triage_writer
from sgharden.snapshot import Snapshot, load_snapshot, snapshot_parts
from sgharden.triage_parts import triage_parts
from sgharden.workspace import open_workspace


def triage_snapshot(
    snapshot_dir: Path,
    workspace: str | None,
    ordering: Ordering,
    plan_path: Path | None = None,
    do_ingest: bool = True,
    flow_logs: tuple[str, ...] = (),
    days: float | None = None,
    quiet: bool = True,
    accepted_path: Path | None = None,
    today: date | None = None,
    aws: AwsContext | None = None,
) -> Triage:
    """Plan the snapshot as `propose` does (or read the plan it wrote), then triage it."""
    if plan_path is not None:
        try:
            plan = json.loads(plan_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"{plan_path}: not a readable plan JSON ({exc})",
                hint="write one with `sgharden propose --format json --output PLAN.json`",
            ) from None
        if not isinstance(plan, dict) or plan.get("schema") != "sgharden.plan/v1":
            raise InputError(f"{plan_path}: schema is not sgharden.plan/v1")
        read = load_snapshot(snapshot_dir)
        state = acceptances_for(accepted_path, today or datetime.now(UTC).date())
        plan = apply_to_plan(plan, state)
        result = triage(plan, read, ordering, state.accepted_findings(in_scope(read.findings)))
        return replace(result, warnings=(*result.warnings, *state.warnings()))
    parts = snapshot_parts(snapshot_dir)
    snapshot = load_snapshot(snapshot_dir) if parts is None else None
    state = acceptances_for(accepted_path, today or datetime.now(UTC).date())
    con = open_workspace(workspace)
    try:
        streamed = None
        if parts is not None:  # one run of account/regions at a time (sgharden.triage_parts)
            streamed = triage_parts(
                con,
                snapshot_dir,
                parts,
                state,
                ordering,
                WindowRequest(days=days),
                workspace,
                ingest=partial(_ingest, con, flow_logs, quiet, aws) if do_ingest else None,
                extra_sources=bool(flow_logs),
            )
            do_ingest = False  # done already, should the snapshot have to be read whole
        if streamed is not None:
            result, workspace_lines = streamed
        else:
            snapshot = snapshot or load_snapshot(snapshot_dir)
            if do_ingest:
                _ingest(con, flow_logs, quiet, aws, snapshot)
            workspace_lines = workspace_warnings(con, snapshot, workspace)
            whole = build_plan(
                con, snapshot, WindowRequest(days=days), PlannerOptions(), require_traffic=False
            )
            plan = apply_to_plan(whole.to_dict(), state)
            accepted = state.accepted_findings(in_scope(snapshot.findings))
            result = triage(plan, snapshot, ordering, accepted)
    finally:
        con.close()
    return replace(result, warnings=(*workspace_lines, *result.warnings, *state.warnings()))


def _ingest(
    con: duckdb.DuckDBPyConnection,
    flow_logs: tuple[str, ...],
    quiet: bool,
    aws: AwsContext | None,
    snapshot: Snapshot,
) -> None:
    """The snapshot's flow logs (and `flow_logs`) into the workspace, as propose ingests them."""
    report = ingest_snapshot(
        con,
        snapshot,
        flow_logs,
        progress_printer(quiet),  # type: ignore[arg-type]
        aws=aws,
    )
    if not quiet:
        for line in report_lines(report):
            click.echo(line, err=True)


@click.command("triage")
@snapshot_option()
@workspace_option("DuckDB workspace (created when absent).")
@plan_option(purpose="Triage it instead of planning again.")
@click.option(
    "--order",
    type=click.Choice([o.value for o in Ordering]),
    default=Ordering.SEVERITY.value,
    show_default=True,
    help="Order within each bucket: severity; pressure (scanner sources/day, real users); "
    "blast (ENIs, instances, public IPs); effort (fewest rules to change first).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in TriageFormat]),
    default=TriageFormat.TABLE.value,
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result to this file instead of stdout.",
)
@accepted_option
@click.option("--days", type=float, help="Analyse the last N days of data.")
@click.option("--no-ingest", is_flag=True, help="Use the workspace as it is.")
@click.option("--flow-logs", "flow_logs", multiple=True, help="More flow-log sources (s3://...).")
@voice_options
@s3_options
@click.pass_context
def command(
    ctx: click.Context,
    snapshot_dir: Path,
    workspace: Path,
    plan_path: Path | None,
    order: str,
    fmt: str,
    output: Path | None,
    days: float | None,
    no_ingest: bool,
    flow_logs: tuple[str, ...],
    accepted_path: Path | None,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Put every in-scope finding into one bucket: fix now, decide, wait, accepted, no change.

    The summary line comes first; totals per bucket x control x account/region close the report.
    """
    target = workspace_to_write(workspace)
    voice.explain(f"workspace: {target or 'in memory'}")
    result = triage_snapshot(
        snapshot_dir,
        None if target is None else str(target),
        Ordering(order),
        plan_path,
        not no_ingest,
        flow_logs,
        days,
        voice.quiet,
        accepted_path,
        aws=aws.context(ctx),
    )
    for warning in result.warnings:
        click.echo(f"sgharden: warning: {warning}", err=True)
    if output:  # the result is in the file; its one-line summary is shown even when quiet
        click.echo(result.summary_line(), err=True)
    emit_written(partial(triage_writer(fmt), result), output, voice)
