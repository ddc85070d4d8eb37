# Over ~400 lines: one bucket rule per finding kind, read against docs/workflow.md.
"""Triage: every in-scope finding of a snapshot into one bucket of work, from the plan propose made.

Pure: the plan (its `sgharden.plan/v1` dict, exactly what `propose --format json` writes), the
snapshot's findings and inventory, and the risk acceptances in force go in; a `Triage` comes out.
Nothing is decided again here: the bucket of a group or resource follows its plan status/action.

Buckets (docs/workflow.md):
- fix now:  a `ready` group with a change, or a resource whose action changes it;
- decide:   a status a person must settle (`needs-decision`, or any status this version does not
            know: a newer planner's verdict is never mistaken for "ready"), or a default group
            (EC2.2) that still has ENIs (they must move to another group first);
- wait:     `needs-more-data`: days to go, ENIs without flow logs, the `flow-logs enable` command;
            also findings whose resource is not in the snapshot (collect again);
- accepted: every finding of the target is covered by a risk acceptance in force;
- no change needed: `no-change`, a ready group with nothing to change, a `keep-*` resource.
"""

from __future__ import annotations

import shlex
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from sgharden.analysis.matching import rule_allows
from sgharden.findings import SEVERITY_ORDER, in_scope
from sgharden.model import Finding, Inventory, Rule
from sgharden.moments import parse
from sgharden.plan.schema import CHANGING_ACTIONS
from sgharden.snapshot import Snapshot


class Bucket(StrEnum):
    FIX_NOW = "fix now"
    DECIDE = "decide"
    WAIT = "wait"
    ACCEPTED = "accepted"
    NO_CHANGE = "no change needed"


class Ordering(StrEnum):
    SEVERITY = "severity"
    PRESSURE = "pressure"  # scanner sources per day on the target's ports, then real users reached
    BLAST = "blast"  # ENIs, instances and public IPs behind the target
    EFFORT = "effort"  # fewest rules to change first


KEEP_ACTIONS = ("keep-public-ip", "keep-public-access")


class FindingRow(NamedTuple):
    """What a triage keeps of a finding until it is written: its ids and what the totals count
    it under. A whole Finding (title, ARNs, states) is ~450 B more, and a triage keeps every
    in-scope finding to the end of the run."""

    finding_id: str
    control: str
    account_id: str
    region: str
    duplicate_ids: tuple[str, ...]


def _kept(findings: Iterable[Finding]) -> tuple[FindingRow, ...]:
    return tuple(
        FindingRow(f.finding_id, f.control, f.account_id, f.region, f.duplicate_ids)
        for f in findings
    )


@dataclass(frozen=True)
class Target:
    """One group or resource of the plan, the in-scope findings it answers, and why its bucket."""

    kind: str  # "group" | "resource" | "unresolved"
    target_id: str
    account_id: str
    region: str
    status: str  # the plan's group status or resource action
    bucket: Bucket
    reason: str
    controls: tuple[str, ...]
    findings: tuple[FindingRow, ...]
    severity: str  # the highest of its findings
    scanner_sources_per_day: float = 0.0
    real_users: int = 0
    real_users_affected: int = 0  # real sources of revoked rules no rule after the change admits
    enis: int = 0
    instances: int = 0
    public_ips: int = 0
    rules_to_change: int = 0
    days_to_go: float | None = None
    uncovered_enis: tuple[str, ...] = ()
    accepted: tuple[dict[str, Any], ...] = ()  # the acceptance records that apply

    def sort_key(self, ordering: Ordering) -> tuple[Any, ...]:
        sev = _severity_rank(self.severity)
        if ordering is Ordering.SEVERITY:
            return (sev, -len(self.findings), self.target_id)
        if ordering is Ordering.PRESSURE:
            return (-self.scanner_sources_per_day, -self.real_users, sev, self.target_id)
        if ordering is Ordering.BLAST:
            return (-self.enis, -self.instances, -self.public_ips, sev, self.target_id)
        return (self.rules_to_change, sev, self.target_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target_id": self.target_id,
            "account_id": self.account_id,
            "region": self.region,
            "status": self.status,
            "bucket": self.bucket.value,
            "reason": self.reason,
            "controls": list(self.controls),
            "severity": self.severity,
            "findings": [f.finding_id for f in self.findings],
            "duplicate_findings": [i for f in self.findings for i in f.duplicate_ids],
            "scanner_sources_per_day": round(self.scanner_sources_per_day, 3),
            "real_users": self.real_users,
            "real_users_affected": self.real_users_affected,
            "enis": self.enis,
            "instances": self.instances,
            "public_ips": self.public_ips,
            "rules_to_change": self.rules_to_change,
            "days_to_go": None if self.days_to_go is None else round(self.days_to_go, 2),
            "uncovered_enis": list(self.uncovered_enis),
            "accepted": list(self.accepted),
        }


@dataclass(frozen=True)
class Triage:
    targets: tuple[Target, ...]
    ordering: Ordering
    flow_logs_command: str | None = None  # how to start the wait for ENIs without flow logs
    warnings: tuple[str, ...] = ()
    totals: tuple[tuple[str, str, str, str, int], ...] = field(default=())
    # (bucket, control, account, region, findings)

    @property
    def finding_count(self) -> int:
        return sum(len(t.findings) for t in self.targets)

    def in_bucket(self, bucket: Bucket) -> list[Target]:
        return [t for t in self.targets if t.bucket is bucket]

    def median_wait_days(self) -> float | None:
        days = [t.days_to_go for t in self.in_bucket(Bucket.WAIT) if t.days_to_go is not None]
        return statistics.median(days) if days else None

    def summary_line(self) -> str:
        counts = Counter(t.bucket for t in self.targets)
        affected = sum(t.real_users_affected for t in self.in_bucket(Bucket.FIX_NOW))
        median = self.median_wait_days()
        wait = f"{counts[Bucket.WAIT]:,} wait"
        if median is not None:
            wait += f" (median {median:g} days)"
        groups = sum(1 for t in self.targets if t.kind == "group")
        others = len(self.targets) - groups
        scope = f"{groups:,} groups" + (f" + {others:,} resources" if others else "")
        return (
            f"{self.finding_count:,} network findings → {scope}: "
            f"{counts[Bucket.FIX_NOW]:,} fix now ({affected:,} real users affected), "
            f"{counts[Bucket.DECIDE]:,} decide, {wait}, {counts[Bucket.ACCEPTED]:,} accepted, "
            f"{counts[Bucket.NO_CHANGE]:,} no change needed"
        )

    def to_dict(self) -> dict[str, Any]:
        return self.document([t.to_dict() for t in self.targets])

    def document(self, targets: Any) -> dict[str, Any]:
        """`to_dict()` with `targets` in the place of its list of target dicts (the JSON writer
        passes one that makes each target's dict as it is written)."""
        return {
            "schema": "sgharden.triage/v1",
            "summary": self.summary_line(),
            "ordering": self.ordering.value,
            "findings": self.finding_count,
            "buckets": {b.value: len(self.in_bucket(b)) for b in Bucket},
            "median_wait_days": self.median_wait_days(),
            "flow_logs_command": self.flow_logs_command,
            "totals": [
                {"bucket": b, "control": c, "account_id": a, "region": r, "findings": n}
                for b, c, a, r, n in self.totals
            ],
            "targets": targets,
            "warnings": list(self.warnings),
        }


def _severity_rank(label: str) -> int:
    return SEVERITY_ORDER.index(label) if label in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _highest(findings: Iterable[Finding]) -> str:
    return min((f.severity for f in findings), key=_severity_rank, default="")


def _rule(raw: Mapping[str, Any], group_id: str) -> Rule | None:
    try:
        return Rule.from_ec2(dict(raw), group_id)
    except (KeyError, ValueError, TypeError):
        return None  # a rule shape this version cannot read never counts as admitted


def _affected(group: Mapping[str, Any], inventory: Inventory | None) -> int:
    """Real sources of revoked ingress rules that no rule left after the change admits.

    The planner's safety invariant says this is 0 for a ready group; triage counts it from the
    plan's own evidence (its top sources per rule) so the manager's number is checked, not assumed.
    """
    if inventory is None:
        return 0
    after = [
        r
        for raw in (*group.get("authorize", []), *group.get("keep", []))
        if (r := _rule(raw, str(group["group_id"]))) is not None and not r.is_egress
    ]
    cut: set[str] = set()
    for raw in group.get("revoke", []):
        revoked = _rule(raw, str(group["group_id"]))
        if revoked is None or revoked.is_egress:
            continue
        low, high = revoked.port_range()
        # the (protocol, port) pairs on which a rule after the change could still admit a source
        # of the revoked rule (the evidence names sources, not the port each one used)
        pairs = {(revoked.protocol, low)} if revoked.protocol != -1 else set()
        for r in after:
            r_low, r_high = r.port_range()
            if revoked.protocol == -1:
                pairs.add((r.protocol, r_low))
            elif r.allows_port(revoked.protocol, None) and r_low <= high and r_high >= low:
                pairs.add((revoked.protocol, max(low, r_low)))
        for source in (raw.get("evidence") or {}).get("sources", []):
            address = str(source.get("address", ""))
            if not any(
                rule_allows(r, proto, port, address, inventory)
                for r in after
                for proto, port in pairs
            ):
                cut.add(address)
    return len(cut)


def _days_to_go(group: Mapping[str, Any], settings: Mapping[str, Any]) -> float:
    """Days of delivered flow logs still missing before the coverage gate can pass.

    Assumes no new gaps: an uncovered ENI needs the whole window from when its log is enabled;
    a short window needs the rest of it; gaps over the limit need a window long enough to dilute
    them under `max_gap_share`.
    """
    cov = group.get("coverage") or {}
    min_days = float(settings.get("min_window_days", 14.0))
    max_gap = float(settings.get("max_gap_share", 0.02)) or 1.0
    days = float(cov.get("window_days", 0.0))
    need = max(0.0, min_days - days)
    if cov.get("uncovered_enis"):
        need = max(need, min_days)
    gap_share = float(cov.get("gap_share", 0.0))
    if gap_share > max_gap:
        need = max(need, days * gap_share / max_gap - days)
    return need


def _window_days(window: Mapping[str, Any]) -> float:
    try:
        start = parse(str(window["start"]))
        end = parse(str(window["end"]))
    except (KeyError, ValueError):
        return 0.0
    return max(0.0, (end - start).total_seconds() / 86400)


def _rule_lists(group: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [r for k in ("revoke", "keep") for r in group.get(k, []) if not r.get("IsEgress")]


def _pressure(rules: list[dict[str, Any]], window_days: float) -> tuple[float, int]:
    scanners = sum(
        int((r.get("evidence") or {}).get("probes", {}).get("source_count", 0)) for r in rules
    )
    real = sum(int((r.get("evidence") or {}).get("source_count", 0)) for r in rules)
    return scanners / max(window_days, 1 / 24), real


def _group_bucket(
    group: Mapping[str, Any], is_default: bool, accepted_all: bool, accepted_rules: bool = False
) -> tuple[Bucket, str]:
    status = str(group.get("status", ""))
    cov = group.get("coverage") or {}
    changes = bool(group.get("revoke") or group.get("authorize"))
    if accepted_all:
        return Bucket.ACCEPTED, "every finding is covered by a risk acceptance in force"
    if is_default and "EC2.2" in group.get("controls", []) and cov.get("enis"):
        return Bucket.DECIDE, (
            f"default group still used by {len(cov['enis'])} ENI(s): move them to their own "
            "group first (plan status: " + status + ")"
        )
    if status == "ready":
        if changes:
            return Bucket.FIX_NOW, "ready: the change cuts no real use seen in the window"
        if accepted_rules:
            return Bucket.ACCEPTED, "what the plan would change is an accepted risk in force"
        return Bucket.NO_CHANGE, "ready with nothing to change"
    if status == "no-change":
        return Bucket.NO_CHANGE, "nothing to change (e.g. a public service in public use)"
    if status == "needs-more-data":
        warnings = group.get("warnings") or []
        return Bucket.WAIT, "; ".join(str(w) for w in warnings[:2]) or "needs more data"
    # `needs-decision`, or a status a newer planner writes: a person decides, nothing is assumed
    warnings = group.get("warnings") or []
    return Bucket.DECIDE, f"{status}: " + ("; ".join(str(w) for w in warnings[:2]) or status)


def _resource_bucket(resource: Mapping[str, Any], accepted_all: bool) -> tuple[Bucket, str]:
    action = str(resource.get("action", ""))
    reason = str(resource.get("reason", ""))
    if accepted_all or action == "accepted-risk":
        return Bucket.ACCEPTED, reason or "covered by a risk acceptance in force"
    if action in CHANGING_ACTIONS:
        return Bucket.FIX_NOW, reason
    if action in KEEP_ACTIONS:
        return Bucket.NO_CHANGE, reason
    if action == "needs-more-data":
        return Bucket.WAIT, reason
    return Bucket.DECIDE, f"{action}: {reason}"


@dataclass(frozen=True)
class TriageRows:
    """The targets of one plan before they are ordered: its groups, resources and unresolved
    findings, each in plan (or finding) order. Rows of several account/regions planned apart
    are joined by `sgharden.triage_parts` in the order one plan of them all would give."""

    groups: tuple[Target, ...] = ()
    resources: tuple[Target, ...] = ()
    unresolved: tuple[Target, ...] = ()


def triage(
    plan: Mapping[str, Any],
    snapshot: Snapshot,
    ordering: Ordering = Ordering.SEVERITY,
    accepted_findings: Mapping[str, dict[str, Any]] | None = None,
) -> Triage:
    """Every in-scope finding of the snapshot, bucketed by the plan made from it.

    `plan` is the plan dict (`Plan.to_dict()` or a plan JSON file read back); `accepted_findings`
    maps a finding id to the risk acceptance in force that covers it (`sgharden.acceptance`).
    """
    rows = triage_rows(plan, snapshot, accepted_findings)
    return assemble(rows, ordering, str(snapshot.root))


def triage_rows(
    plan: Mapping[str, Any],
    snapshot: Snapshot,
    accepted_findings: Mapping[str, dict[str, Any]] | None = None,
) -> TriageRows:
    """One target per plan group or resource that answers an in-scope finding, and one per
    in-scope finding the plan could not place; not yet ordered."""
    accepted_findings = accepted_findings or {}
    findings = in_scope(snapshot.findings)
    by_id: dict[str, Finding] = {}
    for f in findings:
        for i in f.all_ids:
            by_id.setdefault(i, f)
    settings = plan.get("settings") or {}
    window_days = _window_days(plan.get("window") or {})
    groups: list[Target] = []
    resources: list[Target] = []
    unresolved: list[Target] = []
    placed: set[str] = set()

    def own(ids: Iterable[str]) -> tuple[Finding, ...]:
        out: dict[str, Finding] = {}
        for i in ids:
            f = by_id.get(str(i))
            if f is not None and f.finding_id not in placed:
                out[f.finding_id] = f
        placed.update(out)
        return tuple(out.values())

    def records(fs: tuple[Finding, ...]) -> tuple[dict[str, Any], ...]:
        seen: dict[str, dict[str, Any]] = {}
        for f in fs:
            if f.finding_id in accepted_findings:
                rec = accepted_findings[f.finding_id]
                seen[str(rec.get("id", len(seen)))] = rec
        return tuple(seen.values())

    for group in plan.get("groups", []):
        fs = own(group.get("findings", []))
        if not fs:
            continue
        inventory = snapshot.inventory(str(group["account_id"]), str(group["region"]))
        sg = inventory.security_groups.get(str(group["group_id"])) if inventory else None
        enis = list((group.get("coverage") or {}).get("enis", []))
        interfaces = [
            inventory.interfaces[e] for e in enis if inventory and e in inventory.interfaces
        ]
        accepted_all = all(f.finding_id in accepted_findings for f in fs)
        accepted_rules = tuple(
            r["accepted_risk"]
            for r in group.get("keep", [])
            if isinstance(r.get("accepted_risk"), dict)
        )
        bucket, reason = _group_bucket(
            group, bool(sg and sg.is_default), accepted_all, bool(accepted_rules)
        )
        rules = _rule_lists(group)
        scanners, real = _pressure(rules, window_days)
        groups.append(
            Target(
                kind="group",
                target_id=str(group["group_id"]),
                account_id=str(group["account_id"]),
                region=str(group["region"]),
                status=str(group.get("status", "")),
                bucket=bucket,
                reason=reason,
                controls=tuple(str(c) for c in group.get("controls", [])),
                findings=_kept(fs),
                severity=_highest(fs),
                scanner_sources_per_day=scanners,
                real_users=real,
                real_users_affected=_affected(group, inventory) if bucket is Bucket.FIX_NOW else 0,
                enis=len(enis),
                instances=len({i.instance_id for i in interfaces if i.instance_id}),
                public_ips=sum(1 for i in interfaces if i.public_ip),
                rules_to_change=len(group.get("revoke", [])) + len(group.get("authorize", [])),
                days_to_go=_days_to_go(group, settings) if bucket is Bucket.WAIT else None,
                uncovered_enis=tuple((group.get("coverage") or {}).get("uncovered_enis", [])),
                accepted=records(fs) + accepted_rules,
            )
        )
    for resource in plan.get("resources", []):
        fs = own(resource.get("findings", []))
        if not fs:
            continue
        ev = resource.get("evidence") or {}
        accepted_all = all(f.finding_id in accepted_findings for f in fs)
        bucket, reason = _resource_bucket(resource, accepted_all)
        action = str(resource.get("action", ""))
        probes = int((ev.get("probes") or {}).get("source_count", 0))
        cov = ev.get("coverage") or {}
        resources.append(
            Target(
                kind="resource",
                target_id=str(resource["resource_id"]),
                account_id=str(resource["account_id"]),
                region=str(resource["region"]),
                status=action,
                bucket=bucket,
                reason=reason,
                controls=(str(resource.get("control", "")),),
                findings=_kept(fs),
                severity=_highest(fs),
                scanner_sources_per_day=probes / max(window_days, 1 / 24),
                real_users=int(ev.get("source_count", 0) or 0),
                real_users_affected=int(ev.get("source_count", 0) or 0)
                if bucket is Bucket.FIX_NOW
                else 0,
                enis=len(ev.get("interfaces") or []),
                instances=1 if resource.get("resource_type") == "AwsEc2Instance" else 0,
                public_ips=1 if ev.get("public_ip") else 0,
                rules_to_change=1 if action in CHANGING_ACTIONS else 0,
                days_to_go=float(settings.get("min_window_days", 14.0))
                if bucket is Bucket.WAIT
                else None,
                uncovered_enis=tuple(cov.get("uncovered_enis", [])),
                accepted=records(fs),
            )
        )
    # in-scope findings the plan could not place: their resource is not in the snapshot
    for f in findings:
        if f.finding_id in placed:
            continue
        placed.add(f.finding_id)
        accepted = f.finding_id in accepted_findings
        unresolved.append(
            Target(
                kind="unresolved",
                target_id=f.resource_id,
                account_id=f.account_id,
                region=f.region,
                status="not-in-snapshot",
                bucket=Bucket.ACCEPTED if accepted else Bucket.WAIT,
                reason="the resource is not in the snapshot: collect this account/region again",
                controls=(f.control,),
                findings=_kept((f,)),
                severity=f.severity,
                accepted=records((f,)),
            )
        )
    return TriageRows(tuple(groups), tuple(resources), tuple(unresolved))


def assemble(rows: TriageRows, ordering: Ordering, snapshot_root: str) -> Triage:
    """The triage of these rows: ordered by bucket, then `ordering`; ties keep the rows' order."""
    targets = [*rows.groups, *rows.resources, *rows.unresolved]
    targets.sort(key=lambda t: (list(Bucket).index(t.bucket), t.sort_key(ordering)))
    uncovered = sorted({e for t in targets if t.bucket is Bucket.WAIT for e in t.uncovered_enis})
    command = (
        f"sgharden flow-logs enable --snapshot {shlex.quote(snapshot_root)} "
        "--destination s3://BUCKET"
        if uncovered
        else None
    )
    totals: Counter[tuple[str, str, str, str]] = Counter()
    for t in targets:
        for f in t.findings:
            totals[(t.bucket.value, f.control, f.account_id, f.region)] += 1
    return Triage(
        targets=tuple(targets),
        ordering=ordering,
        flow_logs_command=command,
        totals=tuple((*k, n) for k, n in sorted(totals.items())),
    )
