"""`sgharden apply PLAN.json`: make the plan's changes (authorize first, backup first)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sgharden.act.apply import DEFAULT_BACKUP_DIR, IAM_ACTIONS, apply_plan, check_workspace
from sgharden.act.awscheck import DEFAULT_RULE_LIMIT
from sgharden.act.stage import stage_plan
from sgharden.commands.aws_options import AwsOptions, aws_line, aws_options
from sgharden.commands.input_options import plan_argument
from sgharden.commands.output_options import Voice, voice_options
from sgharden.commands.workspace_option import workspace_option, workspace_to_read
from sgharden.errors import EXIT_PARTIAL
from sgharden.plan.fingerprint import check_plan_itself
from sgharden.plan.read import load_plan

__all__ = ["IAM_ACTIONS", "command"]


@click.command("apply")
@plan_argument
@click.option(
    "--group", "groups", multiple=True, metavar="SG_ID", help="Only this group (repeatable)."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--include-resources",
    is_flag=True,
    help="Also remove public IPs (EC2.9) and RDS public access (RDS.2); otherwise their commands are printed.",
)
@click.option(
    "--backup-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_BACKUP_DIR,
    show_default=True,
    help="Where the backup of the rules to restore is written before any change.",
)
@click.option(
    "--stage",
    is_flag=True,
    help="Phase 1 of a staged rollout: only authorize the new rules, revoke nothing, and write a "
    "stage record beside the backup (then `sgharden stage status`, `sgharden promote`).",
)
@click.option(
    "--rule-limit",
    type=click.IntRange(min=1),
    default=DEFAULT_RULE_LIMIT,
    show_default=True,
    help="With --stage: rules per security group and direction (your account's quota), "
    "checked with old and new rules together.",
)
@click.option(
    "--note", help="Add this note to the findings closed and set their workflow status to NOTIFIED."
)
@workspace_option(
    "The workspace the plan was made from, checked when present: a plan whose window's flow-log "
    "data changed since `propose` is refused before any AWS call (absent default: not checked)."
)
@voice_options
@aws_options
@click.pass_context
def command(
    click_ctx: click.Context,
    plan_path: Path,
    groups: tuple[str, ...],
    yes: bool,
    include_resources: bool,
    backup_dir: Path,
    stage: bool,
    rule_limit: int,
    note: str | None,
    workspace: Path,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Apply a plan: refuse on drift, back up, authorize new rules, then revoke old ones.

    Idempotent: a re-run after success changes nothing. On failure it stops and prints the
    rollback command. Exit 5 on drift or failure.
    """
    plan = load_plan(plan_path)
    check_plan_itself(plan)
    source = workspace_to_read(click_ctx, workspace)
    if source is not None:
        check_workspace(plan, source)
    voice.explain(f"workspace: {source or 'not checked'}")
    ctx = aws.context(click_ctx)
    voice.explain(aws_line(ctx))

    def confirm(lines: list[str]) -> bool:
        for line in lines:
            click.echo(line, err=True)
        return yes or click.confirm("Apply these changes?", err=True)

    if stage:
        staged = stage_plan(
            plan,
            ctx,
            only_groups=groups,
            backup_dir=backup_dir,
            rule_limit=rule_limit,
            confirm=confirm,
            progress=voice.progress,
        )
        if staged.nothing_to_do:
            click.echo("nothing to do: the new rules are already in place (staged before)")
        for line in staged.done:
            click.echo(line)
        if staged.record:
            click.echo(f"stage record: {staged.record}")
            click.echo(
                f"backup: {staged.backup}  (undo phase 1: sgharden rollback {staged.backup})"
            )
        return
    result = apply_plan(
        plan,
        ctx,
        only_groups=groups,
        include_resources=include_resources,
        backup_dir=backup_dir,
        note=note,
        confirm=confirm,
        progress=voice.progress,
    )
    if result.nothing_to_do:
        click.echo("nothing to do: the live rules are already as planned")
    for line in result.done:
        click.echo(line)
    if result.backup:
        click.echo(f"backup: {result.backup}  (undo: sgharden rollback {result.backup})")
    if result.printed_commands:
        click.echo("resource actions not run (add --include-resources to run them):")
        for line in result.printed_commands:
            click.echo(f"  {line}")
    if note and result.noted_findings:
        click.echo(f"findings noted (workflow NOTIFIED): {result.noted_findings}")
    for warning in result.warnings:
        voice.warn(warning)
    if result.warnings:
        sys.exit(EXIT_PARTIAL)
