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

from sgharden.change import apply as apply_module
from sgharden.change import rollback as rollback_module
from sgharden.cli import main
from sgharden.errors import EXIT_PARTIAL, EXIT_SAFETY


def run(args: list[str], hooks: list[Any] | None = None, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, args, obj={"aws_hooks": hooks or []}, input=stdin)


@pytest.fixture
def world(aws: str, tmp_path: Path) -> World:
    return build_world(tmp_path)


def test_apply_rollback_end_to_end(world: World, tmp_path: Path) -> None:
    before = {role: world.rules(role) for role in ("web", "db", "legacy", "worker")}
    backups = tmp_path / "backups"

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
