"""plan -> ticket -> dry-run --check-aws -> apply -> re-apply -> drift refused -> rollback -> verify,
against a moto server over HTTP, with every API call recorded as the IAM action it needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_seed import CallRecorder
from change_world import World, build_world
from click.testing import CliRunner, Result

from sgharden.act import apply as apply_module
from sgharden.act import awscheck
from sgharden.act import rollback as rollback_module
from sgharden.cli import main
from sgharden.errors import EXIT_INPUT, EXIT_PARTIAL, EXIT_SAFETY


def run(args: list[str], hooks: list[Any] | None = None, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, args, obj={"aws_hooks": hooks or []}, input=stdin)


@pytest.fixture
def world(aws: str, tmp_path: Path) -> World:
    return build_world(tmp_path)


FIXTURE_ENI_WEB = "eni-0a0000000000000a1"


def flow_log_file(path: Path, lines: list[str]) -> Path:
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    path.write_text(header + "\n" + "\n".join(lines) + "\n")
    return path


def record(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    action: str,
    when: int,
    packets: int = 3,
    size: int = 180,
) -> str:
    return f"2 123456789012 {FIXTURE_ENI_WEB} {src} {dst} {sport} {dport} 6 {packets} {size} {when} {when + 20} {action} OK"


def test_ticket_dry_run_apply_rollback_verify(world: World, tmp_path: Path) -> None:
    before = {role: world.rules(role) for role in ("web", "db", "legacy", "worker")}
    backups = tmp_path / "backups"

    tickets = run(
        [
            "ticket",
            str(world.plan),
            "--snapshot",
            str(world.snapshot),
            "--out",
            str(tmp_path / "tickets"),
        ]
    )
    assert tickets.exit_code == 0, tickets.output
    web_ticket = tmp_path / "tickets" / f"123456789012-us-east-1-{world.ids['web']}"
    assert (web_ticket / "TICKET.md").is_file() and (tmp_path / "tickets" / "report.html").is_file()

    recorder = CallRecorder()
    dry = run(
        [
            "dry-run",
            str(world.plan),
            "--snapshot",
            str(world.snapshot),
            "--check-aws",
            "--out",
            str(tmp_path / "dry"),
        ],
        [recorder.hook()],
    )
    assert dry.exit_code == 0, dry.output
    # every call declared; every declared action called except the paths this plan does not take
    # (egress changes; ModifyNetworkInterfaceAttribute is for auto-assigned addresses)
    assert set(recorder.actions) == set(awscheck.IAM_ACTIONS) - {
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:ModifyNetworkInterfaceAttribute",
    }
    report = json.loads((tmp_path / "dry" / "dry-run.json").read_text())
    assert report["ok"] is True
    assert report["replay"]["newly_denied"]["real"] == []
    assert {(d["remote_addr"], d["port"]) for d in report["replay"]["newly_denied"]["probes"]} >= {
        ("203.0.113.7", 22),
        ("192.0.2.201", 8080),
    }
    outcomes = {(c["target"], c["change"]): c["outcome"] for c in report["aws_checks"]}
    assert (
        outcomes[(world.ids["web"], "authorize ingress tcp 22 from 198.51.100.10/31")]
        == "would-succeed"
    )
    assert outcomes[(world.ids["web"], "revoke ingress tcp 22 from ::/0")] == "would-succeed"
    assert (
        outcomes[(world.ids["db"], f"authorize ingress tcp 5432 from {world.ids['web']}")]
        == "would-succeed"
    )
    assert (
        outcomes[(world.ids["instance"], f"disassociate Elastic IP {world.ids['public_ip']}")]
        == "would-succeed"
    )
    assert outcomes[("orders-db", "--no-publicly-accessible")] == "not-checkable"
    assert world.rules("web") == before["web"]  # a dry run changes nothing
    assert "safe to apply" in (tmp_path / "dry" / "dry-run.md").read_text()

    # apply asks first; "n" changes nothing and writes no backup
    refused = run(["apply", str(world.plan), "--backup-dir", str(backups)], stdin="n\n")
    assert refused.exit_code == EXIT_SAFETY, refused.output
    assert not backups.exists()
    assert world.rules("web") == before["web"]

    recorder = CallRecorder()
    result = run(
        ["apply", str(world.plan), "--yes", "--include-resources", "--backup-dir", str(backups)],
        [recorder.hook()],
    )
    assert result.exit_code == 0, result.output
    assert set(recorder.actions) <= set(apply_module.IAM_ACTIONS)
    # the calls that change things are all declared and were all needed here
    assert {
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:DisassociateAddress",
        "rds:ModifyDBInstance",
    } <= set(recorder.actions)
    # authorize before revoke, per group
    ops = [a for a in recorder.actions if "SecurityGroupIngress" in a]
    assert ops.index("ec2:AuthorizeSecurityGroupIngress") < ops.index(
        "ec2:RevokeSecurityGroupIngress"
    )

    label = "sgharden plan 2026-11-15T02:00:00Z"
    web = world.rules("web")
    peers = {(r[2], r[4]) for r in web if not r[0]}
    assert peers == {(22, "198.51.100.10/31"), (22, "2001:db8:77::5/128"), (443, "0.0.0.0/0")}
    described = {r[4]: r[5] for r in web if not r[0]}
    assert described["198.51.100.10/31"].startswith(f"{label}: office addresses")
    db = world.rules("db")
    assert {(r[2], r[4]) for r in db if not r[0]} == {(5432, world.ids["web"])}
    assert world.rules("legacy") == before["legacy"]  # needs-more-data: untouched
    instance = world.ec2.describe_instances(InstanceIds=[world.ids["instance"]])
    assert "PublicIpAddress" not in instance["Reservations"][0]["Instances"][0]
    db_instance = world.rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][
        0
    ]
    assert db_instance["PubliclyAccessible"] is False

    backup_files = sorted(backups.glob("backup-*.json"))
    assert len(backup_files) == 1
    backup = json.loads(backup_files[0].read_text())
    web_backup = next(g for g in backup["groups"] if g["group_id"] == world.ids["web"])
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") for r in web_backup["rules_before"])
    assert {r.get("CidrIpv4") or r.get("CidrIpv6") for r in web_backup["revoked"]} == {
        "0.0.0.0/0",
        "::/0",
    }

    # re-run: nothing to do, no new backup, no write call
    recorder = CallRecorder()
    again = run(
        ["apply", str(world.plan), "--yes", "--include-resources", "--backup-dir", str(backups)],
        [recorder.hook()],
    )
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert len(list(backups.glob("backup-*.json"))) == 1
    assert not [a for a in recorder.actions if not a.split(":")[1].startswith("Describe")]

    # drift: someone opens RDP on the web group; apply refuses and changes nothing
    world.ec2.authorize_security_group_ingress(
        GroupId=world.ids["web"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 3389,
                "ToPort": 3389,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    drifted_state = world.rules("web")
    drift = run(["apply", str(world.plan), "--yes", "--backup-dir", str(backups)])
    assert drift.exit_code == EXIT_SAFETY
    assert "rule not in the plan: ingress tcp 3389 from 0.0.0.0/0" in drift.output
    assert world.rules("web") == drifted_state
    world.ec2.revoke_security_group_ingress(
        GroupId=world.ids["web"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 3389,
                "ToPort": 3389,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )

    # rollback restores the exact original rules (descriptions included) and resources
    recorder = CallRecorder()
    back = run(["rollback", str(backup_files[0])], [recorder.hook()])
    assert back.exit_code == 0, back.output
    assert set(recorder.actions) <= set(rollback_module.IAM_ACTIONS)
    assert {role: world.rules(role) for role in before} == before
    instance = world.ec2.describe_instances(InstanceIds=[world.ids["instance"]])
    assert (
        instance["Reservations"][0]["Instances"][0].get("PublicIpAddress") == world.ids["public_ip"]
    )
    db_instance = world.rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][
        0
    ]
    assert db_instance["PubliclyAccessible"] is True

    # rollback again: safe, nothing to do
    recorder = CallRecorder()
    twice = run(["rollback", str(backup_files[0])], [recorder.hook()])
    assert twice.exit_code == 0, twice.output
    assert "nothing to do" in twice.output
    assert not [a for a in recorder.actions if not a.split(":")[1].startswith("Describe")]
    assert {role: world.rules(role) for role in before} == before

    # verify on post-change flow logs: the office is let in, scanners are turned away -> exit 0
    change_time = 1795000000  # 2026-11-18T...Z
    since = "2026-11-18T00:00:00Z"
    good = flow_log_file(
        tmp_path / "after-good.log",
        [
            record("198.51.100.10", "10.0.1.10", 50001, 22, "ACCEPT", change_time, 30, 9000),
            record("10.0.1.10", "198.51.100.10", 22, 50001, "ACCEPT", change_time, 25, 40000),
            record("203.0.113.7", "10.0.1.10", 40001, 22, "REJECT", change_time + 60, 1, 44),
            record("192.0.2.201", "10.0.1.10", 40002, 8080, "REJECT", change_time + 90, 1, 44),
        ],
    )
    ok = run(
        [
            "verify",
            str(world.plan),
            str(good),
            "--since",
            since,
            "--snapshot",
            str(world.snapshot),
            "--format",
            "json",
        ]
    )
    assert ok.exit_code == 0, ok.output
    verdict = json.loads(ok.output[ok.output.index("{") :])
    assert verdict["real_users_rejected"] == []
    assert {(r["remote_addr"], r["port"]) for r in verdict["others_rejected"]} == {
        ("203.0.113.7", 22),
        ("192.0.2.201", 8080),
    }

    # an office address turned away after the change: exit 5, the signal to roll back
    bad = flow_log_file(
        tmp_path / "after-bad.log",
        [
            record("198.51.100.11", "10.0.1.10", 50002, 22, "REJECT", change_time + 120, 2, 120),
            record("203.0.113.7", "10.0.1.10", 40001, 22, "REJECT", change_time + 60, 1, 44),
            # before the change: not counted
            record(
                "198.51.100.10", "10.0.1.10", 50003, 22, "REJECT", change_time - 7 * 86400, 2, 120
            ),
        ],
    )
    cut = run(
        ["verify", str(world.plan), str(bad), "--since", since, "--snapshot", str(world.snapshot)]
    )
    assert cut.exit_code == EXIT_SAFETY, cut.output
    assert "REAL USERS REJECTED" in cut.output
    real_section = cut.output.split("REAL USERS REJECTED")[1].split("rejected probes")[0]
    assert "198.51.100.11" in real_section and "198.51.100.10" not in real_section


def test_apply_without_resources_prints_their_commands(world: World, tmp_path: Path) -> None:
    result = run(["apply", str(world.plan), "--yes", "--backup-dir", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "aws rds modify-db-instance" in result.output
    assert "--no-publicly-accessible" in result.output
    assert world.rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0][
        "PubliclyAccessible"
    ]


def test_apply_one_group_leaves_the_others(world: World, tmp_path: Path) -> None:
    web_before = world.rules("web")
    result = run(
        [
            "apply",
            str(world.plan),
            "--yes",
            "--group",
            world.ids["db"],
            "--backup-dir",
            str(tmp_path / "b"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert world.rules("web") == web_before
    assert {(r[2], r[4]) for r in world.rules("db") if not r[0]} == {(5432, world.ids["web"])}


def test_failure_half_way_stops_names_rollback_and_keeps_old_access(
    world: World, tmp_path: Path
) -> None:
    """The revoke fails after the authorize: the group has more access than planned, never less."""

    def deny_revoke(model: Any, **_: Any) -> None:
        from botocore.exceptions import ClientError

        if model.name == "RevokeSecurityGroupIngress":
            raise ClientError(
                {"Error": {"Code": "UnauthorizedOperation", "Message": "denied"}}, model.name
            )

    result = run(
        [
            "apply",
            str(world.plan),
            "--yes",
            "--group",
            world.ids["web"],
            "--backup-dir",
            str(tmp_path / "b"),
        ],
        [("before-call.ec2.RevokeSecurityGroupIngress", deny_revoke)],
    )
    assert result.exit_code == EXIT_SAFETY
    backup = next((tmp_path / "b").glob("backup-*.json"))
    assert f"sgharden rollback {backup}" in result.output
    peers = {(r[2], r[4]) for r in world.rules("web") if not r[0]}
    assert {(22, "0.0.0.0/0"), (22, "198.51.100.10/31")} <= peers  # old and new both there
    back = run(["rollback", str(backup)])
    assert back.exit_code == 0, back.output
    assert (22, "198.51.100.10/31") not in {(r[2], r[4]) for r in world.rules("web") if not r[0]}


def test_note_updates_findings_or_says_why_not(world: World, tmp_path: Path) -> None:
    recorder = CallRecorder()
    result = run(
        [
            "apply",
            str(world.plan),
            "--yes",
            "--group",
            world.ids["web"],
            "--backup-dir",
            str(tmp_path / "b"),
            "--note",
            "CHG-1234",
        ],
        [recorder.hook()],
    )
    assert "securityhub:BatchUpdateFindings" in recorder.actions
    params = dict(recorder.params)["securityhub:BatchUpdateFindings"]
    assert params["Workflow"] == {"Status": "NOTIFIED"}
    assert params["Note"]["Text"] == "sgharden plan 2026-11-15T02:00:00Z: CHG-1234"
    assert {f["Id"].rsplit("/", 1)[-1] for f in params["FindingIdentifiers"]} == {"0a19", "0a18"}
    assert all(
        f["ProductArn"] == "arn:aws:securityhub:us-east-1::product/aws/securityhub"
        for f in params["FindingIdentifiers"]
    )
    # moto does not implement BatchUpdateFindings: the change stands, the command says so (exit 4)
    if result.exit_code != 0:
        assert result.exit_code == EXIT_PARTIAL, result.output
        assert "the change is done, but the findings were not updated" in result.output
    assert (22, "198.51.100.10/31") in {(r[2], r[4]) for r in world.rules("web") if not r[0]}


def edited_plan(world: World, tmp_path: Path, edit: Any) -> Path:
    plan = json.loads(world.plan.read_text())
    edit(plan)
    path = tmp_path / "edited-plan.json"
    path.write_text(json.dumps(plan))
    return path


def test_dry_run_stops_a_plan_that_cuts_real_use(world: World, tmp_path: Path) -> None:
    """Drop the IPv6 admin's new rule: the replay finds the admin's SSH sessions cut, exit 5."""

    def drop_ipv6_authorize(plan: dict[str, Any]) -> None:
        web = plan["groups"][0]
        web["authorize"] = [r for r in web["authorize"] if "CidrIpv6" not in r]

    path = edited_plan(world, tmp_path, drop_ipv6_authorize)
    result = run(
        ["dry-run", str(path), "--snapshot", str(world.snapshot), "--out", str(tmp_path / "dry")]
    )
    assert result.exit_code == EXIT_SAFETY, result.output
    assert "2001:db8:77::5" in result.output and "port 22" in result.output
    report = json.loads((tmp_path / "dry" / "dry-run.json").read_text())
    assert report["ok"] is False
    assert [d["remote_addr"] for d in report["replay"]["newly_denied"]["real"]] == [
        "2001:db8:77::5"
    ]
    assert "NOT safe to apply" in (tmp_path / "dry" / "dry-run.md").read_text()


def test_dry_run_check_aws_reports_invalid_and_denied_calls(world: World, tmp_path: Path) -> None:
    def break_plan(plan: dict[str, Any]) -> None:
        web = plan["groups"][0]
        # already exists in the group -> duplicate
        web["authorize"].append(
            {**web["keep"][0], "reason": "duplicate on purpose", "evidence": {}}
        )
        db = plan["groups"][1]
        db["authorize"][0]["ReferencedGroupId"] = "sg-0123456789abcdef0"  # no such group

    path = edited_plan(world, tmp_path, break_plan)

    def deny_revoke_dry_run(model: Any, params: dict[str, Any], **_: Any) -> None:
        from botocore.exceptions import ClientError

        if params.get("DryRun") and model.name == "RevokeSecurityGroupIngress":
            raise ClientError(
                {"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, model.name
            )

    result = run(
        [
            "dry-run",
            str(path),
            "--snapshot",
            str(world.snapshot),
            "--check-aws",
            "--out",
            str(tmp_path / "dry"),
        ],
        [("before-parameter-build.ec2.RevokeSecurityGroupIngress", deny_revoke_dry_run)],
    )
    assert result.exit_code == EXIT_SAFETY, result.output
    checks = json.loads((tmp_path / "dry" / "dry-run.json").read_text())["aws_checks"]
    by_change = {(c["target"], c["change"]): c for c in checks}
    dup = by_change[(world.ids["web"], "authorize ingress tcp 443 from 0.0.0.0/0")]
    assert dup["outcome"] == "invalid" and "duplicate" in dup["detail"]
    ref = by_change[(world.ids["db"], "authorize ingress tcp 5432 from sg-0123456789abcdef0")]
    assert ref["outcome"] == "invalid" and "unknown referenced group" in ref["detail"]
    revoke = by_change[(world.ids["web"], "revoke ingress tcp 8080 from 0.0.0.0/0")]
    assert revoke["outcome"] == "lacks-permission"
    ok = by_change[(world.ids["web"], "authorize ingress tcp 22 from 198.51.100.10/31")]
    assert ok["outcome"] == "would-succeed"


def test_dry_run_check_aws_counts_the_peak_against_the_rule_quota(
    world: World, tmp_path: Path
) -> None:
    """web-admin: 3 IPv4 + 1 IPv6 ingress rules, +1 of each at the peak: IPv4 is over a quota of 3."""
    result = run(
        [
            "dry-run",
            str(world.plan),
            "--snapshot",
            str(world.snapshot),
            "--check-aws",
            "--rule-limit",
            "3",
            "--group",
            world.ids["web"],
            "--out",
            str(tmp_path / "dry"),
        ],
    )
    assert result.exit_code == EXIT_SAFETY, result.output
    checks = json.loads((tmp_path / "dry" / "dry-run.json").read_text())["aws_checks"]
    outcomes = {c["change"]: (c["outcome"], c["detail"]) for c in checks}
    v4 = outcomes["authorize ingress tcp 22 from 198.51.100.10/31"]
    assert v4[0] == "invalid" and "rule quota: 4 ingress rules" in v4[1]
    assert outcomes["authorize ingress tcp 22 from 2001:db8:77::5/128"][0] == "would-succeed"
    # with the default quota the same calls would succeed
    fine = run(
        [
            "dry-run",
            str(world.plan),
            "--snapshot",
            str(world.snapshot),
            "--check-aws",
            "--group",
            world.ids["web"],
            "--out",
            str(tmp_path / "dry2"),
        ]
    )
    assert fine.exit_code == 0, fine.output


def test_declared_iam_actions_are_the_calls_made(world: World, tmp_path: Path) -> None:
    """apply with everything on: each call made is declared, and each declared action is called
    (ModifyNetworkInterfaceAttribute is the auto-assigned-address path, exercised below)."""
    recorder = CallRecorder()
    run(
        [
            "apply",
            str(world.plan),
            "--yes",
            "--include-resources",
            "--note",
            "CHG-1",
            "--backup-dir",
            str(tmp_path / "b"),
        ],
        [recorder.hook()],
    )
    assert set(recorder.actions) == set(apply_module.IAM_ACTIONS) - {
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:AuthorizeSecurityGroupEgress",  # the fixture plan changes no egress rule
        "ec2:RevokeSecurityGroupEgress",
    }
    recorder = CallRecorder()
    back = run(["rollback", str(next((tmp_path / "b").glob("backup-*.json")))], [recorder.hook()])
    assert back.exit_code == 0, back.output
    assert set(recorder.actions) == set(rollback_module.IAM_ACTIONS) - {
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupEgress",
    }


def test_auto_assigned_public_ip_is_switched_off_on_the_interface(
    world: World, tmp_path: Path
) -> None:
    """Without an Elastic IP, apply turns the interface's public IPv4 off (moto accepts the call
    but does not model the address going away, so the test checks the call and its parameters)."""
    subnet = world.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [world.ids["vpc"]]}])[
        "Subnets"
    ][0]
    instance = world.ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnet["SubnetId"],
                "AssociatePublicIpAddress": True,
                "Groups": [world.ids["worker"]],
            }
        ],
    )["Instances"][0]
    described = world.ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][
        0
    ]["Instances"][0]
    assert described.get("PublicIpAddress")
    eni = described["NetworkInterfaces"][0]["NetworkInterfaceId"]

    def point_at_new_instance(plan: dict[str, Any]) -> None:
        worker = next(r for r in plan["resources"] if r["action"] == "remove-public-ip")
        worker["resource_id"] = instance["InstanceId"]
        worker["evidence"]["interface_id"] = eni
        worker["evidence"]["public_ip"] = described["PublicIpAddress"]

    path = edited_plan(world, tmp_path, point_at_new_instance)
    recorder = CallRecorder()
    result = run(
        ["apply", str(path), "--yes", "--include-resources", "--backup-dir", str(tmp_path / "b")],
        [recorder.hook()],
    )
    assert result.exit_code == 0, result.output
    calls = [p for a, p in recorder.params if a == "ec2:ModifyNetworkInterfaceAttribute"]
    assert calls == [{"NetworkInterfaceId": eni, "AssociatePublicIpAddress": False}]
    assert "ec2:DisassociateAddress" not in recorder.actions
    backup_path = next((tmp_path / "b").glob("backup-*.json"))
    worker = next(
        r
        for r in json.loads(backup_path.read_text())["resources"]
        if r["action"] == "remove-public-ip"
    )
    assert worker["before"]["interface_id"] == eni and not worker["before"].get("association_id")
    recorder = CallRecorder()
    assert run(["rollback", str(backup_path)], [recorder.hook()]).exit_code == 0
    restore = [p for a, p in recorder.params if a == "ec2:ModifyNetworkInterfaceAttribute"]
    assert restore == [{"NetworkInterfaceId": eni, "AssociatePublicIpAddress": True}]


def test_dry_run_refuses_a_snapshot_that_is_not_the_plans(world: World, tmp_path: Path) -> None:
    """Rules the plan revokes must be in the snapshot's group, or the replay proves nothing."""
    groups_file = world.snapshot / "security-groups.json"
    document = json.loads(groups_file.read_text())
    web = next(g for g in document["SecurityGroups"] if g["GroupId"] == world.ids["web"])
    web["IpPermissions"] = [p for p in web["IpPermissions"] if p.get("FromPort") != 8080]
    groups_file.write_text(json.dumps(document))
    (world.snapshot / "security-group-rules.json").unlink()
    result = run(
        [
            "dry-run",
            str(world.plan),
            "--snapshot",
            str(world.snapshot),
            "--out",
            str(tmp_path / "dry"),
        ]
    )
    # the plan's inputs (issue 10) catch it first: the group's rules are not the plan's
    assert result.exit_code == EXIT_INPUT, result.output
    assert f"{world.ids['web']}: its rules changed" in result.output, result.output


def test_dry_run_refuses_a_workspace_with_nothing_of_the_plans_data(
    world: World, tmp_path: Path
) -> None:
    """An empty workspace is not the data the plan rests on (issue 10: the plan's inputs)."""
    from sgharden.workspace import open_workspace

    open_workspace(tmp_path / "empty.duckdb").close()
    result = run(
        [
            "dry-run",
            str(world.plan),
            "--snapshot",
            str(world.snapshot),
            "--workspace",
            str(tmp_path / "empty.duckdb"),
            "--out",
            str(tmp_path / "dry"),
        ]
    )
    assert result.exit_code == EXIT_INPUT, result.output
    assert "spans nothing (no flow-log data of these interfaces in the window)" in result.output


def test_apply_refuses_a_group_the_plan_does_not_change(world: World, tmp_path: Path) -> None:
    result = run(
        [
            "apply",
            str(world.plan),
            "--yes",
            "--group",
            world.ids["legacy"],
            "--backup-dir",
            str(tmp_path / "b"),
        ]
    )
    assert result.exit_code == EXIT_INPUT
    assert (
        f"{world.ids['legacy']} is needs-more-data: the plan changes nothing on it" in result.output
    )
    unknown = run(["apply", str(world.plan), "--yes", "--group", "sg-0000000000000dead"])
    assert (
        unknown.exit_code == EXIT_INPUT
        and "no group sg-0000000000000dead in the plan" in unknown.output
    )


def test_apply_refuses_a_workspace_whose_data_changed_since_the_plan(
    world: World, tmp_path: Path
) -> None:
    """apply sees no snapshot; with --workspace it still refuses (exit 3, before any AWS call) a
    plan whose window's flow-log data is not the workspace's (issue 10), and applies when it is."""
    before = world.rules("web")
    same, more = tmp_path / "same.duckdb", tmp_path / "more.duckdb"
    for ws in (same, more):
        ingest = run(
            ["ingest", str(world.snapshot / "flow-logs"), "--snapshot", str(world.snapshot),
             "--workspace", str(ws)]
        )  # fmt: skip
        assert ingest.exit_code == 0, ingest.output
    # one more inbound HTTPS connection inside the window (2026-11-14), only in `more`
    extra = flow_log_file(
        tmp_path / "extra.log",
        [record("198.51.100.77", "10.0.1.10", 40001, 443, "ACCEPT", 1794614820)],
    )
    ingest = run(
        ["ingest", str(extra), "--snapshot", str(world.snapshot), "--workspace", str(more)]
    )
    assert ingest.exit_code == 0, ingest.output
    apply = ["apply", str(world.plan), "--yes", "--backup-dir", str(tmp_path / "b")]
    refused = run([*apply, "--workspace", str(more)])
    assert refused.exit_code == EXIT_INPUT, refused.output
    assert f"made from other inputs than the workspace {more}" in refused.output
    assert "the window holds 1091 flow record(s), the plan's held 1090 (1 more" in refused.output
    assert world.rules("web") == before and not (tmp_path / "b").exists()
    missing = run([*apply, "--workspace", str(tmp_path / "nowhere.duckdb")])
    assert missing.exit_code == EXIT_INPUT and "no workspace here" in missing.output
    done = run([*apply, "--workspace", str(same)])
    assert done.exit_code == 0, done.output
    assert world.rules("web") != before
