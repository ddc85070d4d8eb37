"""What `sgharden dry-run` found, as values: the replay of the window and, with --check-aws, one
CallCheck per AWS call tried with DryRun. Pure: act/awscheck.py fills the checks, act/dryrun.py
the report, render/dry_run.py writes its Markdown."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sgharden.change.replay import ReplayResult
from sgharden.moments import iso
from sgharden.plan.read import Plan

SCHEMA = "sgharden.dry-run/v1"

WOULD_SUCCEED = "would-succeed"
LACKS_PERMISSION = "lacks-permission"
INVALID = "invalid"
NOT_CHECKABLE = "not-checkable"
OUTCOMES = (WOULD_SUCCEED, LACKS_PERMISSION, INVALID, NOT_CHECKABLE)


@dataclass(frozen=True)
class CallCheck:
    target: str  # group id or resource id
    account_id: str
    region: str
    call: str  # the EC2/RDS operation
    change: str  # what it does, for people
    outcome: str  # one of OUTCOMES
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
