"""`sgharden dry-run PLAN.json --snapshot DIR`: replay the window, and optionally ask AWS (DryRun)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sgharden.act.awscheck import DEFAULT_RULE_LIMIT, IAM_ACTIONS
from sgharden.act.dryrun import dry_run, write_report
from sgharden.change.dry_run_report import DryRunReport
from sgharden.commands.aws_options import AwsOptions, aws_line, aws_options
from sgharden.commands.input_options import plan_argument, snapshot_option
from sgharden.commands.output_options import Voice, emit, output_options, voice_options
from sgharden.commands.workspace_option import workspace_option, workspace_to_read
from sgharden.errors import EXIT_SAFETY
from sgharden.plan.fingerprint import check_against_snapshot, check_plan_itself
from sgharden.plan.read import load_plan
from sgharden.render.dry_run import render_markdown
from sgharden.render.dry_run_table import dry_run_table
from sgharden.snapshot import load_snapshot

__all__ = ["IAM_ACTIONS", "command"]


@click.command("dry-run")
@plan_argument
@snapshot_option(purpose="The one the plan was made from.")
@workspace_option(
    "Workspace holding the window's flow logs, used when present (absent default: the "
    "snapshot's flow-logs/ are ingested in memory)."
)
@click.option(
    "--check-aws",
    "check_aws_flag",
    is_flag=True,
    help="Also make every change as an AWS call with DryRun=True.",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    metavar="SG_ID",
    help="Only check this group's calls (repeatable).",
)
@click.option(
    "--rule-limit",
    type=int,
    default=DEFAULT_RULE_LIMIT,
    show_default=True,
    help="Rules per security group and direction (your account's quota).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder dry-run.md and dry-run.json (for the ticket) go into.",
)
@output_options(default="markdown")
@voice_options
@aws_options
@click.pass_context
def command(
    click_ctx: click.Context,
    plan_path: Path,
    snapshot_dir: Path,
    workspace: Path,
    check_aws_flag: bool,
    groups: tuple[str, ...],
    rule_limit: int,
    out_dir: Path,
    fmt: str,
    output: Path | None,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Show what applying the plan would do, without changing anything.

    Replays every connection of the plan's window against the current and the proposed rules and
    reports what would newly be denied (real use and probes, per group and port). Exit 5 when a
    ready group would cut real use, or an AWS check says a call would fail.
    """
    plan = load_plan(plan_path)
    check_plan_itself(plan)
    snapshot = load_snapshot(snapshot_dir)
    check_against_snapshot(plan, snapshot)
    source = workspace_to_read(click_ctx, workspace)
    voice.explain(f"workspace: {source or 'in memory, from the snapshot'}")
    ctx = None
    if check_aws_flag:
        ctx = aws.context(click_ctx)
        voice.explain(f"AWS checks: {aws_line(ctx)}")
    report = dry_run(plan, snapshot, source, ctx, rule_limit, groups)
    if source is None:
        voice.progress(f"replayed the flow logs in {snapshot.root} (no workspace at {workspace})")
    result = report.replay
    md_path, json_path = write_report(report, out_dir)
    voice.progress(f"written: {md_path}, {json_path}")
    emit(_text(report, fmt), output, voice)
    if result.unsafe:
        named = "; ".join(
            f"{d.remote_addr} -> {d.interface_id} port {d.port} ({d.connections} connections, {', '.join(d.group_ids)})"
            for d in result.unsafe[:10]
        )
        click.echo(f"sgharden: error: the plan would cut real use: {named}", err=True)
        sys.exit(EXIT_SAFETY)
    if report.failed_checks:
        click.echo(
            f"sgharden: error: {len(report.failed_checks)} AWS call(s) would fail (see the AWS checks)",
            err=True,
        )
        sys.exit(EXIT_SAFETY)


def _text(report: DryRunReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2)
    if fmt == "table":
        failed = None if report.checks is None else len(report.failed_checks)
        return dry_run_table(report.replay, failed)
    return render_markdown(report)
