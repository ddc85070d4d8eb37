"""Replay: every connection observed in the plan's window, judged by the current and proposed rules.

EC2 lets a connection into an interface when any ingress rule of any of the interface's groups
allows it, so both verdicts use the union over all the interface's groups: current = the snapshot's
rules; proposed = the same with each `ready` group's revokes removed and authorizations added
(groups the plan does not change keep their rules). A connection allowed now and denied after the
change is *newly denied*; a real one (not a probe) on a `ready` group is a safety stop.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from sgharden.analysis.connections import Connection, Thresholds, observed_connections
from sgharden.analysis.matching import rules_allow
from sgharden.errors import InputError
from sgharden.model import Interface, Inventory, Rule
from sgharden.moments import iso
from sgharden.plan.read import Plan, PlanGroup, parse_time
from sgharden.plan.schema import proposed_rules as plan_proposed_rules
from sgharden.render.rule_text import rule_text
from sgharden.snapshot import Snapshot


@dataclass(frozen=True)
class Denial:
    """Connections from one remote to one service port that the proposed rules would deny."""

    group_ids: tuple[str, ...]  # the changed groups of the interface
    interface_id: str
    protocol: int
    port: int | None
    remote_addr: str
    connections: int
    bytes: int
    first_seen: datetime
    last_seen: datetime
    is_probe: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_ids": list(self.group_ids),
            "interface_id": self.interface_id,
            "protocol": self.protocol,
            "port": self.port,
            "remote_addr": self.remote_addr,
            "connections": self.connections,
            "bytes": self.bytes,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "kind": "probe" if self.is_probe else "real",
        }


@dataclass
class PortSummary:
    group_id: str
    protocol: int
    port: int | None
    real_connections: int = 0
    real_sources: set[str] = field(default_factory=set)
    probe_connections: int = 0
    probe_sources: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "protocol": self.protocol,
            "port": self.port,
            "real_connections": self.real_connections,
            "real_sources": len(self.real_sources),
            "probe_connections": self.probe_connections,
            "probe_sources": len(self.probe_sources),
        }


@dataclass
class ReplayResult:
    window_start: str
    window_end: str
    connections_checked: int = 0
    checked_on_changed: int = 0  # on interfaces of the groups the plan changes
    unknown_interfaces: set[str] = field(default_factory=set)
    not_allowed_now: int = 0  # observed but no current rule explains them (stale snapshot?)
    newly_allowed: int = 0  # denied now, allowed after (the plan should never widen)
    denied: list[Denial] = field(default_factory=list)
    by_port: dict[tuple[str, int, int | None], PortSummary] = field(default_factory=dict)
    ready_groups: set[str] = field(default_factory=set)
    # every connection judged on a changed group: (its changed groups, it, allowed after); the
    # staged-rollout soak reads its covered and only-by-a-revoked-rule traffic from here
    judged: list[tuple[tuple[str, ...], Connection, bool]] = field(default_factory=list)

    @property
    def denied_real(self) -> list[Denial]:
        return [d for d in self.denied if not d.is_probe]

    @property
    def denied_probes(self) -> list[Denial]:
        return [d for d in self.denied if d.is_probe]

    @property
    def unsafe(self) -> list[Denial]:
        """Real use a `ready` group would cut."""
        return [d for d in self.denied_real if set(d.group_ids) & self.ready_groups]

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": {"start": self.window_start, "end": self.window_end},
            "connections_checked": self.connections_checked,
            "connections_on_changed_groups": self.checked_on_changed,
            "unknown_interfaces": sorted(self.unknown_interfaces),
            "not_allowed_now": self.not_allowed_now,
            "newly_allowed": self.newly_allowed,
            "newly_denied": {
                "real": [d.to_dict() for d in self.denied_real],
                "probes": [d.to_dict() for d in self.denied_probes],
            },
            "by_group_and_port": [
                s.to_dict() for s in sorted(self.by_port.values(), key=_port_order)
            ],
            "safe": not self.unsafe,
        }


def _port_order(s: PortSummary) -> tuple[str, int, int]:
    return (s.group_id, s.protocol, -1 if s.port is None else s.port)


def check_snapshot_matches(plan: Plan, snapshot: Snapshot) -> None:
    """The replay is only as good as the rules it starts from: the snapshot must be the plan's."""
    for group in plan.groups:
        if not group.has_changes:
            continue
        inv = snapshot.inventory(group.account_id, group.region)
        found = inv.security_groups.get(group.group_id) if inv else None
        if found is None:
            raise InputError(
                f"{snapshot.root}: no group {group.group_id} in {group.account_id}/{group.region}",
                hint=f"give the snapshot {plan.path.name} was made from",
            )
        have = {r.key() for r in found.rules}
        missing = [pr.rule for pr in (*group.revoke, *group.keep) if pr.rule.key() not in have]
        if missing:
            raise InputError(
                f"{snapshot.root}: {group.group_id} has no rule {rule_text(missing[0])} that the plan "
                f"{'revokes' if missing[0] in [pr.rule for pr in group.revoke] else 'keeps'}",
                hint=f"give the snapshot {plan.path.name} was made from",
            )


def proposed_rules(group_rules: tuple[Rule, ...], plan_group: PlanGroup) -> list[Rule]:
    return plan_proposed_rules(
        group_rules, (pr.rule for pr in plan_group.revoke), (pr.rule for pr in plan_group.authorize)
    )


def thresholds_from(settings: dict[str, Any]) -> Thresholds:
    known = Thresholds().as_params()
    return Thresholds(**{k: type(v)(settings[k]) for k, v in known.items() if k in settings})


def replay(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    snapshot: Snapshot,
    window: tuple[datetime, datetime] | None = None,
) -> ReplayResult:
    """Over the plan's window, or `window` (the soak of a staged rollout)."""
    start, end = window or (parse_time(plan.window_start), parse_time(plan.window_end))
    result = (
        ReplayResult(iso(start), iso(end))
        if window
        else ReplayResult(plan.window_start, plan.window_end)
    )
    changing = {g.group_id: g for g in plan.groups if g.has_changes}
    result.ready_groups = set(changing)
    check_snapshot_matches(plan, snapshot)
    interfaces: dict[str, tuple[Interface, Inventory]] = {}
    for inv in snapshot.inventories.values():
        for eni in inv.interfaces.values():
            interfaces[eni.interface_id] = (eni, inv)
    current_cache: dict[str, tuple[list[Rule], list[Rule], tuple[str, ...]]] = {}

    def rule_sets(eni: Interface, inv: Inventory) -> tuple[list[Rule], list[Rule], tuple[str, ...]]:
        if eni.interface_id not in current_cache:
            now: list[Rule] = []
            after: list[Rule] = []
            for gid in eni.group_ids:
                group = inv.security_groups.get(gid)
                if group is None:
                    continue
                now.extend(group.ingress)
                if gid in changing:
                    after.extend(
                        r for r in proposed_rules(group.rules, changing[gid]) if not r.is_egress
                    )
                else:
                    after.extend(group.ingress)
            changed = tuple(g for g in eni.group_ids if g in changing)
            current_cache[eni.interface_id] = (now, after, changed)
        return current_cache[eni.interface_id]

    connections = observed_connections(con, snapshot, start, end, thresholds_from(plan.settings))
    for c in connections:
        found = interfaces.get(c.interface_id)
        if found is None:
            result.unknown_interfaces.add(c.interface_id)
            continue
        eni, inv = found
        result.connections_checked += 1
        now, after, changed = rule_sets(eni, inv)
        if not changed:
            continue
        result.checked_on_changed += 1
        allowed_now = rules_allow(now, c, eni, inv)
        allowed_after = rules_allow(after, c, eni, inv)
        if not allowed_now:
            result.not_allowed_now += 1
            if allowed_after:
                result.newly_allowed += 1
            continue
        result.judged.append((changed, c, allowed_after))
        if allowed_after:
            continue
        _record(result, c, changed)
    return result


def _record(result: ReplayResult, c: Connection, changed: tuple[str, ...]) -> None:
    result.denied.append(
        Denial(
            group_ids=changed,
            interface_id=c.interface_id,
            protocol=c.protocol,
            port=c.service_port,
            remote_addr=c.remote_addr,
            connections=c.connections,
            bytes=c.bytes,
            first_seen=c.first_seen,
            last_seen=c.last_seen,
            is_probe=c.is_probe,
        )
    )
    for gid in changed:
        key = (gid, c.protocol, c.service_port)
        summary = result.by_port.setdefault(key, PortSummary(gid, c.protocol, c.service_port))
        if c.is_probe:
            summary.probe_connections += c.connections
            summary.probe_sources.add(c.remote_addr)
        else:
            summary.real_connections += c.connections
            summary.real_sources.add(c.remote_addr)


def group_ports(result: ReplayResult) -> dict[str, list[PortSummary]]:
    out: dict[str, list[PortSummary]] = defaultdict(list)
    for s in sorted(result.by_port.values(), key=_port_order):
        out[s.group_id].append(s)
    return dict(out)
