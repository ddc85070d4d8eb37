"""The coverage gate, one rule per test (issue 16: mutants of analysis/coverage.py that no test
caught). Coverage decides whether the silence of a flow log is evidence of no use: calling a blind
hour "quiet" would let a plan revoke a rule in use; calling a quiet hour a gap keeps risky rules."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sgharden.analysis.connections import Window
from sgharden.analysis.coverage import (
    Coverage,
    Gap,
    InterfaceDelivery,
    coverage_of,
    delivery,
    flow_log_for,
    log_peers,
    verdict,
)
from sgharden.model import FlowLog, Interface, Inventory
from sgharden.workspace import open_workspace

T0 = datetime(2026, 11, 1)
DAY = Window(T0, T0 + timedelta(hours=24))
ACCOUNT, REGION = "111122223333", "us-east-1"


def hour(h: int) -> datetime:
    return T0 + timedelta(hours=h)


def eni(eni_id: str, subnet: str = "subnet-1", vpc: str = "vpc-1", attach: str | None = None):
    return Interface(
        eni_id, ACCOUNT, REGION, vpc, subnet, ("sg",), ("10.0.0.5",), attach_time=attach
    )


def log(resource: str, log_id: str = "fl-1", **kw: object) -> FlowLog:
    return FlowLog(log_id, resource, ACCOUNT, REGION, "${version}", "s3", "arn:aws:s3:::b", **kw)  # type: ignore[arg-type]


def inv(enis: list[Interface], logs: list[FlowLog]) -> Inventory:
    return Inventory(
        ACCOUNT, REGION, interfaces={e.interface_id: e for e in enis}, flow_logs=tuple(logs)
    )


def got(eni_id: str, silent: tuple[int, ...] = (), skip: tuple[int, ...] = (), hours: int = 24):
    """What the workspace holds: records in every hour but `silent`; SKIPDATA in `skip`."""
    gaps = [Gap(eni_id, hour(h), hour(h + 1), "no-delivery") for h in silent]
    gaps += [Gap(eni_id, hour(h), hour(h + 1), "skipdata") for h in skip]
    return InterfaceDelivery(eni_id, hours - len(silent), tuple(gaps))


def cover(
    enis: list[Interface], logs: list[FlowLog], *deliveries: InterfaceDelivery, also=()
) -> Coverage:
    """Coverage of `enis`, in an inventory that also holds the interfaces `also`."""
    inventory = inv([*enis, *also], logs)
    return coverage_of(enis, inventory, {d.interface_id: d for d in deliveries}, DAY)


def test_an_interface_without_any_flow_log_is_uncovered_and_says_where_it_looked() -> None:
    a = eni("eni-a")
    c = cover([a], [log("vpc-other")], got("eni-a"))
    assert c.uncovered_enis == ("eni-a",)
    assert c.notes == (
        "eni-a: no active flow log on the ENI, its subnet subnet-1 or its VPC vpc-1 in flow-logs.json",
    )
    assert flow_log_for(a, inv([a], [])) is None


def test_only_an_active_log_that_records_accepted_traffic_counts() -> None:
    a = eni("eni-a")
    for bad in (log("eni-a", status="DELETING"), log("eni-a", traffic_type="reject")):
        assert cover([a], [bad], got("eni-a")).uncovered_enis == ("eni-a",), bad
    for good in (log("eni-a", status="active"), log("eni-a", traffic_type="accept")):
        assert cover([a], [good], got("eni-a")).uncovered_enis == (), good


def test_the_most_specific_log_decides() -> None:
    a = eni("eni-a")
    broken = {"deliver_logs_status": "FAILED"}
    # a healthy ENI-level log covers the ENI even when its VPC's log fails to deliver
    vpc_failed = [log("vpc-1", "fl-vpc", **broken), log("eni-a", "fl-eni")]
    assert cover([a], vpc_failed, got("eni-a")).uncovered_enis == ()
    assert flow_log_for(a, inv([a], vpc_failed)) == "fl-eni"
    # and its subnet's log comes before its VPC's
    subnet_failed = [log("vpc-1", "fl-vpc"), log("subnet-1", "fl-sub", **broken)]
    assert cover([a], subnet_failed, got("eni-a")).uncovered_enis == ("eni-a",)
    assert flow_log_for(a, inv([a], subnet_failed)) == "fl-sub"


def test_a_log_that_failed_to_deliver_covers_nothing_and_names_the_error() -> None:
    a = eni("eni-a")
    failed = log("eni-a", deliver_logs_status="failed", deliver_logs_error="Access error")
    c = cover([a], [failed], got("eni-a"))
    assert c.uncovered_enis == ("eni-a",)
    assert c.notes == (
        "eni-a: flow log fl-1 failed to deliver (Access error): its silence is not evidence "
        "(fix delivery, then collect a new window)",
    )
    no_error = cover([a], [log("eni-a", deliver_logs_status="FAILED")], got("eni-a"))
    assert "failed to deliver: its silence" in no_error.notes[0]


def test_an_eni_level_log_with_no_data_in_the_window_is_uncovered() -> None:
    a = eni("eni-a")
    c = cover([a], [log("eni-a")], InterfaceDelivery("eni-a", 0))
    assert c.uncovered_enis == ("eni-a",)
    assert c.notes == (
        "eni-a: flow log fl-1 delivered no data in the window "
        "(ingest its objects, or widen the window)",
    )
    assert cover([a], [log("eni-a")]).uncovered_enis == ("eni-a",)  # nothing ingested at all


def test_a_vpc_log_that_delivered_for_a_neighbour_covers_a_silent_interface() -> None:
    a, b = eni("eni-a"), eni("eni-b")
    quiet = InterfaceDelivery("eni-a", 0, (Gap("eni-a", hour(0), hour(24), "no-delivery"),))
    c = cover([a], [log("vpc-1")], quiet, got("eni-b"), also=[b])
    assert c.uncovered_enis == () and c.gaps == ()
    assert c.quiet == (
        "eni-a: no record in 24 of 24 hours; flow log fl-1 active and delivering throughout: "
        "quiet, not unseen",
    )
    # with no neighbour delivering either, the log's silence proves nothing
    c = cover([a], [log("vpc-1")], quiet, InterfaceDelivery("eni-b", 0), also=[b])
    assert c.uncovered_enis == ("eni-a",)


def test_hours_before_the_log_existed_are_gaps_not_quiet() -> None:
    a = eni("eni-a")
    logged = log("eni-a", creation_time="2026-11-01T05:30:00Z")
    c = cover([a], [logged], got("eni-a", silent=(0, 1, 2, 3, 4, 5)))
    assert c.gaps == (Gap("eni-a", hour(0), hour(6), "not-recording"),)
    assert c.gap_share == 6 / 24
    assert c.quiet == ()


def test_the_later_of_log_creation_and_attachment_starts_the_recording() -> None:
    a = eni("eni-a", attach="2026-11-01T09:00:00+02:00")  # 07:00 UTC
    logged = log("eni-a", creation_time="2026-11-01T05:30:00Z")
    c = cover([a], [logged], got("eni-a", silent=tuple(range(7))))
    assert c.gaps == (Gap("eni-a", hour(0), hour(7), "not-recording"),)
    naive = eni("eni-a", attach="2026-11-01T03:00:00")  # no zone: already UTC
    c = cover([naive], [log("eni-a")], got("eni-a", silent=(0, 1, 2)))
    assert c.gaps == (Gap("eni-a", hour(0), hour(3), "not-recording"),)


def test_records_before_the_logs_creation_time_prove_it_was_recording() -> None:
    a = eni("eni-a")
    recreated = log("eni-a", creation_time="2026-11-01T10:00:00Z")
    c = cover([a], [recreated], got("eni-a", silent=(0, 1)))
    assert c.gaps == (Gap("eni-a", hour(0), hour(2), "not-recording"),)


def test_a_log_older_than_the_window_leaves_no_gap_and_silent_hours_are_quiet() -> None:
    a = eni("eni-a", attach="2026-10-01T00:00:00Z")
    c = cover([a], [log("eni-a", creation_time="2026-10-30T00:00:00Z")], got("eni-a", silent=(3,)))
    assert c.gaps == () and c.gap_share == 0
    assert c.quiet == (
        "eni-a: no record in 1 of 24 hours; flow log fl-1 active and delivering throughout: "
        "quiet, not unseen",
    )


def test_skipdata_hours_are_gaps_and_counted_once_with_not_recording() -> None:
    a = eni("eni-a")
    c = cover([a], [log("eni-a")], got("eni-a", skip=(10, 11)))
    assert c.gaps == (Gap("eni-a", hour(10), hour(12), "skipdata"),)
    assert c.gap_share == 2 / 24
    late = log("eni-a", creation_time="2026-11-01T06:00:00Z")
    c = cover([a], [late], got("eni-a", silent=tuple(range(6)), skip=(4, 5, 6, 7)))
    assert c.gaps == (
        Gap("eni-a", hour(0), hour(6), "not-recording"),
        Gap("eni-a", hour(6), hour(8), "skipdata"),
    )
    assert c.gap_share == 8 / 24


def test_an_hour_the_shared_log_delivered_nothing_at_all_is_a_gap() -> None:
    a, b, idle = eni("eni-a"), eni("eni-b"), eni("eni-idle")
    deliveries = (
        got("eni-a", silent=(3, 4)),
        got("eni-b", silent=(4, 5)),
        # an interface with no record at all says nothing about the log's hours
        InterfaceDelivery("eni-idle", 0, (Gap("eni-idle", hour(0), hour(24), "no-delivery"),)),
    )
    c = cover([a, b, idle], [log("vpc-1")], *deliveries)
    assert c.uncovered_enis == ()
    assert c.gaps == tuple(
        Gap(i, hour(4), hour(5), "no-delivery") for i in ("eni-a", "eni-b", "eni-idle")
    )
    assert c.gap_share == 1 / 24
    assert c.window == DAY and c.window_days == 1
    assert c.quiet == (
        "eni-a: no record in 1 of 24 hours; flow log fl-1 active and delivering throughout: "
        "quiet, not unseen",
        "eni-b: no record in 1 of 24 hours; flow log fl-1 active and delivering throughout: "
        "quiet, not unseen",
        "eni-idle: no record in 23 of 24 hours; flow log fl-1 active and delivering throughout: "
        "quiet, not unseen",
    )


def test_an_eni_level_logs_silent_hours_are_quiet_not_gaps() -> None:
    c = cover([eni("eni-a")], [log("eni-a")], got("eni-a", silent=(3, 4, 9)))
    assert c.gaps == () and len(c.quiet) == 1 and "no record in 3 of 24" in c.quiet[0]


def test_the_gap_share_is_the_worst_interfaces_and_gaps_merge_into_runs() -> None:
    a, b = eni("eni-a"), eni("eni-b")
    c = cover(
        [b, a],
        [log("eni-a", "fl-a"), log("eni-b", "fl-b")],
        got("eni-a", skip=(1, 2, 3, 7)),
        got("eni-b", skip=(5,)),
    )
    assert c.enis == ("eni-a", "eni-b")  # sorted
    assert c.gaps == (
        Gap("eni-a", hour(1), hour(4), "skipdata"),
        Gap("eni-a", hour(7), hour(8), "skipdata"),
        Gap("eni-b", hour(5), hour(6), "skipdata"),
    )
    assert c.gap_share == 4 / 24
    assert c.gaps[0].hours == 3


def test_log_peers_are_the_interfaces_a_shared_log_also_records() -> None:
    a, b = eni("eni-a", subnet="subnet-1"), eni("eni-b", subnet="subnet-2")
    other_vpc = eni("eni-c", subnet="subnet-9", vpc="vpc-2")
    enis = [a, b, other_vpc]
    assert log_peers([a], inv(enis, [log("vpc-1")])) == {"eni-a", "eni-b"}
    assert log_peers([a], inv(enis, [log("subnet-1")])) == {"eni-a"}
    assert log_peers([a], inv(enis, [log("eni-a")])) == set()
    assert log_peers([a], inv(enis, [])) == set()


def coverage(days: float = 14, gaps: tuple[Gap, ...] = (), share: float = 0.0, **kw) -> Coverage:
    window = Window(T0, T0 + timedelta(days=days))
    return Coverage(window, kw.pop("enis", ("eni-a",)), kw.pop("uncovered", ()), gaps, share, **kw)


def test_the_verdict_trusts_a_full_window_without_gaps() -> None:
    assert verdict(coverage(), 14, 0.05) == verdict(coverage(), 14, 0.05)
    v = verdict(coverage(), 14, 0.05)
    assert v.ok and v.reasons == () and v.warnings == ()


def test_the_verdict_refuses_a_short_window() -> None:
    v = verdict(coverage(days=13.5), 14, 0.05)
    assert not v.ok
    assert v.reasons == (
        "window is 13.5 days, shorter than the minimum 14 (collect more flow logs or lower --min-days)",
    )
    assert verdict(coverage(days=13.5, enis=()), 14, 0.05).ok  # nothing to judge


def test_the_verdict_refuses_gaps_over_the_limit_and_warns_under_it() -> None:
    gaps = (Gap("eni-a", hour(0), hour(17), "skipdata"),)
    over = verdict(coverage(gaps=gaps, share=0.06), 14, 0.05)
    assert not over.ok
    assert over.reasons == (
        "flow-log gaps of 17 interface-hours; worst ENI misses 6.0% of the window (limit 5.0%)",
    )
    at = verdict(coverage(gaps=gaps, share=0.05), 14, 0.05)
    assert at.ok and at.warnings == (
        "flow-log gaps of 17 interface-hours (worst ENI 5.00% of the window, under the 5.0% "
        "limit): use in them is unseen",
    )


def test_the_verdict_names_each_uncovered_interface() -> None:
    noted = verdict(coverage(uncovered=("eni-a",), notes=("eni-a: why",)), 14, 0.05)
    assert not noted.ok and noted.reasons == ("eni-a: why",)
    bare = verdict(coverage(uncovered=("eni-a", "eni-b")), 14, 0.05)
    assert bare.reasons == ("ENIs without flow-log data: eni-a, eni-b",)


def test_each_uncovered_interface_is_judged_on_its_own() -> None:
    # one interface per reason to be uncovered, each followed by a covered one
    enis = [eni(f"eni-{i}") for i in "abcdef"]
    logs = [
        log("eni-b", "fl-b", deliver_logs_status="FAILED"),
        log("eni-c", "fl-c"),
        log("eni-d", "fl-d"),
        log("eni-e", "fl-e"),
        log("eni-f", "fl-f"),
    ]
    deliveries = [got(i, skip=(1,)) for i in ("eni-b", "eni-d", "eni-f")]
    c = cover(enis, logs, *deliveries, InterfaceDelivery("eni-e", 0))
    assert c.uncovered_enis == ("eni-a", "eni-b", "eni-c", "eni-e")
    assert [g.interface_id for g in c.gaps] == ["eni-d", "eni-f"]


def test_a_neighbour_the_workspace_knows_nothing_about_proves_nothing() -> None:
    a, b, c = eni("eni-a"), eni("eni-b"), eni("eni-c")
    silent_a = InterfaceDelivery("eni-a", 0, (Gap("eni-a", hour(0), hour(24), "no-delivery"),))
    # eni-b is in the inventory but not among the deliveries at all
    assert cover([a], [log("vpc-1")], silent_a, also=[b]).uncovered_enis == ("eni-a",)
    got_gaps = cover(
        [a], [log("vpc-1")], got("eni-a", silent=(4,)), got("eni-c", silent=(4,)), also=[b, c]
    )
    assert got_gaps.uncovered_enis == ()
    assert got_gaps.gaps == (Gap("eni-a", hour(4), hour(5), "no-delivery"),)


def test_a_neighbours_records_prove_a_shared_log_was_recording() -> None:
    a, b = eni("eni-a"), eni("eni-b")
    silent_a = InterfaceDelivery("eni-a", 0, (Gap("eni-a", hour(0), hour(24), "no-delivery"),))
    recreated = log("vpc-1", creation_time="2026-11-01T10:00:00Z")
    c = cover([a], [recreated], silent_a, got("eni-b", silent=(0, 1)), also=[b])
    assert c.gaps == (Gap("eni-a", hour(0), hour(2), "not-recording"),)


def test_log_peers_of_several_interfaces_are_all_their_logs_peers() -> None:
    a, b = eni("eni-a", subnet="subnet-1"), eni("eni-b", subnet="subnet-2")
    c = eni("eni-c", subnet="subnet-2")
    logs = [log("subnet-1", "fl-1"), log("subnet-2", "fl-2")]
    assert log_peers([a, b], inv([a, b, c], logs)) == {"eni-a", "eni-b", "eni-c"}


@pytest.fixture(params=["Asia/Kolkata", "America/New_York"])
def far_from_utc(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    """The machine's local time zone is not UTC (timestamps must not depend on it): east of it,
    a misread time is too early; west of it, too late (both would be hidden otherwise)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
def test_timestamps_mean_the_same_hour_whatever_the_local_time_zone() -> None:
    naive = eni("eni-a", attach="2026-11-01T03:00:00")  # AWS's naive times are UTC
    c = cover([naive], [log("eni-a")], got("eni-a", silent=(0, 1, 2)))
    assert c.gaps == (Gap("eni-a", hour(0), hour(3), "not-recording"),)
    zoned = eni("eni-a", attach="2026-11-01T09:00:00+02:00")
    c = cover([zoned], [log("eni-a")], got("eni-a", silent=tuple(range(7))))
    assert c.gaps == (Gap("eni-a", hour(0), hour(7), "not-recording"),)


def test_delivery_reads_the_workspaces_hours(tmp_path: Path) -> None:
    con = open_workspace(tmp_path / "w.duckdb")
    rows = [("eni-a", h, 0) for h in range(24) if h not in (3, 4, 9)]
    rows += [("eni-b", h, 1 if h in (7, 8) else 0) for h in range(20)]
    rows += [("eni-full", h, 0) for h in range(24)]
    con.executemany(
        "INSERT INTO interface_hours VALUES ('1', 'r', ?, ?, 1, 0, ?)",
        [(i, hour(h), skip) for i, h, skip in rows],
    )
    got_ = delivery(con, ["eni-b", "eni-a", "eni-a", "eni-none"], DAY)
    assert list(got_) == ["eni-a", "eni-b", "eni-none"]
    assert got_["eni-a"] == InterfaceDelivery(
        "eni-a",
        21,
        (
            Gap("eni-a", hour(3), hour(5), "no-delivery"),
            Gap("eni-a", hour(9), hour(10), "no-delivery"),
        ),
    )
    assert got_["eni-b"] == InterfaceDelivery(
        "eni-b",
        20,
        (
            Gap("eni-b", hour(7), hour(9), "skipdata"),
            Gap("eni-b", hour(20), hour(24), "no-delivery"),
        ),
    )
    assert got_["eni-none"] == InterfaceDelivery(
        "eni-none", 0, (Gap("eni-none", hour(0), hour(24), "no-delivery"),)
    )
    assert delivery(con, ["eni-full"], DAY) == {"eni-full": InterfaceDelivery("eni-full", 24)}
    one_hour = Window(hour(9), hour(10))
    assert delivery(con, ["eni-a", "eni-b"], one_hour) == {
        "eni-a": InterfaceDelivery("eni-a", 0, (Gap("eni-a", hour(9), hour(10), "no-delivery"),)),
        "eni-b": InterfaceDelivery("eni-b", 1),
    }
    assert delivery(con, [], DAY) == {}
    empty = Window(T0, T0)
    assert delivery(con, ["eni-a"], empty) == {"eni-a": InterfaceDelivery("eni-a", 0)}
