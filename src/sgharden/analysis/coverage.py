"""Coverage: did every interface of a target have a flow log that delivered, for the whole window?

An interface is covered when a flow log in the snapshot's flow-logs.json records it (on the ENI,
its subnet or its VPC; active; not REJECT-only; delivery not FAILED) AND the workspace holds data
that log delivered in the window. Gaps are hours the log could not have recorded the interface
(`coverage_of`); an hour with no record while the log was healthy is quiet, not a gap. The gap
share of a group is that of its worst covered interface.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from sgharden.analysis.connections import Window, ceil_hour
from sgharden.analysis.params import id_list
from sgharden.model import FlowLog, Interface, Inventory
from sgharden.moments import iso, parse
from sgharden.plan.model import Coverage as PlanCoverage
from sgharden.plan.model import Gap as Gap  # the plan's Gap: one type from measure to report
from sgharden.resources import query
from sgharden.targets import recorded_interfaces, recording_log


@dataclass(frozen=True)
class InterfaceDelivery:
    """What the workspace holds for one interface in the window."""

    interface_id: str
    delivered_hours: int
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True)
class Coverage:
    """A group's flow-log coverage as measured over the window (the plan states `stated()`)."""

    window: Window
    enis: tuple[str, ...]
    uncovered_enis: tuple[str, ...]
    gaps: tuple[Gap, ...]
    gap_share: float
    notes: tuple[str, ...] = ()  # why each uncovered ENI is uncovered
    quiet: tuple[str, ...] = ()  # hours without a record while the log was healthy: no use

    @property
    def window_days(self) -> float:
        return self.window.days

    def late_starts(self) -> tuple[tuple[str, datetime, float], ...]:
        """(ENI, recording from, days recorded) for each ENI that could record nothing from the
        window's start (attached, or its flow log created, later): its "no real use" covers only
        the days since, not the window."""
        w = self.window
        return tuple(
            (g.interface_id, g.end, (w.end - g.end).total_seconds() / 86400)
            for g in self.gaps
            if g.kind == "not-recording" and g.start == w.start
        )

    def late_start_text(self) -> str:
        """The late starts in words ("" when none), for a decision's reason."""
        return "".join(
            f"; {eni} recorded only from {iso(start)} ({days:.1f} days: attached, or its flow "
            "log created, after the window's start)"
            for eni, start, days in self.late_starts()
        )

    def stated(self) -> PlanCoverage:
        """What a plan says of it (plan/model.py, the type the plan reader builds too): this
        measurement without the window and notes only the decision reads."""
        return PlanCoverage(
            self.enis, self.uncovered_enis, self.gaps, self.window_days, self.gap_share, self.quiet
        )


@dataclass(frozen=True)
class CoverageVerdict:
    ok: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)  # why not ok
    warnings: tuple[str, ...] = field(default_factory=tuple)  # small gaps on an ok group


class Deliveries(dict[str, InterfaceDelivery]):
    """delivery()'s answer (not changed after it is made), remembering per subnet- or VPC-level
    log whether any interface it records delivered: coverage_of asks that for every ENI, and
    walking the log's interfaces each time was 11,000 ENIs x their VPC's ENIs at 35,000 findings."""

    def __init__(self, items: Iterable[tuple[str, InterfaceDelivery]] = ()) -> None:
        super().__init__(items)
        self.log_delivered: dict[tuple[str, str, str, str], bool] = {}


def delivery(
    con: duckdb.DuckDBPyConnection, interfaces: Iterable[str], window: Window
) -> Deliveries:
    """Delivered hours and gaps per interface in the window (sql/coverage_gaps.sql)."""
    ids = sorted(set(interfaces))
    if not ids or window.hours <= 0:
        return Deliveries((i, InterfaceDelivery(i, 0)) for i in ids)
    rows = con.execute(
        query("coverage_gaps"),
        {"interfaces": id_list(ids), "start": window.start, "end": window.end},
    ).fetchall()
    delivered: dict[str, int] = {}
    gaps: dict[str, list[Gap]] = {}
    for interface_id, kind, start, end, hours in rows:
        if kind == "delivered":
            delivered[interface_id] = int(hours)
        else:
            gaps.setdefault(interface_id, []).append(Gap(interface_id, start, end, kind))
    return Deliveries(
        (i, InterfaceDelivery(i, delivered.get(i, 0), tuple(sorted(gaps.get(i, []), key=_gap_key))))
        for i in ids
    )


def _gap_key(gap: Gap) -> tuple[datetime, str]:
    return (gap.start, gap.kind)


def flow_log_for(eni: Interface, inventory: Inventory) -> str | None:
    """The id of an active flow log that records this ENI (ENI, subnet or VPC level), if any."""
    fl = _flow_log(eni, inventory)
    return fl.flow_log_id if fl else None


def _flow_log(eni: Interface, inventory: Inventory) -> FlowLog | None:
    return recording_log(eni, inventory.flow_logs)


def log_peers(enis: Iterable[Interface], inventory: Inventory) -> set[str]:
    """The interfaces a subnet- or VPC-level log of these ENIs also records: whether that log
    delivered in an hour is known only from all of them (see `coverage_of`)."""
    out: set[str] = set()
    for eni in enis:
        fl = _flow_log(eni, inventory)
        if fl is not None and fl.resource_id != eni.interface_id:
            out |= {e.interface_id for e in recorded_interfaces(fl, inventory)}
    return out


def _moment(text: str | None) -> datetime | None:
    """An AWS timestamp (ISO text, maybe with Z or an offset) as naive UTC, or None if absent."""
    if not text:
        return None
    return parse(text)


def _hours_of(gaps: Iterable[Gap]) -> set[datetime]:
    return {g.start + timedelta(hours=h) for g in gaps for h in range(g.hours)}


def _first_delivered(got: InterfaceDelivery, window: Window) -> datetime | None:
    """The first hour of the window with a record of this interface (none when it has none)."""
    if not got.delivered_hours:
        return None
    silent = _hours_of(g for g in got.gaps if g.kind == "no-delivery")
    for h in range(window.hours):
        hour = window.start + timedelta(hours=h)
        if hour not in silent:
            return hour
    return None


def _runs(interface_id: str, hours: set[datetime], kind: str) -> list[Gap]:
    out: list[Gap] = []
    for hour in sorted(hours):
        if out and out[-1].end == hour:
            out[-1] = Gap(interface_id, out[-1].start, hour + timedelta(hours=1), kind)
        else:
            out.append(Gap(interface_id, hour, hour + timedelta(hours=1), kind))
    return out


def _peers_delivered(
    fl: FlowLog,
    peers: Iterable[Interface],
    inventory: Inventory,
    deliveries: dict[str, InterfaceDelivery],
) -> bool:
    memo = getattr(deliveries, "log_delivered", None)  # a Deliveries: asked once per log
    key = (inventory.account_id, inventory.region, fl.flow_log_id, fl.resource_id)
    if memo is not None and key in memo:
        return bool(memo[key])
    found = any(
        (d := deliveries.get(p.interface_id)) is not None and d.delivered_hours > 0 for p in peers
    )
    if memo is not None:
        memo[key] = found
    return found


def coverage_of(
    enis: Iterable[Interface],
    inventory: Inventory,
    deliveries: dict[str, InterfaceDelivery],
    window: Window,
) -> Coverage:
    """Gaps are hours the flow log could NOT have recorded the interface's traffic:
    - not-recording: before the log's CreationTime or the ENI's Attachment.AttachTime;
    - skipdata: SKIPDATA records (records of that interval lost);
    - no-delivery: a subnet- or VPC-level log delivered nothing for ANY interface it records
      that hour (while it delivered in other hours);
    and a log whose DeliverLogsStatus is FAILED covers nothing. An hour without a record while
    the log was healthy is *quiet*: evidence of no use, said so in `quiet`. An ENI whose log is
    ENI-level and delivered nothing at all in the window stays uncovered: that is
    indistinguishable from objects that were never ingested."""
    enis = sorted(enis, key=lambda e: e.interface_id)
    uncovered: list[str] = []
    notes: list[str] = []
    quiet: list[str] = []
    gaps: list[Gap] = []
    worst = 0.0
    for eni in enis:
        got = deliveries.get(eni.interface_id, InterfaceDelivery(eni.interface_id, 0))
        fl = _flow_log(eni, inventory)
        if fl is None:
            uncovered.append(eni.interface_id)
            notes.append(
                f"{eni.interface_id}: no active flow log on the ENI, its subnet "
                f"{eni.subnet_id} or its VPC {eni.vpc_id} in flow-logs.json"
            )
            continue
        if fl.deliver_logs_status.upper() == "FAILED":
            uncovered.append(eni.interface_id)
            error = f" ({fl.deliver_logs_error})" if fl.deliver_logs_error else ""
            notes.append(
                f"{eni.interface_id}: flow log {fl.flow_log_id} failed to deliver{error}: "
                "its silence is not evidence (fix delivery, then collect a new window)"
            )
            continue
        eni_level = fl.resource_id == eni.interface_id
        peers = () if eni_level else recorded_interfaces(fl, inventory)
        log_delivered = got.delivered_hours or _peers_delivered(fl, peers, inventory, deliveries)
        if not log_delivered:
            uncovered.append(eni.interface_id)
            notes.append(
                f"{eni.interface_id}: flow log {fl.flow_log_id} delivered no data in the window "
                "(ingest its objects, or widen the window)"
            )
            continue
        if eni_level and got.delivered_hours == 0:
            uncovered.append(eni.interface_id)
            notes.append(
                f"{eni.interface_id}: flow log {fl.flow_log_id} delivered no data in the window "
                "(ingest its objects, or widen the window)"
            )
            continue
        blind_until = max(
            (m for m in (_moment(fl.creation_time), _moment(eni.attach_time)) if m), default=None
        )
        # Records prove recording: a log re-created since (a new format, a new CreationTime) or
        # an ENI re-attached still delivered before the snapshot's timestamps say it could.
        first_record = min(
            (
                first
                for d in (got, *(deliveries.get(p.interface_id) for p in peers))
                if d is not None and (first := _first_delivered(d, window)) is not None
            ),
            default=None,
        )
        if blind_until is not None and first_record is not None:
            blind_until = min(blind_until, first_record)
        not_recording: set[datetime] = set()
        if blind_until is not None and blind_until > window.start:
            cut = min(ceil_hour(blind_until), window.end)
            not_recording = {
                window.start + timedelta(hours=h)
                for h in range(int((cut - window.start).total_seconds() // 3600))
            }
        silent = {g for g in got.gaps if g.kind == "no-delivery"}
        silent_hours = _hours_of(silent)
        log_silent = set(silent_hours)
        if eni_level:
            log_silent = set()
        for p in peers:
            other = deliveries.get(p.interface_id, InterfaceDelivery(p.interface_id, 0))
            if other.delivered_hours:
                log_silent &= _hours_of(g for g in other.gaps if g.kind == "no-delivery")
        skip = _hours_of(g for g in got.gaps if g.kind == "skipdata") - not_recording
        mine = [
            *_runs(eni.interface_id, not_recording, "not-recording"),
            *_runs(eni.interface_id, skip, "skipdata"),
            *_runs(eni.interface_id, log_silent - not_recording - skip, "no-delivery"),
        ]
        gaps.extend(sorted(mine, key=_gap_key))
        quiet_hours = len(silent_hours - log_silent - not_recording)
        if quiet_hours:
            quiet.append(
                f"{eni.interface_id}: no record in {quiet_hours} of {window.hours} hours; flow log "
                f"{fl.flow_log_id} active and delivering throughout: quiet, not unseen"
            )
        if window.hours:
            worst = max(worst, sum(g.hours for g in mine) / window.hours)
    return Coverage(
        window,
        tuple(e.interface_id for e in enis),
        tuple(uncovered),
        tuple(gaps),
        worst,
        tuple(notes),
        tuple(quiet),
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
