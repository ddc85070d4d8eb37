"""`sgharden flow-logs enable|status|disable`: flow logs on the ENIs behind a snapshot's findings."""

from __future__ import annotations

from pathlib import Path

import click

from sgharden.aws import flow_logs
from sgharden.commands.aws_options import AwsOptions, aws_line, aws_options
from sgharden.commands.input_options import snapshot_option
from sgharden.commands.output_options import Voice, emit, output_options, voice_options
from sgharden.commands.workspace_option import workspace_option
from sgharden.edge_reports import Destination
from sgharden.errors import EXIT_PARTIAL
from sgharden.render.rows import rows_text
from sgharden.render.summary import disable_table, enable_table, status_rows
from sgharden.snapshot import load_snapshot
from sgharden.targets import flagged_without_interfaces, interface_targets

_snapshot_option = snapshot_option(purpose="Its findings name the targets.")


@click.group("flow-logs")
def command() -> None:
    """Turn VPC Flow Logs on where the evidence is missing, watch them fill, turn them off."""


@command.command("enable")
@_snapshot_option
@click.option(
    "--destination",
    required=True,
    metavar="s3://BUCKET[/PREFIX] | cloudwatch:LOG_GROUP",
    help="Where the new flow logs deliver.",
)
@click.option("--role-arn", metavar="ARN", help="Delivery role (CloudWatch destination only).")
@click.option(
    "--file-format",
    type=click.Choice(["parquet", "plain-text"]),
    default="parquet",
    show_default=True,
)
@click.option("--hive", is_flag=True, help="Hive-compatible S3 prefixes.")
@click.option("--per-hour", is_flag=True, help="Partition S3 objects per hour (default per day).")
@click.option("--dry-run", is_flag=True, help="Call with DryRun=True and say what would be made.")
@voice_options
@aws_options
@click.pass_context
def enable(
    ctx: click.Context,
    snapshot_dir: Path,
    destination: str,
    role_arn: str | None,
    file_format: str,
    hive: bool,
    per_hour: bool,
    dry_run: bool,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Create a flow log on every target ENI that lacks a sufficient one (exit 4 if any failed)."""
    target = Destination.parse(destination, role_arn, file_format, hive, per_hour)
    snapshot = load_snapshot(snapshot_dir)
    targets = interface_targets(snapshot)
    idle = flagged_without_interfaces(snapshot)
    if idle:
        voice.warn(f"flagged, no ENI to log in the snapshot: {', '.join(idle)}")
    if not targets:
        click.echo("no target ENIs: the snapshot's in-scope findings have no interfaces")
        return
    aws_ctx = aws.context(ctx)
    voice.explain(aws_line(aws_ctx))
    plan = flow_logs.plan_enable(aws_ctx, targets)
    voice.progress(plan.cost_driver())
    report = flow_logs.apply_enable(aws_ctx, plan, target, dry_run=dry_run)
    click.echo(enable_table(report))
    if report.failed:
        ctx.exit(EXIT_PARTIAL)


@command.command("status")
@_snapshot_option
@workspace_option(
    "Workspace whose ingested data counts as delivered (absent: nothing delivered yet)."
)
@click.option(
    "--min-days",
    type=click.FloatRange(min=0, min_open=True),  # the same type as propose's --min-days
    default=flow_logs.DEFAULT_MIN_DAYS,
    show_default=True,
    help="The plan's minimum window.",
)
@output_options()
@voice_options
@aws_options
@click.pass_context
def status(
    ctx: click.Context,
    snapshot_dir: Path,
    workspace: Path,
    min_days: float,
    fmt: str,
    output: Path | None,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Per target ENI: flow log, destination, since when, format, data delivered, days to go."""
    targets = interface_targets(load_snapshot(snapshot_dir))
    aws_ctx = aws.context(ctx)
    voice.explain(f"{aws_line(aws_ctx)}; workspace {workspace}")
    rows = flow_logs.status(aws_ctx, targets, workspace=workspace, min_days=min_days)
    headers, cells = status_rows(rows, min_days)
    emit(rows_text(headers, cells, fmt, empty="no target ENIs"), output, voice)
    if any(r.error for r in rows):
        ctx.exit(EXIT_PARTIAL)


@command.command("disable")
@_snapshot_option
@click.option("--dry-run", is_flag=True, help="Call with DryRun=True and say what would go.")
@voice_options
@aws_options
@click.pass_context
def disable(
    ctx: click.Context,
    snapshot_dir: Path,
    dry_run: bool,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Delete the flow logs sgharden created (tag sgharden:managed=true) in the snapshot's
    accounts and regions; no other flow log is touched."""
    snapshot = load_snapshot(snapshot_dir)
    aws_ctx = aws.context(ctx)
    voice.explain(aws_line(aws_ctx))
    outcomes = flow_logs.disable(aws_ctx, snapshot.inventories, dry_run=dry_run)
    click.echo(disable_table(outcomes))
    if any(o.action == "failed" for o in outcomes):
        ctx.exit(EXIT_PARTIAL)
