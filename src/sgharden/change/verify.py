"""`sgharden verify`: after a change, who is being turned away.

Reads the REJECTed inbound connections (flow logs since the change) on the changed groups'
interfaces and ports, and splits their sources: those the plan's evidence shows as real users
before the change (top sources of every rule of the group, real ones only) — the signal to roll
back — and everyone else (probes, scanners, unknown). Real users are the plan's evidence sources
plus every non-probe source the workspace holds for the plan's window (the evidence lists only the
top sources of each rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from sgharden.analysis.counted_by import CountingBasis
from sgharden.moments import iso
from sgharden.plan.read import Plan, PlanGroup, parse_time
from sgharden.resources import query
from sgharden.snapshot import Snapshot


@dataclass(frozen=True)
class Rejection:
    group_id: str
    interface_id: str
    protocol: int
    port: int | None
    remote_addr: str
    rejected_records: int
    connections: int
    first_seen: datetime
    last_seen: datetime
    real_user: bool
    # how `connections` were counted, worded as the plan's evidence words it (counted_by.py)
    counted_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.__dict__.items() if k not in ("first_seen", "last_seen")},
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
        }


@dataclass
class VerifyResult:
    since: datetime
    groups: list[str] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def real_users_rejected(self) -> list[Rejection]:
        return [r for r in self.rejections if r.real_user]

    @property
    def others_rejected(self) -> list[Rejection]:
        return [r for r in self.rejections if not r.real_user]


def real_users(group: PlanGroup) -> set[str]:
    return {
        s.address
        for rules in (group.revoke, group.authorize, group.keep)
        for pr in rules
        for s in pr.evidence.sources
    }


def observed_real_users(
    con: duckdb.DuckDBPyConnection, plan: Plan, interfaces: list[str]
) -> set[str]:
    """Every real (non-probe) source the workspace saw on the interfaces in the plan's window.

    The plan's evidence names only the top sources of each rule; when the workspace the plan was
    made from is at hand, every real user before the change is known, not just the top ones.
    """
    from sgharden.analysis.connections import observed_connections

    if not interfaces:
        return set()
    start, end = parse_time(plan.window_start), parse_time(plan.window_end)
    found = observed_connections(con, None, start, end, interfaces=interfaces)
    return {c.remote_addr for c in found if not c.is_probe}


def group_interfaces(group: PlanGroup, snapshot: Snapshot | None) -> list[str]:
    enis = set(group.coverage.enis)
    if snapshot is not None:
        enis |= {e.interface_id for e in snapshot.all_interfaces() if group.group_id in e.group_ids}
    return sorted(enis)


def verify(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    since: datetime,
    snapshot: Snapshot | None = None,
    only_groups: tuple[str, ...] = (),
) -> VerifyResult:
    result = VerifyResult(since)
    for group in plan.groups_to_change(only_groups):
        interfaces = group_interfaces(group, snapshot)
        result.groups.append(group.group_id)
        result.interfaces.extend(interfaces)
        changed_rules = [
            pr.rule for pr in (*group.revoke, *group.authorize) if not pr.rule.is_egress
        ]
        users = real_users(group) | observed_real_users(con, plan, interfaces)
        # connections are counted as the plan's evidence counts them (docs/planner.md, "What a
        # connection count is"), and labelled the same way
        counting = CountingBasis.load(con, interfaces, since, datetime(9999, 1, 1))
        rows = con.execute(
            query("rejected_since"), {"interfaces": interfaces, "since": since}
        ).fetchall()
        for eni, protocol, port, remote, records, connections, first, last in rows:
            if not any(r.allows_port(int(protocol), port) for r in changed_rules):
                continue  # not a port this change touched
            result.rejections.append(
                Rejection(
                    group.group_id,
                    eni,
                    int(protocol),
                    port,
                    remote,
                    int(records),
                    int(connections),
                    first,
                    last,
                    remote in users,
                    counting.note([eni], int(protocol)),
                )
            )
    return result
