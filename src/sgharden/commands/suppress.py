"""`sgharden suppress --snapshot DIR --accepted sgharden.toml`: Security Hub workflow status from
the accepted risks (SUPPRESSED while in force, NOTIFIED once expired)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from sgharden.acceptance import load_acceptances, split_by_expiry
from sgharden.act.suppress import IAM_ACTIONS, planned_updates, suppress
from sgharden.commands.aws_options import AwsOptions, aws_line, aws_options
from sgharden.commands.input_options import snapshot_option
from sgharden.commands.output_options import Voice, voice_options
from sgharden.errors import EXIT_PARTIAL
from sgharden.snapshot import load_snapshot

__all__ = ["IAM_ACTIONS", "command"]


@click.command("suppress")
@snapshot_option(purpose="Its findings.json files name the findings.")
@click.option(
    "--accepted",
    "accepted_path",
    default="sgharden.toml",
    show_default=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Accepted risks (docs/workflow.md).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send nothing.")
@voice_options
@aws_options
@click.pass_context
def command(
    click_ctx: click.Context,
    snapshot_dir: Path,
    accepted_path: Path,
    dry_run: bool,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Set SUPPRESSED (with a note quoting the entry) on findings an accepted risk covers, and
    NOTIFIED on those whose entry expired. Findings already in that status are left alone."""
    today = datetime.now(UTC).date()
    state = split_by_expiry(load_acceptances(accepted_path), today)
    for warning in state.warnings():
        click.echo(f"sgharden: warning: {warning}", err=True)
    updates = planned_updates(load_snapshot(snapshot_dir).findings, state, today)
    verb = "would set" if dry_run else "set"
    for u in updates:
        click.echo(
            f"{verb} {u.status} on {len(u.finding_ids)} finding(s) in {u.account_id}/{u.region} "
            f"({u.entry_id})"
        )
    if not updates:
        click.echo("nothing to do: every covered finding already has its status")
    if dry_run or not updates:
        return
    ctx = aws.context(click_ctx)
    voice.explain(aws_line(ctx))
    result = suppress(ctx, updates)
    voice.progress(f"{result.processed} finding(s) updated")
    for failure in result.failures:
        click.echo(f"sgharden: warning: {failure}", err=True)
    if result.failures:
        sys.exit(EXIT_PARTIAL)
