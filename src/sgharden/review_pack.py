"""`sgharden ticket`: the whole review pack from a plan, its snapshot and its workspace.

With the workspace the plan was made from, the pack is complete: every source of every rule in
evidence.csv (change/all_sources.py) and the dry-run verdict (the replay `sgharden dry-run` makes)
in each TICKET.md, in report.html and in dry-run.md beside them. Without it, the tickets say
exactly what they lack and how to get it; nothing claims "all" when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sgharden.act.dryrun import write_report as write_dry_run
from sgharden.analysis.connections import snapshot_interface_ids
from sgharden.change.all_sources import AllSources, read_all_sources
from sgharden.change.dry_run_report import DryRunReport
from sgharden.change.replay import replay
from sgharden.change.verdict import GroupVerdict, group_verdicts
from sgharden.plan.fingerprint import check_against_workspace
from sgharden.plan.read import Plan
from sgharden.render.report import write_report
from sgharden.render.ticket import TicketFolder, rule_query_parameters, write_tickets
from sgharden.snapshot import Snapshot
from sgharden.workspace import open_workspace


@dataclass(frozen=True)
class TicketPack:
    folders: tuple[TicketFolder, ...]
    report: Path
    dry_run: Path | None  # dry-run.md, when the workspace was there to replay
    warnings: tuple[str, ...]


def write_pack(
    plan: Plan,
    snapshot: Snapshot | None,
    out: Path,
    groups: tuple[str, ...],
    workspace: Path | None,
) -> TicketPack:
    every: AllSources | None = None
    verdicts: dict[str, GroupVerdict] | None = None
    dry_run_md: Path | None = None
    warnings: list[str] = []
    if snapshot is None or workspace is None or not workspace.exists():
        missing = "no --snapshot" if snapshot is None else f"no workspace at {workspace}"
        warnings.append(
            f"{missing}: evidence.csv holds only the plan's top sources per rule and the "
            "tickets carry no dry-run verdict"
        )
    else:
        con = open_workspace(workspace, read_only=True)
        try:
            # before any file is written: evidence from other flow-log data is no evidence
            check_against_workspace(
                plan, con, snapshot_interface_ids(snapshot), f"the workspace {workspace}"
            )
            chosen = plan.groups_to_change(groups)
            every = read_all_sources(
                con,
                plan,
                chosen,
                lambda g: rule_query_parameters(plan, g, snapshot),
                str(workspace),
            )
            result = replay(con, plan, snapshot)
        finally:
            con.close()
        verdicts = group_verdicts(plan, snapshot, result)
        dry_run_md, _ = write_dry_run(DryRunReport(plan, result), out)
    folders = write_tickets(plan, snapshot, out, groups, every, verdicts)
    report = write_report(plan, snapshot, out / "report.html", verdicts, every)
    return TicketPack(tuple(folders), report, dry_run_md, tuple(warnings))
