"""`sgharden ticket PLAN.json --snapshot DIR --out DIR`: change tickets and the HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from sgharden.plan.read import load_plan
from sgharden.render.report import write_report
from sgharden.render.ticket import write_tickets
from sgharden.snapshot import load_snapshot


@click.command("ticket")
@click.argument("plan_path", metavar="PLAN.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--snapshot",
    "snapshot_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The snapshot the plan was made from (findings, ENIs, current rules).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write one ticket folder per change into, and report.html.",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    metavar="SG_ID",
    help="Only this group (repeatable); resource tickets are then skipped.",
)
def command(
    plan_path: Path, snapshot_dir: Path | None, out_dir: Path, groups: tuple[str, ...]
) -> None:
    """Write a change ticket folder per security group with changes and per resource action.

    Each holds TICKET.md, evidence.csv, plan.json (this change only), the evidence query with its
    parameters, apply.sh, rollback.sh and (groups) change.tf; report.html covers the whole plan.
    """
    plan = load_plan(plan_path)
    snapshot = load_snapshot(snapshot_dir) if snapshot_dir else None
    folders = write_tickets(plan, snapshot, out_dir, groups)
    report = write_report(plan, snapshot, out_dir / "report.html")
    for folder in folders:
        click.echo(f"{folder.path}\t{folder.title}")
    click.echo(f"{report}\treport for the whole plan")
