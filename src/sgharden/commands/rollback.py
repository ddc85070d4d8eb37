"""`sgharden rollback BACKUP.json`: restore exactly what `apply` changed."""

from __future__ import annotations

from pathlib import Path

import click

from sgharden.aws.clients import AwsContext
from sgharden.change.rollback import IAM_ACTIONS, rollback

__all__ = ["IAM_ACTIONS", "command"]


@click.command("rollback")
@click.argument(
    "backup_path", metavar="BACKUP.json", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--profile", help="AWS profile.")
@click.option("--role-name", help="Role to assume in each member account.")
def command(backup_path: Path, profile: str | None, role_name: str | None) -> None:
    """Re-authorize the revoked rules, then revoke the added ones. Safe to re-run."""
    result = rollback(backup_path, AwsContext(profile=profile, role_name=role_name))
    for line in result.done:
        click.echo(line)
    if not result.done:
        click.echo("nothing to do: the rules are already as before the change")
    for line in result.left_alone:
        click.echo(f"left alone: {line}", err=True)
