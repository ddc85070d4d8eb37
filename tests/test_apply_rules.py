"""apply_plan's own steps (issue 16: mutants of change/apply.py that no test in a fast selection
caught): a group the plan does not change is refused by name, nothing moves without confirmation,
resources are only printed unless asked for, the backup is announced first, and each group is
changed where the plan says it lives. AWS is a real moto server over HTTP (tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from change_world import FIXTURE, REGION, World, build_world

from sgharden.act.apply import apply_plan
from sgharden.aws.clients import AwsContext
from sgharden.errors import InputError, SafetyError
from sgharden.plan.read import load_plan
from sgharden.render.awscli import resource_commands

LEGACY = "sg-0c0000000000000cc"  # needs-more-data in the sample plan


@pytest.mark.parametrize(
    ("status", "why"),
    [
        ("needs-more-data", "it needs more data"),
        ("needs-decision", "it needs a decision among the alternatives it names"),
        ("no-change", "it has no change"),
    ],
)
def test_a_group_the_plan_does_not_change_is_refused_by_name(
    tmp_path: Path, status: str, why: str
) -> None:
    doc = json.loads((FIXTURE / "plan.json").read_text())
    next(g for g in doc["groups"] if g["group_id"] == LEGACY)["status"] = status
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as caught:
        # no AWS call is made before the refusal: the session points nowhere
        apply_plan(load_plan(path), AwsContext(region="us-east-1"), only_groups=(LEGACY,))
    hint = "see its warnings in the plan or the ticket report"
    assert caught.value.hint == hint
    assert str(caught.value) == (
        f"{path}: {LEGACY} is {status}: the plan changes nothing on it ({why}) — {hint}"
    )


@pytest.fixture
def world(aws: str, tmp_path: Path) -> World:
    return build_world(tmp_path)


ROLES = ("web", "db", "legacy", "worker")


def test_nothing_changes_without_confirmation_of_the_summary(world: World, tmp_path: Path) -> None:
    before = {role: world.rules(role) for role in ROLES}
    shown: list[list[str]] = []

    def refuse(lines: list[str]) -> bool:
        shown.append(lines)
        return False

    with pytest.raises(SafetyError, match=r"^not confirmed: nothing changed$"):
        apply_plan(
            load_plan(world.plan),
            AwsContext(region=REGION),
            backup_dir=tmp_path / "b",
            include_resources=True,
            confirm=refuse,
        )
    assert {role: world.rules(role) for role in ROLES} == before
    assert not (tmp_path / "b").exists()
    (lines,) = shown
    assert lines[0].startswith(f"{world.ids['web']} (web-admin) in 123456789012/{REGION}:")
    assert any(line.startswith("  - revoke    ") for line in lines)
    assert f"{world.ids['instance']}: remove-public-ip (will change)" in lines
    assert "orders-db: disable-public-access (will change)" in lines


def test_apply_from_another_region_changes_the_groups_where_they_live_and_prints_resources(
    world: World, tmp_path: Path
) -> None:
    plan = load_plan(world.plan)
    seen: list[str] = []
    result = apply_plan(
        plan, AwsContext(region="eu-west-1"), backup_dir=tmp_path / "b", progress=seen.append
    )
    assert result.backup is not None
    assert seen[0] == f"backup of the rules to restore: {result.backup}"
    assert seen[1:] == result.done and result.done
    assert not any(r[4] == "0.0.0.0/0" and r[2] == 5432 for r in world.rules("db"))
    # resources are not changed without --include-resources: their commands are printed instead
    changing = [r for r in plan.resources if r.has_changes]
    assert result.resources == []
    expected: list[str] = []
    for r in changing:
        expected += [f"# {r.control} {r.action} {r.resource_id}", *resource_commands(r)]
    assert result.printed_commands == expected
    db = world.rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert db["PubliclyAccessible"]


def test_one_group_alone_leaves_the_resources_out(world: World, tmp_path: Path) -> None:
    result = apply_plan(
        load_plan(world.plan),
        AwsContext(region=REGION),
        only_groups=(world.ids["db"],),
        include_resources=True,
        backup_dir=tmp_path / "b",
    )
    assert [c.group.group_id for c in result.groups] == [world.ids["db"]]
    assert result.resources == [] and result.printed_commands == []
    db = world.rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert db["PubliclyAccessible"]


def _egress_id(world: World, role: str) -> str:
    rules = world.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [world.ids[role]]}]
    )["SecurityGroupRules"]
    return next(r["SecurityGroupRuleId"] for r in rules if r["IsEgress"])


def test_drift_in_several_groups_is_listed_group_by_group(world: World, tmp_path: Path) -> None:
    # web loses its kept tcp/443 and its egress rule, db its egress rule, between plan and apply
    web, db = world.ids["web"], world.ids["db"]
    rules = world.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [web]}]
    )["SecurityGroupRules"]
    https = next(r for r in rules if not r["IsEgress"] and r.get("FromPort") == 443)
    world.ec2.revoke_security_group_ingress(
        GroupId=web, SecurityGroupRuleIds=[https["SecurityGroupRuleId"]]
    )
    world.ec2.revoke_security_group_egress(
        GroupId=web, SecurityGroupRuleIds=[_egress_id(world, "web")]
    )
    world.ec2.revoke_security_group_egress(
        GroupId=db, SecurityGroupRuleIds=[_egress_id(world, "db")]
    )
    with pytest.raises(SafetyError) as refused:
        apply_plan(load_plan(world.plan), AwsContext(region=REGION), backup_dir=tmp_path / "b")
    hint = "make a new snapshot and plan (`sgharden collect`, `sgharden propose`)"
    assert refused.value.hint == hint
    message = refused.value.message
    head = f"refused, nothing changed: the live rules differ from the plan {world.plan.name}: "
    assert message.startswith(head)
    per_group = message[len(head) :].split("; ")
    assert [p.split(": ", 1)[0] for p in per_group] == [web, db]
    web_drift = per_group[0].split(": ", 1)[1].split(", kept rule missing")
    assert len(web_drift) == 2 and web_drift[0].startswith("kept rule missing")
    assert per_group[1].split(": ", 1)[1].startswith("kept rule missing")
    assert "XX" not in message
