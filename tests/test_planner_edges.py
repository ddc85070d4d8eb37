"""Planner and ingest decisions that a deliberate break once slipped past (issue 16): each test here
names the one behaviour it holds, on a real DuckDB workspace filled by `ingest` from flow-log text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from test_planner import (
    ACCOUNT,
    T0,
    World,
    epoch,
    group_of,
    ingress,
    peers,
    run_propose,
)

from sgharden.analysis.connections import data_window
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.planner import propose
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace


def test_sources_that_fit_only_in_a_slash_23_keep_the_rule(tmp_path: Path) -> None:
    # one prefix no wider than /24 cannot hold both; a /23 could, and must not be proposed
    world = World(tmp_path)
    world.group("sg-00000001", "x", [ingress(8443, "0.0.0.0/0")])
    world.eni("eni-00000001", "10.0.1.10", ["sg-00000001"])
    world.sg_finding("EC2.18", "sg-00000001")
    world.traffic("eni-00000001", "10.0.1.10", "198.51.100.1", 8443)
    world.traffic("eni-00000001", "10.0.1.10", "198.51.101.1", 8443)
    g = group_of(run_propose(world, PlannerOptions(max_prefixes=1)), "sg-00000001")
    # the rule is kept and a person decides (the "too many scattered sources" case)
    assert g["status"] == "needs-decision"
    assert g["authorize"] == [] and g["revoke"] == []
    assert ("tcp", 8443, 8443, "0.0.0.0/0") in peers(g["keep"])
    assert any("cannot be narrowed" in w for w in g["warnings"])


class RejectOnlyWorld(World):
    """Every ENI's flow log records only rejected traffic (`TrafficType=REJECT`)."""

    def write(self) -> Path:
        d = super().write()
        doc = json.loads((d / "flow-logs.json").read_text())
        for flow_log in doc["FlowLogs"]:
            flow_log["TrafficType"] = "REJECT"
        (d / "flow-logs.json").write_text(json.dumps(doc))
        return d


def test_a_reject_only_flow_log_is_not_coverage(tmp_path: Path) -> None:
    world = RejectOnlyWorld(tmp_path)
    world.group("sg-00000007", "n", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-10000001", "10.0.1.10", ["sg-00000007"])
    world.sg_finding("EC2.13", "sg-00000007")
    world.probe("eni-10000001", "10.0.1.10", "192.0.2.1", 22)
    g = group_of(run_propose(world), "sg-00000007")
    # accepted connections are never logged: "no use seen" would mean nothing
    assert g["status"] == "needs-more-data"
    assert g["revoke"] == [] and g["authorize"] == []
    assert g["coverage"]["uncovered_enis"] == ["eni-10000001"]
    assert ("tcp", 22, 22, "0.0.0.0/0") in peers(g["keep"])


def test_world_open_443_used_only_from_the_vpc_is_narrowed_not_kept_public(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    world.group("sg-000000eb", "web", [ingress(443, "0.0.0.0/0")])
    world.group("sg-00000a99", "app", [])
    world.eni("eni-00000000", "10.0.1.10", ["sg-000000eb"])
    world.eni("eni-000000a1", "10.0.2.11", ["sg-00000a99"])
    world.eni("eni-000000a2", "10.0.2.12", ["sg-00000a99"])
    world.sg_finding("EC2.18", "sg-000000eb")
    world.traffic("eni-00000000", "10.0.1.10", "10.0.2.11", 443, conns=4)
    world.traffic("eni-00000000", "10.0.1.10", "10.0.2.12", 443, conns=4)
    g = group_of(run_propose(world), "sg-000000eb")
    # 443 is an EC2.18 authorized port, but nobody from the internet used it
    assert g["status"] == "ready"
    assert peers(g["revoke"]) == {("tcp", 443, 443, "0.0.0.0/0")}
    assert peers(g["authorize"]) == {("tcp", 443, 443, "sg-00000a99")}
    assert not any("public" in r["reason"] for r in g["keep"])


def _both_engines(world: World) -> dict[str, dict[str, Any]]:
    """The plan from each engine, separately (no equality check: each is asserted on its own)."""
    snapshot = load_snapshot(world.write())
    con = open_workspace(None)
    known = {e.interface_id: e.addresses for e in snapshot.all_interfaces()}
    ingest(con, [str(p) for p in snapshot.flow_log_dirs], IngestOptions(known_addresses=known))
    window = data_window(con, sorted(known))
    assert window is not None
    now = datetime(2026, 11, 1, tzinfo=UTC)
    return {
        engine: json.loads(
            json.dumps(propose(con, snapshot, window, now=now, engine=engine).to_dict())
        )
        for engine in ("sql", "python")
    }


def test_connections_the_interface_opened_to_a_port_in_the_rule_are_not_use(
    tmp_path: Path,
) -> None:
    # the interface calls out to remote:8443 every day; an inbound rule on 8443 must not see use
    world = World(tmp_path)
    world.group("sg-00000008", "o", [ingress(8443, "0.0.0.0/0")])
    world.eni("eni-00000008", "10.0.1.10", ["sg-00000008"])
    world.sg_finding("EC2.19", "sg-00000008")
    for day in range(1, 10):
        world.outbound("eni-00000008", "10.0.1.10", "198.51.100.20", 8443, day=day)
    for engine, plan in _both_engines(world).items():
        g = group_of(plan, "sg-00000008")
        assert peers(g["revoke"]) == {("tcp", 8443, 8443, "0.0.0.0/0")}, engine
        assert g["authorize"] == [], engine
        assert g["revoke"][0]["evidence"]["connections"] == 0, engine


def test_a_learned_listener_keeps_flagless_intervals_on_its_service_port(tmp_path: Path) -> None:
    # service port 50000 above the client's 40000: without the listener the port rule would call
    # the later, flagless intervals outbound connections to port 40000
    t = epoch(T0 + timedelta(days=1))
    head = (
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
        "start end action log-status tcp-flags"
    )
    client, server = "198.51.100.7", "10.0.1.10"
    lines = [
        head,
        f"3 {ACCOUNT} eni-00000005 {client} {server} 40000 50000 6 3 180 {t} {t + 50} ACCEPT OK 2",
        f"3 {ACCOUNT} eni-00000005 {server} {client} 50000 40000 6 2 120 {t} {t + 50} ACCEPT OK 18",
    ]
    for hour in range(1, 4):  # the long-lived connection's later aggregation intervals
        s = t + hour * 3600
        lines.append(
            f"3 {ACCOUNT} eni-00000005 {client} {server} 40000 50000 6 9 900 {s} {s + 60} ACCEPT OK 0"
        )
        lines.append(
            f"3 {ACCOUNT} eni-00000005 {server} {client} 50000 40000 6 9 9000 {s} {s + 60} ACCEPT OK 0"
        )
    path = tmp_path / "records.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = open_workspace(None)
    report = ingest(con, [str(path)], IngestOptions(known_addresses={"eni-00000005": (server,)}))
    assert report.rejected == 0
    assert con.execute("SELECT port FROM listeners").fetchall() == [(50000,)]
    keys = con.execute(
        "SELECT DISTINCT direction, protocol, service_port, remote_addr FROM flow_rollup"
    ).fetchall()
    assert keys == [("inbound", 6, 50000, client)]
    assert con.execute("SELECT sum(records) FROM flow_rollup").fetchone() == (8,)
