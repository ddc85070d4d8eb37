"""Staged rollout against a moto server over HTTP: apply --stage, stage status, promote, rollback.

The flow logs of the soak are written by the test, timed after the stage. The soak needs days to
pass: the test plays the clock by moving the stage record's start back (the one field `stage
status` and `promote` read the time from), then writes records inside that soak.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_seed import CallRecorder
from change_world import World, build_world
from click.testing import CliRunner, Result

from sgharden.act import promote as promote_module
from sgharden.act import stage as stage_module
from sgharden.cli import main
from sgharden.errors import EXIT_SAFETY

WEB_ENI, DB_ENI = "eni-0a0000000000000a1", "eni-0b0000000000000b1"
WEB_IP, DB_IP = "10.0.1.10", "10.0.2.20"
HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)


def run(args: list[str], hooks: list[Any] | None = None) -> Result:
    return CliRunner().invoke(main, args, obj={"aws_hooks": hooks or []})


@pytest.fixture
def world(aws: str, tmp_path: Path) -> World:
    return build_world(tmp_path)


def connection(eni: str, src: str, dst: str, dport: int, when: int, real: bool = True) -> list[str]:
    """A real exchange (request and answer) or a probe (one small packet, no answer)."""
    sport = 40000 + when % 20000
    if not real:
        return [
            f"2 123456789012 {eni} {src} {dst} {sport} {dport} 6 1 44 {when} {when + 5} ACCEPT OK"
        ]
    return [
        f"2 123456789012 {eni} {src} {dst} {sport} {dport} 6 30 9000 {when} {when + 60} ACCEPT OK",
        f"2 123456789012 {eni} {dst} {src} {dport} {sport} 6 25 40000 {when} {when + 60} ACCEPT OK",
    ]


def soak_logs(path: Path, start: datetime, days: int, extra: list[str] = ()) -> Path:  # type: ignore[assignment]
    """Every day: the office on SSH (covered by its /31), the web tier on the database (covered by
    the group reference), a scanner on SSH and 8080 (probes)."""
    lines = []
    # at 03:00 UTC of each whole day after the start: a day's exchanges (40 minutes of them) never
    # straddle midnight, whatever time the test runs (the soak is counted per calendar day)
    first = datetime.combine(start.date(), time(), UTC) + timedelta(days=1)
    for day in range(days):
        t = int((first + timedelta(days=day, hours=3)).timestamp())
        lines += connection(WEB_ENI, "198.51.100.10", WEB_IP, 22, t)
        lines += connection(WEB_ENI, "2001:db8:77::5", WEB_IP, 22, t + 600)
        lines += connection(DB_ENI, WEB_IP, DB_IP, 5432, t + 1200)
        lines += connection(WEB_ENI, "203.0.113.7", WEB_IP, 22, t + 1800, real=False)
        lines += connection(WEB_ENI, "192.0.2.201", WEB_IP, 8080, t + 2400, real=False)
    path.write_text(HEADER + "\n" + "\n".join([*lines, *extra]) + "\n")
    return path


def stage(world: World, plan: Path, stages: Path, hooks: list[Any] | None = None) -> Result:
    result = run(["apply", str(plan), "--stage", "--yes", "--backup-dir", str(stages)], hooks)
    assert result.exit_code == 0, result.output
    return result


def backdate(stages: Path, days: float) -> datetime:
    """Move the newest stage record's start `days` back: the soak the test then writes logs for."""
    record = sorted(stages.glob("stage-*.json"))[-1]
    document = json.loads(record.read_text())
    start = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0)
    document["started_at"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    record.write_text(json.dumps(document))
    return start


def promote(world: World, plan: Path, stages: Path, logs: Path, *more: str) -> Result:
    # in memory: each call's logs are written for a backdated start of their own, so in one
    # workspace (the default) the early day and the full soak would overlap and count twice
    return run(
        [
            "promote",
            str(plan),
            str(logs),
            "--snapshot",
            str(world.snapshot),
            "--stage-dir",
            str(stages),
            "--workspace",
            ":memory:",
            "--yes",
            *more,
        ]
    )


def ingress(world: World, role: str) -> set[tuple[Any, ...]]:
    return {(r[2], r[4]) for r in world.rules(role) if not r[0]}


WEB_BEFORE = {(22, "0.0.0.0/0"), (22, "::/0"), (8080, "0.0.0.0/0"), (443, "0.0.0.0/0")}
WEB_NEW = {(22, "198.51.100.10/31"), (22, "2001:db8:77::5/128")}


def test_stage_soak_then_promote_revokes(world: World, tmp_path: Path) -> None:
    stages = tmp_path / "stages"
    recorder = CallRecorder()
    staged = stage(world, world.plan, stages, [recorder.hook()])
    assert set(recorder.actions) == set(stage_module.IAM_ACTIONS) - {
        "ec2:AuthorizeSecurityGroupEgress"  # the plan adds no egress rule
    }
    # phase 1 only adds: the wide rules are all still there, next to the narrow ones
    assert ingress(world, "web") == WEB_BEFORE | WEB_NEW
    assert ingress(world, "db") == {(5432, "0.0.0.0/0"), (5432, world.ids["web"])}
    label = "sgharden plan 2026-11-15T02:00:00Z"
    assert all(r[5].startswith(label) for r in world.rules("web") if (r[2], r[4]) in WEB_NEW)
    record = json.loads(next(stages.glob("stage-*.json")).read_text())
    assert record["plan_fingerprint"].startswith("sha256:")
    assert record["started_at"].endswith("Z") and Path(record["backup"]).is_file()
    stage_backup = json.loads(Path(record["backup"]).read_text())
    assert all(g["revoked"] == [] for g in stage_backup["groups"])  # phase 1 revokes nothing
    assert f"stage record: {next(stages.glob('stage-*.json'))}" in staged.output
    web = next(g for g in record["groups"] if g["group_id"] == world.ids["web"])
    assert {r.get("CidrIpv4") or r.get("CidrIpv6") for r in web["added"]} == {
        "198.51.100.10/31",
        "2001:db8:77::5/128",
    }
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") for r in web["added"])
    # re-run: nothing to do, no second record or backup
    again = stage(world, world.plan, stages)
    assert "nothing to do" in again.output
    assert len(list(stages.glob("*.json"))) == 2

    # too early: one day of soak, default minimum 7
    start = backdate(stages, 1.5)
    early = promote(world, world.plan, stages, soak_logs(tmp_path / "d1.log", start, 1))
    assert early.exit_code == EXIT_SAFETY, early.output
    assert "soaked 1.5 of 7 day(s)" in early.output
    assert ingress(world, "web") == WEB_BEFORE | WEB_NEW

    start = backdate(stages, 8.2)
    logs = soak_logs(tmp_path / "soak.log", start, 8)
    status = run(
        [
            "stage",
            "status",
            str(world.plan),
            str(logs),
            "--snapshot",
            str(world.snapshot),
            "--stage-dir",
            str(stages),
            "--format",
            "json",
        ]
    )
    assert status.exit_code == 0, status.output
    document = json.loads(status.output[status.output.index("{") :])
    by_group = {g["group_id"]: g for g in document["groups"]}
    web_soak = by_group[world.ids["web"]]
    assert web_soak["ready"] is True and web_soak["days_soaked"] >= 8
    assert web_soak["covered"] == {"connections": 16, "sources": 2}
    assert web_soak["only_revoked_real"] == []
    # the scanners are the probes that will be shut out, and they do not block
    assert {(p["remote_addr"], p["port"]) for p in web_soak["probes_shut_out"]} == {
        ("203.0.113.7", 22),
        ("192.0.2.201", 8080),
    }
    assert len(web_soak["daily"]) == 8
    assert all(d["covered"] == 2 and d["only_revoked"] == 0 for d in web_soak["daily"])
    assert by_group[world.ids["db"]]["covered"] == {"connections": 8, "sources": 1}
    assert set(document["ready"]) == {world.ids["web"], world.ids["db"]}
    markdown = run(
        ["stage", "status", str(world.plan), str(logs), "--snapshot", str(world.snapshot),
         "--stage-dir", str(stages), "--format", "markdown"]
    )  # fmt: skip
    assert markdown.exit_code == 0 and "READY to promote" in markdown.output
    assert "| day | covered by remaining rules |" in markdown.output

    recorder = CallRecorder()
    result = run(
        ["promote", str(world.plan), str(logs), "--snapshot", str(world.snapshot),
         "--stage-dir", str(stages), "--yes"],
        [recorder.hook()],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert set(recorder.actions) == set(promote_module.IAM_ACTIONS) - {
        "ec2:RevokeSecurityGroupEgress"
    }
    assert ingress(world, "web") == WEB_NEW | {(443, "0.0.0.0/0")}
    assert ingress(world, "db") == {(5432, world.ids["web"])}
    assert "backup:" in result.output
    # re-run: already promoted, no write
    recorder = CallRecorder()
    twice = run(
        ["promote", str(world.plan), str(logs), "--snapshot", str(world.snapshot),
         "--stage-dir", str(stages), "--yes"],
        [recorder.hook()],
    )  # fmt: skip
    assert twice.exit_code == 0, twice.output
    assert "already promoted" in twice.output
    assert not [a for a in recorder.actions if "Describe" not in a]
    # rollback of phase 2 puts the wide rules back and keeps the staged ones
    phase2 = sorted(stages.glob("backup-*.json"))[-1]
    back = run(["rollback", str(phase2)])
    assert back.exit_code == 0, back.output
    assert ingress(world, "web") == WEB_BEFORE | WEB_NEW


def test_a_new_real_source_blocks_promotion_and_refresh_adds_it(
    world: World, tmp_path: Path
) -> None:
    """A weekly job seen once during the soak, that only the world-open SSH rule admits."""
    stages = tmp_path / "stages"
    stage(world, world.plan, stages)
    start = backdate(stages, 8.2)
    weekly = connection(
        WEB_ENI, "192.0.2.50", WEB_IP, 22, int((start + timedelta(days=4, hours=2)).timestamp())
    )
    logs = soak_logs(tmp_path / "soak.log", start, 8, weekly)
    refused = promote(world, world.plan, stages, logs)
    assert refused.exit_code == EXIT_SAFETY, refused.output
    assert f"{world.ids['web']} not promoted" in refused.output
    assert "192.0.2.50" in refused.output.split("REAL connections admitted ONLY")[1]
    # the groups promote independently: the database's soak was clean
    assert ingress(world, "db") == {(5432, world.ids["web"])}
    assert ingress(world, "web") == WEB_BEFORE | WEB_NEW

    refreshed = tmp_path / "plan-refreshed.json"
    review = promote(world, world.plan, stages, logs, "--refresh", str(refreshed))
    assert review.exit_code == 0, review.output
    assert "nothing was changed" in review.output
    assert ingress(world, "web") == WEB_BEFORE | WEB_NEW
    plan = json.loads(refreshed.read_text())
    web = next(g for g in plan["groups"] if g["group_id"] == world.ids["web"])
    added = [r for r in web["authorize"] if r.get("CidrIpv4") == "192.0.2.50/32"]
    assert len(added) == 1 and added[0]["FromPort"] == 22
    assert added[0]["evidence"]["sources"][0]["address"] == "192.0.2.50"
    assert any("refreshed by promote" in w for w in web["warnings"])

    # the refreshed plan is staged (adds the job's rule), soaks, then promotes
    stage(world, refreshed, stages)
    assert (22, "192.0.2.50/32") in ingress(world, "web")
    backdate(stages, 8.2)
    done = promote(world, refreshed, stages, logs)
    assert done.exit_code == 0, done.output
    assert ingress(world, "web") == WEB_NEW | {(443, "0.0.0.0/0"), (22, "192.0.2.50/32")}


def test_rollback_of_a_stage_removes_only_the_added_rules(world: World, tmp_path: Path) -> None:
    stages = tmp_path / "stages"
    before = {role: world.rules(role) for role in ("web", "db", "legacy", "worker")}
    stage(world, world.plan, stages)
    # someone adds a rule during the soak: rollback leaves it and says so
    world.ec2.authorize_security_group_ingress(
        GroupId=world.ids["web"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 9090, "ToPort": 9090,
             "IpRanges": [{"CidrIp": "198.51.100.99/32"}]}
        ],
    )  # fmt: skip
    record = json.loads(next(stages.glob("stage-*.json")).read_text())
    back = run(["rollback", record["backup"]])
    assert back.exit_code == 0, back.output
    assert ingress(world, "web") == WEB_BEFORE | {(9090, "198.51.100.99/32")}
    assert "ingress tcp 9090 from 198.51.100.99/32" in back.output  # reported, left alone
    assert world.rules("db") == before["db"]
    assert {r for r in world.rules("web") if r[2] != 9090} == before["web"]


def test_drift_or_a_changed_plan_between_stage_and_promote_is_refused(
    world: World, tmp_path: Path
) -> None:
    stages = tmp_path / "stages"
    stage(world, world.plan, stages)
    start = backdate(stages, 8.2)
    logs = soak_logs(tmp_path / "soak.log", start, 8)
    world.ec2.authorize_security_group_ingress(
        GroupId=world.ids["web"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )  # fmt: skip
    drifted = promote(world, world.plan, stages, logs)
    assert drifted.exit_code == EXIT_SAFETY, drifted.output
    assert "rule not in the plan: ingress tcp 3389 from 0.0.0.0/0" in drifted.output
    assert ingress(world, "db") == {(5432, "0.0.0.0/0"), (5432, world.ids["web"])}
    world.ec2.revoke_security_group_ingress(
        GroupId=world.ids["web"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )  # fmt: skip
    # a staged rule removed by someone: refused too
    gone = next(
        r
        for r in world.ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [world.ids["web"]]}]
        )["SecurityGroupRules"]
        if r.get("CidrIpv4") == "198.51.100.10/31"
    )
    world.ec2.revoke_security_group_ingress(
        GroupId=world.ids["web"], SecurityGroupRuleIds=[gone["SecurityGroupRuleId"]]
    )
    missing = promote(world, world.plan, stages, logs)
    assert missing.exit_code == EXIT_SAFETY
    assert "staged rule missing: ingress tcp 22 from 198.51.100.10/31" in missing.output
    # the plan file edited after the stage: the soak judged other rules, refused
    plan = json.loads(world.plan.read_text())
    plan["groups"][0]["warnings"].append("edited after the stage")
    world.plan.write_text(json.dumps(plan))
    changed = promote(world, world.plan, stages, logs)
    assert changed.exit_code == EXIT_SAFETY, changed.output
    assert "the plan file changed since it was staged" in changed.output
    assert (22, "0.0.0.0/0") in ingress(world, "web")


def test_min_soak_days_under_one_is_refused(world: World, tmp_path: Path) -> None:
    result = promote(world, world.plan, tmp_path, tmp_path / "x.log", "--min-soak-days", "0")
    assert result.exit_code == 2 and "--min-soak-days" in result.output


def test_ticket_has_the_staged_variant(world: World, tmp_path: Path) -> None:
    import shlex

    result = run(
        ["ticket", str(world.plan), "--snapshot", str(world.snapshot), "--out", str(tmp_path / "t")]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "t" / f"123456789012-us-east-1-{world.ids['web']}"

    def calls(name: str) -> list[tuple[str, str]]:
        out = []
        for line in (folder / name).read_text().splitlines():
            if line.startswith("aws ec2"):
                argv = shlex.split(line)
                perms = json.loads(argv[argv.index("--ip-permissions") + 1])[0]
                peer = (perms.get("IpRanges") or perms.get("Ipv6Ranges"))[0]
                out.append((argv[2], peer.get("CidrIp") or peer.get("CidrIpv6")))
        return out

    assert calls("stage1-apply.sh") == [
        ("authorize-security-group-ingress", "198.51.100.10/31"),
        ("authorize-security-group-ingress", "2001:db8:77::5/128"),
    ]
    assert calls("stage1-rollback.sh") == [
        ("revoke-security-group-ingress", "198.51.100.10/31"),
        ("revoke-security-group-ingress", "2001:db8:77::5/128"),
    ]
    assert sorted(calls("stage2-apply.sh")) == [
        ("revoke-security-group-ingress", "0.0.0.0/0"),
        ("revoke-security-group-ingress", "0.0.0.0/0"),
        ("revoke-security-group-ingress", "::/0"),
    ]
    assert (
        sorted(c[0] for c in calls("stage2-rollback.sh"))
        == ["authorize-security-group-ingress"] * 3
    )
    stage1_tf = (folder / "change.stage1.tf").read_text()
    assert stage1_tf.count('resource "aws_vpc_security_group_ingress_rule"') == 2
    assert "ingress tcp 22 from ::/0" in (folder / "change.stage2.tf").read_text()
    runbook = (folder / "STAGED.md").read_text()
    assert "sgharden apply plan.json --stage" in runbook and "sgharden promote" in runbook
    assert "Soak criterion" in runbook and "Rollback of phase 2" in runbook
