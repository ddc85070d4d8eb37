"""The one classification drives every decision: a source that was only a scanner (here a
credential brute forcer: full handshakes, a few KB each way, a burst on one day) is no real user
for EC2.9, RDS.2, a group's narrowing, the evidence's verdicts, the per-group "shuts out" line,
and verify. Each test has a control: the same traffic from a source that comes back is a user."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_planner import (
    ACCOUNT,
    T0,
    World,
    _db,
    _instance,
    epoch,
    group_of,
    ingress,
    run_propose,
)

from sgharden.cli import main
from sgharden.errors import EXIT_SAFETY

ATTACKER = "203.0.113.66"
ADMIN = "198.51.100.10"


def brute_force(world: World, eni: str, local: str, remote: str, port: int, days: int = 1) -> None:
    """25 failed logins within a minute (each ~3 KB in, 6 KB out); `days` > 1 makes the same
    source come back on later days, as a person does."""
    for day in range(1, days + 1):
        world.traffic(eni, local, remote, port, conns=25, bytes_in=3000, packets_in=18, day=day * 3)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path / "world")


@pytest.mark.parametrize(("days", "action"), [(1, "remove-public-ip"), (2, "keep-public-ip")])
def test_ec2_9_a_brute_forcer_is_no_reason_to_keep_a_public_ip(
    world: World, days: int, action: str
) -> None:
    world.group("sg-0000000a", "i", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-0000000a", "10.0.1.10", ["sg-0000000a"], Attachment={"InstanceId": "i-0000000b"})
    _instance(world, "i-0000000b", "eni-0000000a")
    brute_force(world, "eni-0000000a", "10.0.1.10", ATTACKER, 22, days)
    (r,) = run_propose(world)["resources"]
    assert r["action"] == action
    if days == 1:
        assert r["evidence"]["source_count"] == 0
        assert r["evidence"]["probes"]["source_count"] == 1
        assert (
            "1 internet source(s) reached it, all classified as probes or scanners" in r["reason"]
        )
    else:
        assert r["evidence"]["sources"][0]["address"] == ATTACKER


@pytest.mark.parametrize(
    ("days", "action"), [(1, "disable-public-access"), (2, "keep-public-access")]
)
def test_rds_2_a_brute_forcer_is_no_outside_client(world: World, days: int, action: str) -> None:
    _db(world, public_client=False)
    world.sg_finding("EC2.19", "sg-000000db")
    brute_force(world, "eni-00000bdc", "10.0.3.10", ATTACKER, 5432, days)
    plan = run_propose(world)
    (r,) = plan["resources"]
    assert r["action"] == action
    g = group_of(plan, "sg-000000db")
    assert g["status"] == "ready"
    allowed = {r.get("CidrIpv4") for r in g["authorize"]}
    assert (f"{ATTACKER}/32" in allowed) == (days == 2)
    if days == 1:
        assert "classified as probes or scanners" in r["reason"]
        ev = next(x for x in g["revoke"] if x["FromPort"] == 5432)["evidence"]
        (scanner,) = ev["probes"]["sources"]
        assert (scanner["address"], scanner["verdict"]) == (ATTACKER, "scanner")
        assert scanner["reason"].startswith("25 small sessions")
        assert "never returned" in scanner["reason"]
        assert all(s["verdict"] == "real" for s in ev["sources"])
        assert g["shut_out"] == {
            "scanner_sources": 1,
            "real_sources": 1,
            "real_sources_cut": 0,
            "line": "shuts out 1 scanner source(s); none was a real user; its 1 real source(s) "
            "keep their access through the new rules",
        }


def test_a_protocol_probe_is_a_probe_with_its_reason(world: World) -> None:
    world.group("sg-000000db", "db", [ingress(5432, "0.0.0.0/0")])
    world.eni("eni-0000000d", "10.0.3.10", ["sg-000000db"])
    world.sg_finding("EC2.19", "sg-000000db")
    world.traffic("eni-0000000d", "10.0.3.10", "10.0.2.10", 5432, conns=20)
    world.traffic("eni-0000000d", "10.0.3.10", "10.0.2.10", 5432, conns=20, day=9)
    # SSLRequest + StartupMessage (6 packets, 340 B with headers), answered with 'N' + an error
    world.traffic("eni-0000000d", "10.0.3.10", ATTACKER, 5432, bytes_in=340, packets_in=6)
    g = group_of(run_propose(world), "sg-000000db")
    ev = next(x for x in g["revoke"] if x["FromPort"] == 5432)["evidence"]
    (probe,) = ev["probes"]["sources"]
    assert (probe["address"], probe["verdict"]) == (ATTACKER, "probe")
    assert probe["reason"].startswith("1 opening message(s)")


@pytest.mark.parametrize(("days", "exit_code"), [(1, 0), (2, EXIT_SAFETY)])
def test_verify_does_not_count_a_former_scanner_as_a_real_user_cut_off(
    tmp_path: Path, world: World, days: int, exit_code: int
) -> None:
    world.group("sg-00000cc1", "bastion", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-0000000b", "10.0.1.10", ["sg-00000cc1"])
    world.sg_finding("EC2.13", "sg-00000cc1")
    world.traffic("eni-0000000b", "10.0.1.10", ADMIN, 22, conns=3)
    world.traffic("eni-0000000b", "10.0.1.10", ADMIN, 22, conns=3, day=8)
    brute_force(world, "eni-0000000b", "10.0.1.10", ATTACKER, 22, days)
    snap = world.write()
    ws, plan_path = str(tmp_path / "ws.duckdb"), tmp_path / "plan.json"
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["propose", "--snapshot", str(snap), "--workspace", ws, "--format", "json",
         "--output", str(plan_path), "--quiet"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    group = group_of(json.loads(plan_path.read_text()), "sg-00000cc1")
    assert group["status"] == "ready"
    if days == 2:
        # the returning source is a user: the plan keeps it, so play a change that cut it anyway
        plan = json.loads(plan_path.read_text())
        for g in plan["groups"]:
            g["authorize"] = [r for r in g["authorize"] if r.get("CidrIpv4") != f"{ATTACKER}/32"]
        plan_path.write_text(json.dumps(plan))
    after = T0 + timedelta(days=world.days + 2)
    t = epoch(after)
    log = tmp_path / "after.log"
    log.write_text(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
        "start end action log-status\n"
        f"2 {ACCOUNT} eni-0000000b {ATTACKER} 10.0.1.10 51000 22 6 1 60 {t} {t + 5} REJECT OK\n"
    )
    verdict = runner.invoke(
        main,
        ["verify", str(plan_path), str(log), "--since", after.isoformat(), "--snapshot", str(snap),
         "--workspace", ws, "--format", "json"],
    )  # fmt: skip
    assert verdict.exit_code == exit_code, verdict.output
    report, _ = json.JSONDecoder().raw_decode(verdict.output[verdict.output.index("{") :])
    cut = [r["remote_addr"] for r in report["real_users_rejected"]]
    assert cut == ([] if days == 1 else [ATTACKER])
