"""change/verify.verify, one rule per test, on a real DuckDB workspace filled by `ingest` from
flow-log text (issue 16: written for mutation testing). The plan is built as the reader's
dataclasses, so each test says exactly which rules changed and whose evidence is known.

The whole CLI path (propose, then verify with the workspace) is tests/test_verify_real_users.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_planner import ACCOUNT, HEADER, T0, World, epoch, ingress

from sgharden.analysis.connections import observed_connections
from sgharden.analysis.counted_by import PORTS
from sgharden.change.verify import (
    Rejection,
    group_interfaces,
    real_users,
    verify,
)
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.model import Rule
from sgharden.moments import iso
from sgharden.pipeline import ingest_after_change
from sgharden.plan.read import Coverage, Evidence, Plan, PlanGroup, PlanRule, Source
from sgharden.snapshot import Snapshot, load_snapshot
from sgharden.workspace import open_workspace

G = "sg-00000022"
ENI = "eni-0000000b"
LOCAL = "10.0.1.10"
WINDOW_END = T0 + timedelta(days=15)
AFTER = WINDOW_END + timedelta(days=2)  # the change
SINCE = AFTER.replace(tzinfo=None)


def rule(port: int, peer: str = "0.0.0.0/0", egress: bool = False) -> Rule:
    return Rule(G, egress, "tcp", port, port, cidr_ipv4=peer)


def plan_rule(r: Rule, *sources: str) -> PlanRule:
    found = tuple(Source(a, 3, 300, None, None) for a in sources)
    return PlanRule(r, "why", Evidence(source_count=len(found), sources=found))


def group(
    group_id: str = G,
    *,
    status: str = "ready",
    revoke: tuple[PlanRule, ...] = (),
    authorize: tuple[PlanRule, ...] = (),
    keep: tuple[PlanRule, ...] = (),
    enis: tuple[str, ...] = (ENI,),
) -> PlanGroup:
    return PlanGroup(
        group_id, "bastion", "vpc-0000000a", ACCOUNT, "eu-west-1", ("EC2.13",), (), status,
        Coverage(enis=enis), revoke, authorize, keep, (),
    )  # fmt: skip


def plan_of(*groups: PlanGroup) -> Plan:
    return Plan(Path("plan.json"), "2026-10-16T00:00:00Z", iso(T0), iso(WINDOW_END), {}, groups, ())


class Workspace:
    def __init__(self, tmp_path: Path) -> None:
        self.world = World(tmp_path)
        self.world.group(G, "bastion", [ingress(22, "0.0.0.0/0")])
        self.world.eni(ENI, LOCAL, [G])

    def rejected(self, remote: str, port: int, *, at: datetime = AFTER, n: int = 1) -> None:
        t = epoch(at)
        for i in range(n):
            self.world.lines.append(
                f"2 {ACCOUNT} {ENI} {remote} {LOCAL} {51000 + i} {port} 6 2 120 {t + i} "
                f"{t + i + 5} REJECT OK"
            )

    def load(self) -> tuple[object, Snapshot]:
        snapshot = load_snapshot(self.world.write())
        con = open_workspace(None)
        known = {e.interface_id: e.addresses for e in snapshot.all_interfaces()}
        ingest(con, [str(p) for p in snapshot.flow_log_dirs], IngestOptions(known_addresses=known))
        return con, snapshot


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def test_a_rejected_former_user_is_a_real_user_and_a_stranger_is_not(ws: Workspace) -> None:
    ws.rejected("198.51.100.10", 22, n=2)
    ws.rejected("192.0.2.77", 22, at=AFTER + timedelta(hours=1))
    con, snapshot = ws.load()
    plan = plan_of(group(revoke=(plan_rule(rule(22), "198.51.100.10"),)))
    result = verify(con, plan, SINCE, snapshot)  # type: ignore[arg-type]
    assert result.since == SINCE
    assert result.groups == [G] and result.interfaces == [ENI]
    assert [(r.remote_addr, r.real_user) for r in result.rejections] == [
        ("192.0.2.77", False),
        ("198.51.100.10", True),
    ]
    first = result.rejections[1]
    assert (first.group_id, first.interface_id, first.protocol, first.port) == (G, ENI, 6, 22)
    assert (first.rejected_records, first.connections) == (2, 2)
    assert first.first_seen == SINCE
    assert first.last_seen == SINCE + timedelta(seconds=6)
    assert [r.remote_addr for r in result.real_users_rejected] == ["198.51.100.10"]
    assert [r.remote_addr for r in result.others_rejected] == ["192.0.2.77"]
    assert first.to_dict() == {
        "group_id": G,
        "interface_id": ENI,
        "protocol": 6,
        "port": 22,
        "remote_addr": "198.51.100.10",
        "rejected_records": 2,
        "connections": 2,
        "first_seen": "2026-10-18T00:00:00Z",
        "last_seen": "2026-10-18T00:00:06Z",
        "real_user": True,
        "counted_by": PORTS,
    }


def test_rejections_on_a_port_the_change_did_not_touch_are_left_out(ws: Workspace) -> None:
    ws.rejected("198.51.100.10", 3389)
    ws.rejected("198.51.100.10", 23)
    con, snapshot = ws.load()
    plan = plan_of(
        group(revoke=(plan_rule(rule(22)),), authorize=(plan_rule(rule(23, "198.51.100.0/24")),))
    )
    result = verify(con, plan, SINCE, snapshot)  # type: ignore[arg-type]
    # 23 is a port the change authorized for some: a rejection there is still the change's
    assert [(r.port, r.remote_addr) for r in result.rejections] == [(23, "198.51.100.10")]


def test_an_egress_rule_the_change_revoked_does_not_make_inbound_rejections_its_own(
    ws: Workspace,
) -> None:
    ws.rejected("198.51.100.10", 22)
    con, snapshot = ws.load()
    plan = plan_of(group(revoke=(plan_rule(rule(22, egress=True)),)))
    result = verify(con, plan, SINCE, snapshot)  # type: ignore[arg-type]
    assert result.groups == [G] and result.rejections == []


def test_rejections_before_the_change_are_not_counted(ws: Workspace) -> None:
    ws.rejected("198.51.100.10", 22, at=AFTER - timedelta(minutes=10))
    con, snapshot = ws.load()
    plan = plan_of(group(revoke=(plan_rule(rule(22), "198.51.100.10"),)))
    assert verify(con, plan, SINCE, snapshot).rejections == []  # type: ignore[arg-type]


def test_every_real_source_of_the_window_is_a_former_user_and_probes_are_not(ws: Workspace) -> None:
    # in the plan's window: one real admin (not in the evidence), one scanner
    for day in (2, 5, 9):  # a returning user, not a one-day burst
        ws.world.traffic(ENI, LOCAL, "198.51.100.20", 22, day=day, conns=2)
    ws.world.probe(ENI, LOCAL, "192.0.2.200", 22, day=4)
    # after the window (before the change): real, but not a user the plan knew
    for day in (15, 16):
        ws.world.traffic(ENI, LOCAL, "198.51.100.30", 22, day=day, conns=2)
    for remote in ("198.51.100.20", "192.0.2.200", "198.51.100.30"):
        ws.rejected(remote, 22)
    con, snapshot = ws.load()
    plan = plan_of(group(revoke=(plan_rule(rule(22)),)))
    result = verify(con, plan, SINCE, snapshot)  # type: ignore[arg-type]
    assert {r.remote_addr: r.real_user for r in result.rejections} == {
        "192.0.2.200": False,
        "198.51.100.20": True,
        "198.51.100.30": False,
    }
    # .30 is a real user over a longer window: only the plan's window makes it unknown
    wider = observed_connections(con, None, T0, SINCE, interfaces=[ENI])  # type: ignore[arg-type]
    assert {c.remote_addr: c.is_probe for c in wider}["198.51.100.30"] is False


def test_evidence_of_kept_and_authorized_rules_names_real_users_too() -> None:
    g = group(
        revoke=(plan_rule(rule(22), "198.51.100.1"),),
        authorize=(plan_rule(rule(22, "198.51.100.0/24"), "198.51.100.2"),),
        keep=(plan_rule(rule(443), "198.51.100.3", "198.51.100.4"),),
    )
    assert real_users(g) == {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"}


def test_only_ready_groups_with_changes_are_verified_and_only_those_asked_for(
    ws: Workspace,
) -> None:
    ws.rejected("198.51.100.10", 22)
    con, snapshot = ws.load()
    held = group("sg-000000aa", status="needs-more-data", revoke=(plan_rule(rule(22)),))
    nothing = group("sg-000000bb", status="ready")
    changed = group(revoke=(plan_rule(rule(22)),))
    plan = plan_of(held, nothing, changed)
    assert verify(con, plan, SINCE, snapshot).groups == [G]  # type: ignore[arg-type]
    result = verify(con, plan, SINCE, snapshot, only_groups=("sg-000000bb",))  # type: ignore[arg-type]
    assert result.groups == [] and result.rejections == []


def test_the_interfaces_are_the_plans_and_the_snapshots_carrying_the_group(
    ws: Workspace,
) -> None:
    ws.world.eni("eni-0000000c", "10.0.1.11", [G, "sg-000000cc"])
    ws.world.eni("eni-0000000d", "10.0.1.12", ["sg-000000cc"])
    _, snapshot = ws.load()
    g = group(enis=("eni-0000000a",))
    assert group_interfaces(g, snapshot) == ["eni-0000000a", ENI, "eni-0000000c"]
    assert group_interfaces(g, None) == ["eni-0000000a"]


def test_without_a_snapshot_the_plans_interfaces_are_read(ws: Workspace) -> None:
    ws.rejected("198.51.100.10", 22)
    con, _ = ws.load()
    plan = plan_of(group(revoke=(plan_rule(rule(22), "198.51.100.10"),)))
    result = verify(con, plan, SINCE)  # type: ignore[arg-type]
    assert result.interfaces == [ENI]
    assert [(r.remote_addr, r.real_user) for r in result.rejections] == [("198.51.100.10", True)]
    # a group whose plan names no interface and no snapshot to find them: nothing to read
    plan = plan_of(group(revoke=(plan_rule(rule(22)),), enis=()))
    assert verify(con, plan, SINCE).rejections == []  # type: ignore[arg-type]


def test_a_rejection_record_is_frozen_data() -> None:
    moment = datetime(2026, 10, 18, tzinfo=UTC)
    r = Rejection(G, ENI, 6, 22, "198.51.100.1", 1, 1, moment, moment, False)
    with pytest.raises(AttributeError):
        r.real_user = True  # type: ignore[misc]


def test_the_logs_since_the_change_are_read_into_the_workspace(
    ws: Workspace, tmp_path: Path
) -> None:
    con, snapshot = ws.load()
    t = epoch(AFTER)
    after = tmp_path / "after.log"
    # no header line: the snapshot's flow-logs.json says the format, its inventory the sides
    after.write_text(
        f"2 {ACCOUNT} {ENI} 198.51.100.10 {LOCAL} 51000 22 6 2 120 {t} {t + 5} REJECT OK\n"
    )
    report = ingest_after_change(con, [str(after)], snapshot)  # type: ignore[arg-type]
    assert (report.objects_read, report.records, report.rejected) == (1, 1, 0)
    plan = plan_of(group(revoke=(plan_rule(rule(22), "198.51.100.10"),)))
    found = verify(con, plan, SINCE, snapshot).rejections  # type: ignore[arg-type]
    assert [(r.interface_id, r.port, r.remote_addr, r.real_user) for r in found] == [
        (ENI, 22, "198.51.100.10", True)
    ]


def test_an_untouched_port_first_does_not_hide_a_changed_port_after_it(ws: Workspace) -> None:
    ws.rejected("198.51.100.10", 21)  # sorted before 22, not a port of the change
    ws.rejected("198.51.100.10", 22)
    con, snapshot = ws.load()
    plan = plan_of(group(revoke=(plan_rule(rule(22)),)))
    found = verify(con, plan, SINCE, snapshot).rejections  # type: ignore[arg-type]
    assert [r.port for r in found] == [22]


def test_an_interface_only_the_snapshot_knows_is_read(ws: Workspace) -> None:
    # the plan's coverage names no interface; the snapshot says eni-0000000b carries the group
    ws.rejected("198.51.100.10", 22)
    con, snapshot = ws.load()
    plan = plan_of(group(revoke=(plan_rule(rule(22)),), enis=()))
    found = verify(con, plan, SINCE, snapshot).rejections  # type: ignore[arg-type]
    assert [(r.interface_id, r.remote_addr) for r in found] == [(ENI, "198.51.100.10")]


# ---- ingest_after_change on a fresh workspace (verify, stage status, promote, recheck run it on
# a workspace that may hold nothing of the plan's window: then only the snapshot says the format
# of header-less logs and which side of a record is the interface)

CUSTOM_FORMAT = (
    "${version} ${interface-id} ${account-id} ${action} ${log-status} ${srcaddr} ${srcport} "
    "${dstaddr} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end}"
)


def fresh(ws: Workspace, log_format: str | None = None) -> tuple[object, Snapshot]:
    """The snapshot written (its flow log's LogFormat replaced when given) and an empty workspace."""
    root = ws.world.write()
    if log_format:
        path = root / "flow-logs.json"
        document = json.loads(path.read_text())
        for flow_log in document["FlowLogs"]:
            flow_log["LogFormat"] = log_format
        path.write_text(json.dumps(document))
    return open_workspace(None), load_snapshot(root)


def test_a_header_less_log_is_read_in_the_format_the_snapshots_flow_log_declares(
    ws: Workspace, tmp_path: Path
) -> None:
    con, snapshot = fresh(ws, CUSTOM_FORMAT)
    t = epoch(AFTER)
    after = tmp_path / "after" / "since-change.log"  # outside the snapshot: no flow-logs.json near
    after.parent.mkdir()
    after.write_text(
        f"5 {ENI} {ACCOUNT} REJECT OK 198.51.100.10 51000 {LOCAL} 22 6 2 120 {t} {t + 5}\n"
    )
    report = ingest_after_change(con, [str(after.parent)], snapshot)  # type: ignore[arg-type]
    assert (report.objects_read, report.records, report.rejected) == (1, 1, 0)
    plan = plan_of(group(revoke=(plan_rule(rule(22), "198.51.100.10"),)))
    found = verify(con, plan, SINCE, snapshot).rejections  # type: ignore[arg-type]
    assert [(r.port, r.remote_addr, r.real_user) for r in found] == [(22, "198.51.100.10", True)]


def test_the_inventorys_addresses_say_a_rejected_record_was_the_interfaces_own_attempt(
    ws: Workspace, tmp_path: Path
) -> None:
    # the instance's own ssh to a neighbour, rejected: both ends private and one record, so no
    # address can be inferred from the data; only the inventory says 10.0.1.10 is the interface
    con, snapshot = fresh(ws)
    t = epoch(AFTER)
    after = tmp_path / "after.log"
    after.write_text(f"2 {ACCOUNT} {ENI} {LOCAL} 10.0.2.5 51000 22 6 2 120 {t} {t + 5} REJECT OK\n")
    report = ingest_after_change(con, [str(after)], snapshot)  # type: ignore[arg-type]
    assert report.records == 1
    rows = con.execute(  # type: ignore[attr-defined]
        "SELECT direction, local_addr, service_port, remote_addr, rejected FROM flow_rollup"
    ).fetchall()
    assert rows == [("outbound", LOCAL, 22, "10.0.2.5", 1)]
    plan = plan_of(group(revoke=(plan_rule(rule(22)),)))
    assert verify(con, plan, SINCE, snapshot).rejections == []  # type: ignore[arg-type]


def test_without_a_snapshot_a_log_with_its_header_is_read(tmp_path: Path) -> None:
    t = epoch(AFTER)
    after = tmp_path / "after.log"
    after.write_text(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
        "start end action log-status\n"
        f"2 {ACCOUNT} {ENI} 198.51.100.10 {LOCAL} 51000 22 6 2 120 {t} {t + 5} REJECT OK\n"
    )
    con = open_workspace(None)
    report = ingest_after_change(con, [str(after)], None)
    assert (report.objects_read, report.records, report.rejected) == (1, 1, 0)
    plan = plan_of(group(revoke=(plan_rule(rule(22)),)))
    found = verify(con, plan, SINCE).rejections
    assert [(r.interface_id, r.port, r.remote_addr) for r in found] == [(ENI, 22, "198.51.100.10")]


def sessions(eni: str, remote: str, local: str, start: int, action: str) -> list[str]:
    """Three SSH sessions in one hour, each a record a 10-minute interval for 40 minutes (v2)."""
    lines = []
    for s, sport in enumerate((52001, 52002, 52003)):
        for i in range(4):
            t = start + s * 300 + i * 600
            lines.append(
                f"2 {ACCOUNT} {eni} {remote} {local} {sport} 22 6 20 4000 {t} {t + 599} {action} OK"
            )
            if action == "ACCEPT":
                lines.append(
                    f"2 {ACCOUNT} {eni} {local} {remote} 22 {sport} 6 20 9000 {t} {t + 599} "
                    "ACCEPT OK"
                )
    return lines


def test_verify_counts_and_labels_connections_as_the_plans_evidence_does(tmp_path: Path) -> None:
    # issue 11, defect 3: one definition of a connection in evidence and in verify's report
    from click.testing import CliRunner
    from test_planner import group_of

    from sgharden.cli import main

    world = World(tmp_path / "world")
    world.group(G, "bastion", [ingress(22, "0.0.0.0/0")])
    world.eni(ENI, LOCAL, [G])
    world.sg_finding("EC2.13", G)
    user = "198.51.100.10"
    world.lines += sessions(ENI, user, LOCAL, epoch(T0 + timedelta(days=1, hours=10)), "ACCEPT")
    snap = world.write()
    ws, plan_path, runner = str(tmp_path / "ws.duckdb"), tmp_path / "plan.json", CliRunner()
    made = runner.invoke(
        main,
        ["propose", "--snapshot", str(snap), "--workspace", ws, "--format", "json",
         "--output", str(plan_path), "--quiet"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    group = group_of(json.loads(plan_path.read_text()), G)
    (revoked,) = group["revoke"]  # 0.0.0.0/0 on port 22
    evidence = revoked["evidence"]
    (source,) = [s for s in evidence["sources"] if s["address"] == user]
    assert source["connections"] == 3  # 12 records from the client: 3 sessions
    after = T0 + timedelta(days=world.days + 2)
    log = tmp_path / "after.log"
    log.write_text("\n".join([HEADER, *sessions(ENI, user, LOCAL, epoch(after), "REJECT")]) + "\n")
    args = ["verify", str(plan_path), str(log), "--since", after.isoformat(), "--snapshot",
            str(snap), "--workspace", ws]  # fmt: skip
    verdict = runner.invoke(main, [*args, "--format", "json"])
    report, _ = json.JSONDecoder().raw_decode(verdict.output[verdict.output.index("{") :])
    (rejected,) = report["real_users_rejected"]
    assert rejected["rejected_records"] == 12
    assert rejected["connections"] == source["connections"]
    assert rejected["counted_by"] == evidence["counted_by"] == PORTS
    table = runner.invoke(main, [*args, "--format", "markdown"]).output
    assert re.search(r"\| rejected records +\| connections +\|", table), table
    assert re.search(r"\| 12 +\| 3 +\|", table), table
    assert f"counted by: {PORTS}" in table
