"""verify knows every real user of the window, not only the top sources the plan's evidence lists."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from test_planner import ACCOUNT, T0, World, epoch, group_of, ingress

from sgharden.cli import main
from sgharden.errors import EXIT_SAFETY

SOURCES = 22


def test_rejected_real_user_beyond_the_evidence_top_sources_is_flagged(tmp_path: Path) -> None:
    world = World(tmp_path / "world")
    world.group("sg-00000022", "bastion", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-0000000b", "10.0.1.10", ["sg-00000022"])
    world.sg_finding("EC2.13", "sg-00000022")
    # real SSH sessions from one office /24 (one authorized prefix); the last is the quietest
    for i in range(SOURCES):
        world.traffic(
            "eni-0000000b",
            "10.0.1.10",
            f"198.18.0.{10 + i}",
            22,
            conns=SOURCES + 1 - i,
            day=1 + i % 10,
        )
    snap = world.write()
    ws = str(tmp_path / "ws.duckdb")
    plan_path = tmp_path / "plan.json"
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["propose", "--snapshot", str(snap), "--workspace", ws, "--format", "json",
         "--output", str(plan_path), "--quiet"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    group = group_of(json.loads(plan_path.read_text()), "sg-00000022")
    assert group["status"] == "ready"
    quietest = f"198.18.0.{10 + SOURCES - 1}"
    # The evidence lists the top 20 sources of each rule; a rule with more real sources than that
    # leaves some unnamed. Play that here: drop the quietest source from every list (the plan's
    # decisions are unchanged).
    plan = json.loads(plan_path.read_text())
    for rule in (r for g in plan["groups"] for r in g["revoke"] + g["authorize"] + g["keep"]):
        rule["evidence"]["sources"] = [
            s for s in rule["evidence"]["sources"] if s["address"] != quietest
        ]
    plan_path.write_text(json.dumps(plan))

    after = T0 + timedelta(days=world.days + 2)
    t = epoch(after)
    log = tmp_path / "after.log"
    log.write_text(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
        "start end action log-status\n"
        f"2 {ACCOUNT} eni-0000000b {quietest} 10.0.1.10 51000 22 6 2 120 {t} {t + 5} REJECT OK\n"
    )
    verdict = runner.invoke(
        main,
        ["verify", str(plan_path), str(log), "--since", after.isoformat(), "--snapshot", str(snap),
         "--workspace", ws, "--format", "json"],
    )  # fmt: skip
    assert verdict.exit_code == EXIT_SAFETY, verdict.output
    report, _ = json.JSONDecoder().raw_decode(verdict.output[verdict.output.index("{") :])
    assert [r["remote_addr"] for r in report["real_users_rejected"]] == [quietest]


def test_a_source_that_was_only_a_probe_is_not_a_former_real_user(tmp_path: Path) -> None:
    world = World(tmp_path / "world")
    world.group("sg-00000022", "bastion", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-0000000b", "10.0.1.10", ["sg-00000022"])
    world.sg_finding("EC2.13", "sg-00000022")
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, conns=3)
    scanner = "192.0.2.200"
    world.probe(
        "eni-0000000b", "10.0.1.10", scanner, 22
    )  # a probe in the plan's window, nothing more
    snap = world.write()
    ws = str(tmp_path / "ws.duckdb")
    plan_path = tmp_path / "plan.json"
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["propose", "--snapshot", str(snap), "--workspace", ws, "--format", "json",
         "--output", str(plan_path), "--quiet"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert group_of(json.loads(plan_path.read_text()), "sg-00000022")["status"] == "ready"
    after = T0 + timedelta(days=world.days + 2)
    t = epoch(after)
    log = tmp_path / "after.log"
    log.write_text(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
        "start end action log-status\n"
        f"2 {ACCOUNT} eni-0000000b {scanner} 10.0.1.10 51000 22 6 1 44 {t} {t + 5} REJECT OK\n"
    )
    verdict = runner.invoke(
        main,
        ["verify", str(plan_path), str(log), "--since", after.isoformat(), "--snapshot", str(snap),
         "--workspace", ws, "--format", "json"],
    )  # fmt: skip
    assert verdict.exit_code == 0, verdict.output
    report, _ = json.JSONDecoder().raw_decode(verdict.output[verdict.output.index("{") :])
    assert report["real_users_rejected"] == []
    assert scanner in json.dumps(report)
