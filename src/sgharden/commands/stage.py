"""`sgharden stage status`: the soak of a staged rollout, per staged group."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from sgharden.change.soak import soak_status, status_document
from sgharden.change.stage_record import staged_groups
from sgharden.commands.aws_options import AwsOptions, s3_options
from sgharden.commands.output_options import Voice, emit, output_options, voice_options
from sgharden.commands.stage_options import staged_plan_options
from sgharden.commands.workspace_option import logs_workspace
from sgharden.pipeline import ingest_after_change
from sgharden.plan.read import load_plan
from sgharden.render.stage import soak_markdown, soak_table
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace


@click.group("stage")
def command() -> None:
    """Staged rollouts: `apply PLAN --stage` adds the narrow rules, `promote PLAN` revokes."""


@command.command("status")
@staged_plan_options(
    snapshot_purpose="The one the plan was made from (interfaces and their groups).",
    workspace_help="Workspace with the flow logs since the stage (SOURCEs are ingested into it; "
    "created when absent).",
    stage_dir_help="Where `apply --stage` wrote the stage record (its --backup-dir).",
    soak_help="Days of soak before a group is ready to promote.",
)
@output_options()
@voice_options
@s3_options
@click.pass_context
def status(
    ctx: click.Context,
    plan_path: Path,
    sources: tuple[str, ...],
    snapshot_dir: Path,
    workspace: Path,
    stage_dir: Path,
    min_soak_days: int,
    fmt: str,
    output: Path | None,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Per staged group: days soaked, real use covered by the rules that remain, real use admitted
    only by a rule to be revoked (with its sources), probes that will be shut out, and whether it
    is ready to promote and why."""
    plan = load_plan(plan_path)
    target = logs_workspace(workspace, sources, "stage status needs the flow logs since the stage")
    voice.explain(f"workspace: {target or 'in memory'}")
    staged = staged_groups(plan, stage_dir)
    snapshot = load_snapshot(snapshot_dir)
    con = open_workspace(target)
    if sources:
        report = ingest_after_change(con, list(sources), snapshot, aws.context(ctx))
        voice.progress(f"ingested {report.records:,} records from {report.objects_read} object(s)")
    now = datetime.now(UTC).replace(tzinfo=None)
    soaks = soak_status(con, plan, snapshot, staged, now, min_soak_days)
    if fmt == "json":
        text = json.dumps(status_document(soaks, now), indent=2)
    elif fmt == "markdown":
        text = soak_markdown(soaks)
    else:
        text = soak_table(soaks)
    emit(text, output, voice)
