"""`sgharden rollback BACKUP.json`: restore exactly what `apply` changed."""

from __future__ import annotations

from pathlib import Path

import click

from sgharden.act.rollback import IAM_ACTIONS, rollback
from sgharden.commands.aws_options import AwsOptions, aws_line, aws_options
from sgharden.commands.output_options import Voice, voice_options

__all__ = ["IAM_ACTIONS", "command"]


@click.command("rollback")
@click.argument(
    "backup_path", metavar="BACKUP.json", type=click.Path(dir_okay=False, path_type=Path)
)
@voice_options
@aws_options
@click.pass_context
def command(
    click_ctx: click.Context,
    backup_path: Path,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Re-authorize the revoked rules, then revoke the added ones. Safe to re-run."""
    ctx = aws.context(click_ctx)
    voice.explain(aws_line(ctx))
    result = rollback(backup_path, ctx)
    for line in result.done:
        click.echo(line)
    if not result.done:
        click.echo("nothing to do: the rules are already as before the change")
    for line in result.left_alone:
        voice.warn(f"left alone: {line}")
