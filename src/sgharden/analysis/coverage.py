"""Coverage: did every interface of a target have a flow log that delivered, for the whole window?

An interface is covered when a flow log in the snapshot's flow-logs.json records it (on the ENI,
its subnet or its VPC; active; not REJECT-only) AND the workspace holds data delivered for it in
the window. Gaps are hours with no record at all for the interface (not even NODATA) and hours
with SKIPDATA (records lost). The gap share of a group is that of its worst covered interface.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from sgharden.analysis.connections import Window
from sgharden.model import Interface, Inventory
from sgharden.resources import query


@dataclass(frozen=True)
class Gap:
    interface_id: str
    start: datetime
    end: datetime
    kind: str  # no-delivery | skipdata

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)


@dataclass(frozen=True)
class InterfaceDelivery:
    """What the workspace holds for one interface in the window."""

    interface_id: str
    delivered_hours: int
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True)
class Coverage:
    window: Window
    enis: tuple[str, ...]
    uncovered_enis: tuple[str, ...]
    gaps: tuple[Gap, ...]
    gap_share: float
    notes: tuple[str, ...] = ()  # why each uncovered ENI is uncovered

    @property
    def window_days(self) -> float:
        return self.window.days


@dataclass(frozen=True)
class CoverageVerdict:
    ok: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)  # why not ok
    warnings: tuple[str, ...] = field(default_factory=tuple)  # small gaps on an ok group


def delivery(
    con: duckdb.DuckDBPyConnection, interfaces: Iterable[str], window: Window
) -> dict[str, InterfaceDelivery]:
    """Delivered hours and gaps per interface in the window (sql/coverage_gaps.sql)."""
    ids = sorted(set(interfaces))
    if not ids or window.hours <= 0:
        return {i: InterfaceDelivery(i, 0) for i in ids}
    rows = con.execute(
        query("coverage_gaps"), {"interfaces": ids, "start": window.start, "end": window.end}
    ).fetchall()
    delivered: dict[str, int] = {}
    gaps: dict[str, list[Gap]] = {}
    for interface_id, kind, start, end, hours in rows:
        if kind == "delivered":
            delivered[interface_id] = int(hours)
        else:
            gaps.setdefault(interface_id, []).append(Gap(interface_id, start, end, kind))
    return {
        i: InterfaceDelivery(i, delivered.get(i, 0), tuple(sorted(gaps.get(i, []), key=_gap_key)))
        for i in ids
    }


def _gap_key(gap: Gap) -> tuple[datetime, str]:
    return (gap.start, gap.kind)


def flow_log_for(eni: Interface, inventory: Inventory) -> str | None:
    """The id of an active flow log that records this ENI (ENI, subnet or VPC level), if any."""
    targets = {eni.interface_id, eni.subnet_id, eni.vpc_id} - {None}
    for fl in inventory.flow_logs:
        active = fl.status.upper() == "ACTIVE" and fl.traffic_type.upper() != "REJECT"
        if fl.resource_id in targets and active:
            return fl.flow_log_id
    return None


def coverage_of(
    enis: Iterable[Interface],
    inventory: Inventory,
    deliveries: dict[str, InterfaceDelivery],
    window: Window,
) -> Coverage:
    enis = sorted(enis, key=lambda e: e.interface_id)
    uncovered: list[str] = []
    notes: list[str] = []
    gaps: list[Gap] = []
    worst = 0.0
    for eni in enis:
        got = deliveries.get(eni.interface_id, InterfaceDelivery(eni.interface_id, 0))
        flow_log = flow_log_for(eni, inventory)
        if flow_log is None:
            uncovered.append(eni.interface_id)
            notes.append(
                f"{eni.interface_id}: no active flow log on the ENI, its subnet "
                f"{eni.subnet_id} or its VPC {eni.vpc_id} in flow-logs.json"
            )
            continue
        if got.delivered_hours == 0:
            uncovered.append(eni.interface_id)
            notes.append(
                f"{eni.interface_id}: flow log {flow_log} delivered no data in the window "
                "(ingest its objects, or widen the window)"
            )
            continue
        gaps.extend(got.gaps)
        if window.hours:
            worst = max(worst, sum(g.hours for g in got.gaps) / window.hours)
    return Coverage(
        window,
        tuple(e.interface_id for e in enis),
        tuple(uncovered),
        tuple(gaps),
        worst,
        tuple(notes),
    )


def verdict(coverage: Coverage, min_window_days: float, max_gap_share: float) -> CoverageVerdict:
    """The coverage gate: whether evidence of *no use* in this window can be trusted."""
    reasons: list[str] = list(coverage.notes)
    if coverage.uncovered_enis and not coverage.notes:
        reasons.append(f"ENIs without flow-log data: {', '.join(coverage.uncovered_enis)}")
    warnings: list[str] = []
    if coverage.enis and coverage.window_days < min_window_days:
        reasons.append(
            f"window is {coverage.window_days:.1f} days, shorter than the minimum "
            f"{min_window_days:g} (collect more flow logs or lower --min-days)"
        )
    gap_hours = sum(g.hours for g in coverage.gaps)
    if coverage.gap_share > max_gap_share:
        reasons.append(
            f"flow-log gaps of {gap_hours} interface-hours; worst ENI misses "
            f"{coverage.gap_share:.1%} of the window (limit {max_gap_share:.1%})"
        )
    elif coverage.gaps:
        warnings.append(
            f"flow-log gaps of {gap_hours} interface-hours (worst ENI {coverage.gap_share:.2%} "
            f"of the window, under the {max_gap_share:.1%} limit): use in them is unseen"
        )
    return CoverageVerdict(not reasons, tuple(reasons), tuple(warnings))
