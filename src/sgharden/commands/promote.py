"""`sgharden promote PLAN.json`: phase 2 of a staged rollout, the revokes of the groups that soaked."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sgharden.act.promote import IAM_ACTIONS, promote
from sgharden.commands.aws_options import AwsOptions, aws_line, aws_options
from sgharden.commands.output_options import Voice, voice_options
from sgharden.commands.stage_options import staged_plan_options
from sgharden.commands.workspace_option import logs_workspace
from sgharden.errors import EXIT_SAFETY
from sgharden.pipeline import ingest_after_change
from sgharden.plan.read import load_plan
from sgharden.render.stage import soak_table
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace

__all__ = ["IAM_ACTIONS", "command"]


@click.command("promote")
@staged_plan_options(
    snapshot_purpose="The one the plan was made from.",
    workspace_help="Workspace with the flow logs since the stage (SOURCEs are ingested into it; "
    "created when absent).",
    stage_dir_help="Where the stage record is; the backup of the revokes is written there too.",
    soak_help="Days a group must have soaked (at least 1).",
)
@click.option(
    "--group", "groups", multiple=True, metavar="SG_ID", help="Only this group (repeatable)."
)
@click.option(
    "--refresh",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a plan that adds the blocking sources to this file, for review; changes nothing.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@voice_options
@aws_options
@click.pass_context
def command(
    click_ctx: click.Context,
    plan_path: Path,
    sources: tuple[str, ...],
    snapshot_dir: Path,
    workspace: Path,
    stage_dir: Path,
    min_soak_days: int,
    groups: tuple[str, ...],
    refresh: Path | None,
    yes: bool,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Revoke the wide rules of each staged group whose soak shows every real connection admitted
    by the rules that remain. Refuses on drift or a changed plan file; a group with a real source
    admitted only by a rule to be revoked is not promoted and its sources are named (exit 5)."""
    plan = load_plan(plan_path)
    target = logs_workspace(workspace, sources, "promote needs the flow logs since the stage")
    voice.explain(f"workspace: {target or 'in memory'}")
    snapshot = load_snapshot(snapshot_dir)
    ctx = aws.context(click_ctx)
    voice.explain(aws_line(ctx))
    con = open_workspace(target)
    if sources:
        report = ingest_after_change(con, list(sources), snapshot, ctx)
        voice.progress(f"ingested {report.records:,} records from {report.objects_read} object(s)")

    def confirm(lines: list[str]) -> bool:
        for line in lines:
            click.echo(line, err=True)
        return yes or click.confirm("Revoke these rules?", err=True)

    result = promote(
        plan,
        ctx,
        con,
        snapshot,
        stage_dir=stage_dir,
        min_soak_days=min_soak_days,
        only_groups=groups,
        refresh=refresh,
        confirm=confirm,
        progress=voice.progress,
    )
    click.echo(soak_table(result.soaks), nl=False)
    for gid in result.already:
        click.echo(f"{gid}: already promoted, nothing to do")
    for line in result.done:
        click.echo(line)
    if result.backup:
        click.echo(f"backup: {result.backup}  (undo phase 2: sgharden rollback {result.backup})")
    if result.refreshed_plan:
        click.echo(
            f"refreshed plan for review: {result.refreshed_plan} — nothing was changed; stage it "
            f"with `sgharden apply {result.refreshed_plan} --stage`, then promote it"
        )
        return
    if result.refused:
        for soak in result.refused:
            click.echo(
                f"sgharden: error: {soak.group_id} not promoted: {'; '.join(soak.reasons)}",
                err=True,
            )
        sys.exit(EXIT_SAFETY)
