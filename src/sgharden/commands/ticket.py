"""`sgharden ticket PLAN.json --snapshot DIR --out DIR`: change tickets and the HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from sgharden.commands.input_options import plan_argument, snapshot_option
from sgharden.commands.output_options import Voice, emit, output_options, voice_options
from sgharden.commands.workspace_option import workspace_option, workspace_to_read
from sgharden.plan.fingerprint import check_against_snapshot, check_plan_itself
from sgharden.plan.read import load_plan
from sgharden.render.rows import rows_text
from sgharden.review_pack import write_pack
from sgharden.snapshot import load_snapshot


@click.command("ticket")
@plan_argument
@snapshot_option(
    required=False, purpose="The one the plan was made from (findings, ENIs, current rules)."
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
@workspace_option(
    "The workspace the plan was made from: evidence.csv lists every source from it (checked "
    "against the plan's totals). Absent: only the plan's top sources, said so."
)
@output_options()
@voice_options
@click.pass_context
def command(
    click_ctx: click.Context,
    plan_path: Path,
    snapshot_dir: Path | None,
    out_dir: Path,
    groups: tuple[str, ...],
    workspace: Path,
    fmt: str,
    output: Path | None,
    voice: Voice,
) -> None:
    """Write a change ticket folder per security group with changes and per resource action.

    Each holds TICKET.md, evidence.csv, plan.json (this change only), the evidence query with its
    parameters, apply.sh, rollback.sh and (groups) change.tf; report.html covers the whole plan,
    dry-run.md the replay of the window (with the workspace).
    """
    source = workspace_to_read(click_ctx, workspace)
    voice.explain(f"workspace: {source or 'none'}")
    plan = load_plan(plan_path)
    check_plan_itself(plan)
    snapshot = load_snapshot(snapshot_dir) if snapshot_dir else None
    if snapshot is not None:
        check_against_snapshot(plan, snapshot)
    pack = write_pack(plan, snapshot, out_dir, groups, source or workspace)
    for warning in pack.warnings:
        voice.warn(warning)
    rows = [[str(f.path), f.kind, f.title] for f in pack.folders]
    rows.append([str(pack.report), "report", "report for the whole plan"])
    if pack.dry_run:
        rows.append([str(pack.dry_run), "dry-run", "dry run: the replay of the window"])
    emit(rows_text(["path", "kind", "what"], rows, fmt), output, voice)
