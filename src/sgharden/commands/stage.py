"""`sgharden stage status`: the soak of a staged rollout, per staged group."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from sgharden.change.soak import soak_status, status_document
from sgharden.change.stage_record import staged_groups
from sgharden.change.verify import ingest_after_change
from sgharden.commands.stage_options import staged_plan_options
from sgharden.errors import InputError
from sgharden.plan.read import load_plan
from sgharden.render.stage import soak_markdown, soak_table
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace


@click.group("stage")
def command() -> None:
    """Staged rollouts: `apply PLAN --stage` adds the narrow rules, `promote PLAN` revokes."""


@command.command("status")
@staged_plan_options(
    snapshot_help="The snapshot the plan was made from (interfaces and their groups).",
    workspace_help="Workspace with the flow logs since the stage (SOURCEs are ingested into it; default: in memory).",
    stage_dir_help="Where `apply --stage` wrote the stage record (its --backup-dir).",
    soak_help="Days of soak before a group is ready to promote.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
)
def status(
    plan_path: Path,
    sources: tuple[str, ...],
    snapshot_dir: Path,
    workspace: Path | None,
    stage_dir: Path,
    min_soak_days: int,
    fmt: str,
) -> None:
    """Per staged group: days soaked, real use covered by the rules that remain, real use admitted
    only by a rule to be revoked (with its sources), probes that will be shut out, and whether it
    is ready to promote and why."""
    plan = load_plan(plan_path)
    if not sources and workspace is None:
        raise InputError(
            "stage status needs the flow logs since the stage",
            hint="give them as SOURCE arguments (files, folders, s3://...) or --workspace PATH",
        )
    staged = staged_groups(plan, stage_dir)
    snapshot = load_snapshot(snapshot_dir)
    con = open_workspace(workspace)
    if sources:
        report = ingest_after_change(con, list(sources), snapshot)
        click.echo(
            f"ingested {report.records:,} records from {report.objects_read} object(s)", err=True
        )
    now = datetime.now(UTC).replace(tzinfo=None)
    soaks = soak_status(con, plan, snapshot, staged, now, min_soak_days)
    if fmt == "json":
        click.echo(json.dumps(status_document(soaks, now), indent=2))
    elif fmt == "markdown":
        click.echo(soak_markdown(soaks), nl=False)
    else:
        click.echo(soak_table(soaks), nl=False)
