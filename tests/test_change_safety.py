"""Change-side behaviours a deliberate break once slipped past (issue 16): the HTML report escapes
what came from AWS, apply refuses a drifted group, rollback touches only what the change did and
restores rules whole. AWS is a real moto server over HTTP (tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from change_world import FIXTURE, REGION, World, build_world

from sgharden.act.apply import apply_plan
from sgharden.act.rollback import rollback
from sgharden.aws.clients import AwsContext
from sgharden.errors import SafetyError
from sgharden.plan.read import load_plan
from sgharden.render.report import render_report

HOSTILE = "<script>alert(1)</script> & co"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"


def test_report_escapes_group_name_and_reason(tmp_path: Path) -> None:
    doc = json.loads((FIXTURE / "plan.json").read_text())
    group = doc["groups"][0]
    group["group_name"] = f"name {HOSTILE}"
    group["revoke"][0]["reason"] = f"reason {HOSTILE}"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    html = render_report(load_plan(path), None)
    assert "<script>alert(1)" not in html
    assert f"name {ESCAPED}" in html
    assert f"reason {ESCAPED}" in html
    assert " & co" not in html
    # (the report shows no rule descriptions; the Markdown ticket, which does, is not HTML)


@pytest.fixture
def world(aws: str, tmp_path: Path) -> World:
    return build_world(tmp_path)


def _rule_id(world: World, role: str, port: int, cidr: str) -> str:
    rules = world.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [world.ids[role]]}]
    )["SecurityGroupRules"]
    return next(
        r["SecurityGroupRuleId"]
        for r in rules
        if not r["IsEgress"] and r.get("FromPort") == port and r.get("CidrIpv4") == cidr
    )


def test_apply_refuses_and_changes_nothing_when_a_kept_rule_is_gone(
    world: World, tmp_path: Path
) -> None:
    # the plan keeps web's tcp/443 from anywhere; someone deletes it between plan and apply
    world.ec2.revoke_security_group_ingress(
        GroupId=world.ids["web"], SecurityGroupRuleIds=[_rule_id(world, "web", 443, "0.0.0.0/0")]
    )
    before = {role: world.rules(role) for role in ("web", "db", "legacy", "worker")}
    with pytest.raises(SafetyError, match="kept rule missing"):
        apply_plan(load_plan(world.plan), AwsContext(region=REGION), backup_dir=tmp_path / "b")
    assert {role: world.rules(role) for role in before} == before
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())


def test_rollback_leaves_a_rule_added_after_the_apply_and_reports_it(
    world: World, tmp_path: Path
) -> None:
    before = world.rules("db")
    ctx = AwsContext(region=REGION)
    result = apply_plan(
        load_plan(world.plan), ctx, only_groups=(world.ids["db"],), backup_dir=tmp_path / "b"
    )
    assert result.backup is not None and world.rules("db") != before
    world.ec2.authorize_security_group_ingress(
        GroupId=world.ids["db"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 9999,
                "ToPort": 9999,
                "IpRanges": [{"CidrIp": "10.9.9.9/32", "Description": "someone else"}],
            }
        ],
    )
    # from a session in another region: the backup says where each group lives
    undone = rollback(result.backup, AwsContext(region="eu-west-1"))
    theirs = (False, "tcp", 9999, 9999, "10.9.9.9/32", "someone else")
    assert world.rules("db") == before | {theirs}
    assert len(undone.left_alone) == 1
    assert "10.9.9.9/32" in undone.left_alone[0]
    assert "not added by this change" in undone.left_alone[0]
    assert not any("10.9.9.9/32" in line for line in undone.done)
    assert any("restored" in line and "0.0.0.0/0" in line for line in undone.done)


def test_rollback_restores_a_revoked_rule_with_its_description(
    world: World, tmp_path: Path
) -> None:
    world.ec2.update_security_group_rule_descriptions_ingress(
        GroupId=world.ids["db"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "orders clients"}],
            }
        ],
    )
    before = world.rules("db")
    assert (False, "tcp", 5432, 5432, "0.0.0.0/0", "orders clients") in before
    ctx = AwsContext(region=REGION)
    result = apply_plan(
        load_plan(world.plan), ctx, only_groups=(world.ids["db"],), backup_dir=tmp_path / "b"
    )
    assert result.backup is not None
    assert not any(r[4] == "0.0.0.0/0" and not r[0] for r in world.rules("db"))
    rollback(result.backup, ctx)
    assert world.rules("db") == before
