"""`sgharden dry-run`: everything apply would do except the writes, written up for the ticket.

`dry-run.json` (machine-readable, schema `sgharden.dry-run/v1`) and `dry-run.md` (for people).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sgharden.change.awscheck import INVALID, LACKS_PERMISSION, CallCheck
from sgharden.change.replay import ReplayResult, group_ports
from sgharden.change.ticket import environment
from sgharden.planfile import Plan

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
            "created_at": self.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ok": self.ok,
            "replay": self.replay.to_dict(),
            "aws_checks": None if self.checks is None else [c.to_dict() for c in self.checks],
        }


def render_markdown(report: DryRunReport) -> str:
    env = environment()
    env.filters["proto"] = lambda n: PROTOCOLS.get(n, str(n))
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
