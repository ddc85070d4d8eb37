"""`sgharden dry-run`: everything apply would do except the writes, written up for the ticket.

`dry-run.json` (machine-readable, schema `sgharden.dry-run/v1`) and `dry-run.md` (for people).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sgharden.act.awscheck import INVALID, LACKS_PERMISSION, CallCheck, check_aws
from sgharden.analysis.connections import snapshot_interface_ids
from sgharden.aws.clients import AwsContext
from sgharden.change.replay import ReplayResult, group_ports, replay
from sgharden.errors import InputError
from sgharden.moments import iso
from sgharden.plan.fingerprint import check_against_workspace
from sgharden.plan.read import Plan
from sgharden.render.ticket import environment
from sgharden.snapshot import Snapshot
from sgharden.workspace import open_workspace

SCHEMA = "sgharden.dry-run/v1"
PROTOCOLS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", -1: "all"}


@dataclass
class DryRunReport:
    plan: Plan
    replay: ReplayResult
    checks: list[CallCheck] | None = None  # None: --check-aws not asked
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def failed_checks(self) -> list[CallCheck]:
        return [c for c in self.checks or [] if c.outcome in (INVALID, LACKS_PERMISSION)]

    @property
    def ok(self) -> bool:
        return not self.replay.unsafe and not self.failed_checks

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "plan": str(self.plan.path),
            "plan_generated_at": self.plan.generated_at,
            "created_at": iso(self.created_at),
            "ok": self.ok,
            "replay": self.replay.to_dict(),
            "aws_checks": None if self.checks is None else [c.to_dict() for c in self.checks],
        }


def render_markdown(report: DryRunReport) -> str:
    env = environment(markdown=True)
    env.filters["proto"] = lambda n: PROTOCOLS.get(n, str(n))
    env.filters["iso"] = iso
    return env.get_template("dry_run.md.j2").render(
        report=report,
        plan=report.plan,
        replay=report.replay,
        ports=group_ports(report.replay),
        checks=report.checks,
    )


def write_report(report: DryRunReport, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "dry-run.json"
    md_path = out / "dry-run.md"
    json_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
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
