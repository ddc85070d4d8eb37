"""`sgharden dry-run`: everything apply would do except the writes, written up for the ticket.

The orchestration: replay the window, check the calls with DryRun, write the two files. The
report type is change/dry_run_report.py, its Markdown render/dry_run.py.

`dry-run.json` (machine-readable, schema `sgharden.dry-run/v1`) and `dry-run.md` (for people).
"""

from __future__ import annotations

import json
from pathlib import Path

from sgharden.act.awscheck import check_aws
from sgharden.analysis.connections import snapshot_interface_ids
from sgharden.atomic_write import write_atomically
from sgharden.aws.clients import AwsContext
from sgharden.change.dry_run_report import DryRunReport
from sgharden.change.replay import replay
from sgharden.errors import InputError
from sgharden.plan.fingerprint import check_against_workspace
from sgharden.plan.read import Plan
from sgharden.render.dry_run import render_markdown
from sgharden.snapshot import Snapshot
from sgharden.workspace import open_workspace


def write_report(report: DryRunReport, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "dry-run.json"
    md_path = out / "dry-run.md"
    write_atomically(json_path, json.dumps(report.to_dict(), indent=2) + "\n")
    write_atomically(md_path, render_markdown(report))
    return md_path, json_path


def dry_run(
    plan: Plan,
    snapshot: Snapshot,
    workspace: Path | None,
    ctx: AwsContext | None,
    rule_limit: int,
    only_groups: tuple[str, ...] = (),
) -> DryRunReport:
    """Replay the window (from `workspace`, else the snapshot's flow logs ingested in memory) and,
    with an AWS context, check every call with DryRun."""
    if workspace is not None:
        if not workspace.exists():
            raise InputError(
                f"{workspace}: no workspace here",
                hint="run `sgharden propose` or `sgharden ingest` first",
            )
        # not read_only: open_workspace (re)creates its macros, which a read-only database refuses
        con = open_workspace(workspace)
    else:
        from sgharden.pipeline import ingest_snapshot

        con = open_workspace(None)
        ingest_snapshot(con, snapshot)
    try:
        against = f"the workspace {workspace}" if workspace else f"the flow logs in {snapshot.root}"
        check_against_workspace(plan, con, snapshot_interface_ids(snapshot), against)
        result = replay(con, plan, snapshot)
    finally:
        con.close()
    checks = check_aws(plan, ctx, rule_limit, only_groups) if ctx is not None else None
    return DryRunReport(plan, result, checks)
