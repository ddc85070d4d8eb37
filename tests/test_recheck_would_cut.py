"""`sgharden recheck` before apply: a real source that appeared after the plan's window and that
the plan's rules would deny is a `would-cut` fact; scanners, sources the plan keeps, and groups
that drifted (their drift is the fact) are not."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from test_planner import ACCOUNT, HEADER, T0, World, epoch, group_of, ingress

from sgharden.cli import main
from sgharden.errors import EXIT_ATTENTION

NEWCOMER = "203.0.113.9"
SCANNER = "192.0.2.66"


def world(tmp_path: Path) -> tuple[Path, Path, str]:
    w = World(tmp_path / "world")
    w.group("sg-00000022", "bastion", [ingress(22, "0.0.0.0/0")])
    w.eni("eni-0000000b", "10.0.1.10", ["sg-00000022"])
    w.sg_finding("EC2.13", "sg-00000022")
    for i in range(6):  # the office: real SSH sessions on most days of the window
        for day in range(1, w.days, 2):
            w.traffic("eni-0000000b", "10.0.1.10", f"198.18.0.{10 + i}", 22, conns=2, day=day)
    snap = w.write()
    ws = str(tmp_path / "ws.duckdb")
    plan_path = tmp_path / "plan.json"
    made = run(["propose", "--snapshot", str(snap), "--workspace", ws, "--format", "json",
                "--output", str(plan_path), "--quiet"])  # fmt: skip
    assert made.exit_code == 0, made.output
    assert group_of(json.loads(plan_path.read_text()), "sg-00000022")["status"] == "ready"
    return snap, plan_path, ws


def later_log(tmp_path: Path, *, newcomer: bool) -> Path:
    """Records from after the plan's window: the office again, a scanner, and (if asked) a new
    real user outside the office range, with full sessions on three days."""
    lines = [HEADER]

    def session(remote: str, day: int, i: int, answer: bool = True, size: int = 4000) -> None:
        t = epoch(T0 + timedelta(days=day, hours=9)) + 60 * i
        sport = 41000 + i
        lines.append(f"2 {ACCOUNT} eni-0000000b {remote} 10.0.1.10 {sport} 22 6 20 {size} {t} {t + 50} "
                     "ACCEPT OK")  # fmt: skip
        if answer:
            lines.append(f"2 {ACCOUNT} eni-0000000b 10.0.1.10 {remote} 22 {sport} 6 18 9000 {t} {t + 50} "
                         "ACCEPT OK")  # fmt: skip

    for day in (17, 18, 19):
        session("198.18.0.10", day, 0)
        session(SCANNER, day, 1, answer=False, size=44)
        if newcomer:
            for i in range(3):
                session(NEWCOMER, day, 2 + i)
    path = tmp_path / ("later-new.log" if newcomer else "later.log")
    path.write_text("\n".join(lines) + "\n")
    return path


def run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def events(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_a_new_real_source_the_plan_would_cut_is_a_fact(tmp_path: Path) -> None:
    snap, plan_path, ws = world(tmp_path)
    log = later_log(tmp_path, newcomer=True)
    result = run(["recheck", str(plan_path), "--snapshot", str(snap), "--workspace", ws,
                  "--flow-logs", str(log)])  # fmt: skip
    assert result.exit_code == EXIT_ATTENTION, result.output
    cut = [e for e in events(result) if e["kind"] == "would-cut"]
    assert [(e["target_id"], e["detail"]["remote_addr"], e["detail"]["port"]) for e in cut] == [
        ("sg-00000022", NEWCOMER, 22)
    ]
    assert cut[0]["account_id"] == ACCOUNT and cut[0]["detail"]["kind"] == "real"
    assert cut[0]["detail"]["connections"] == 9


def test_only_scanners_and_kept_sources_since_the_plan_need_no_attention(tmp_path: Path) -> None:
    snap, plan_path, ws = world(tmp_path)
    log = later_log(tmp_path, newcomer=False)
    result = run(["recheck", str(plan_path), "--snapshot", str(snap), "--workspace", ws,
                  "--flow-logs", str(log)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert events(result) == []


def test_a_drifted_group_reports_its_drift_not_a_replay_of_stale_rules(tmp_path: Path) -> None:
    snap, plan_path, ws = world(tmp_path)
    groups_path = snap / "security-groups.json"
    doc = json.loads(groups_path.read_text())
    doc["SecurityGroups"][0]["IpPermissions"].append(ingress(2222, "0.0.0.0/0"))
    groups_path.write_text(json.dumps(doc))
    log = later_log(tmp_path, newcomer=True)
    result = run(["recheck", str(plan_path), "--snapshot", str(snap), "--workspace", ws,
                  "--flow-logs", str(log)])  # fmt: skip
    assert result.exit_code == EXIT_ATTENTION, result.output
    assert [e["kind"] for e in events(result)] == ["drift"]
