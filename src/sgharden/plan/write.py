"""The plan: what to revoke, authorize and keep per security group, and what to do per resource.

A group's coverage, gaps and each rule's evidence are written as plan/model.py's types (the ones
plan/read.py reads back). The analysis measures coverage (analysis/coverage.Coverage: with the
window and the notes behind its verdict); a group plan carries what the plan states of it.

`Plan.to_dict()` is the `sgharden.plan/v1` JSON contract (docs/plan-schema.md). New fields may be
added; none is renamed or removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sgharden.acceptance import AcceptanceState, apply_to_plan
from sgharden.analysis.connections import Connection, Window
from sgharden.analysis.evidence import EvidenceSpec, SampleKey, rule_evidence
from sgharden.analysis.shut_out import ShutOut
from sgharden.model import Rule
from sgharden.plan.model import Coverage, Evidence
from sgharden.plan.schema import SCHEMA, GroupHeader, iso, proposed_rules


@dataclass(frozen=True)
class EvidenceContext:
    """What a plan line needs to write its evidence: raw samples, and SQL-computed evidence."""

    samples: Mapping[SampleKey, list[str]] = field(default_factory=dict)
    evidence: Mapping[EvidenceSpec, Evidence] = field(default_factory=dict)
    top: int = 20
    sample_size: int = 5


@dataclass(frozen=True)
class RuleDecision:
    """One rule to revoke, authorize or keep, why, and the connections that are its evidence."""

    rule: Rule
    reason: str
    connections: tuple[Connection, ...] = ()
    spec: EvidenceSpec | None = None  # evidence computed in SQL (Plan.evidence) instead
    counted_by: str | None = None  # how its connections were counted (analysis/counted_by.py)

    @property
    def real(self) -> tuple[Connection, ...]:
        return tuple(c for c in self.connections if not c.is_probe)

    @property
    def probes(self) -> tuple[Connection, ...]:
        return tuple(c for c in self.connections if c.is_probe)

    def to_dict(self, ctx: EvidenceContext | None = None) -> dict[str, Any]:
        ctx = ctx or EvidenceContext()
        if self.spec is not None:
            evidence = ctx.evidence[self.spec]
        else:
            evidence = rule_evidence(self.connections, ctx.samples, ctx.top, ctx.sample_size)
        if self.counted_by is not None:
            evidence = replace(evidence, counted_by=self.counted_by)
        return {**self.rule.to_ec2(), "reason": self.reason, "evidence": evidence.to_dict()}


@dataclass(frozen=True)
class GroupPlan(GroupHeader):
    coverage: Coverage
    revoke: tuple[RuleDecision, ...] = ()
    authorize: tuple[RuleDecision, ...] = ()
    keep: tuple[RuleDecision, ...] = ()
    warnings: tuple[str, ...] = ()
    current: tuple[Rule, ...] = ()  # the group's rules in the snapshot (for renderers)
    shut_out: ShutOut | None = None  # ready groups: who the change shuts out (analysis/shut_out.py)

    def proposed_rules(self) -> list[Rule]:
        """The group's rules once a ready plan is applied (current - revoke + authorize)."""
        return proposed_rules(
            self.current, (d.rule for d in self.revoke), (d.rule for d in self.authorize)
        )

    def to_dict(self, ctx: EvidenceContext | None = None) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "group_name": self.group_name,
            "vpc_id": self.vpc_id,
            "account_id": self.account_id,
            "region": self.region,
            "controls": list(self.controls),
            "findings": list(self.findings),
            "status": self.status,
            "coverage": self.coverage.to_dict(),
            "revoke": [d.to_dict(ctx) for d in self.revoke],
            "authorize": [d.to_dict(ctx) for d in self.authorize],
            "keep": [d.to_dict(ctx) for d in self.keep],
            "warnings": list(self.warnings),
            "shut_out": self.shut_out.to_dict() if self.shut_out else None,
        }


@dataclass(frozen=True)
class ResourcePlan:
    resource_id: str
    resource_type: str  # AwsEc2Instance | AwsRdsDbInstance
    control: str
    action: str  # remove-public-ip | keep-public-ip | disable-public-access | keep-public-access
    reason: str  #   | needs-more-data
    evidence: dict[str, Any]
    account_id: str
    region: str
    findings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "resource_type": self.resource_type,
            "control": self.control,
            "action": self.action,
            "reason": self.reason,
            "evidence": self.evidence,
            "account_id": self.account_id,
            "region": self.region,
            "findings": list(self.findings),
        }


@dataclass(frozen=True)
class Plan:
    generated_at: datetime
    window: Window
    settings: dict[str, Any]
    groups: tuple[GroupPlan, ...] = ()
    resources: tuple[ResourcePlan, ...] = ()
    samples: Mapping[SampleKey, list[str]] = field(default_factory=dict)
    evidence: Mapping[EvidenceSpec, Evidence] = field(default_factory=dict)
    # what the plan rests on (sgharden.plan.fingerprint.snapshot_inputs), checked by ticket/dry-run/apply
    inputs: Mapping[str, Any] | None = None
    # risk acceptances (sgharden.toml): rules and resources they match are kept as
    # `accepted-risk` with the entry and what they still admit (acceptance.apply_to_plan)
    accepted: AcceptanceState | None = None

    def to_dict(self) -> dict[str, Any]:
        ctx = EvidenceContext(
            self.samples,
            self.evidence,
            int(self.settings.get("top_sources", 20)),
            int(self.settings.get("samples_per_rule", 5)),
        )
        document = {
            "schema": SCHEMA,
            "generated_at": iso(self.generated_at),
            "window": {"start": iso(self.window.start), "end": iso(self.window.end)},
            "settings": self.settings,
            "groups": [g.to_dict(ctx) for g in self.groups],
            "resources": [r.to_dict() for r in self.resources],
            **({"inputs": dict(self.inputs)} if self.inputs is not None else {}),
        }
        if self.accepted is None or not self.accepted.in_force:
            return document
        return apply_to_plan(document, self.accepted)
