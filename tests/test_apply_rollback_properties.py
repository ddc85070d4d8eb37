"""Property test on the moto server: for random groups and random plans, apply gives exactly
current - revoke + authorize, a re-run changes nothing, and rollback gives back exactly the rules
(descriptions included) the group had."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgharden.act.apply import apply_plan
from sgharden.act.rollback import rollback
from sgharden.aws.clients import AwsContext
from sgharden.model import Rule
from sgharden.plan.read import load_plan

REGION = "us-east-1"


@st.composite
def rule_specs(draw: st.DrawFn) -> dict[str, Any]:
    protocol = draw(st.sampled_from(["tcp", "udp", "-1", "icmp"]))
    spec: dict[str, Any] = {"IsEgress": draw(st.booleans()), "IpProtocol": protocol}
    if protocol in ("tcp", "udp"):
        low = draw(st.integers(1, 65000))
        spec["FromPort"], spec["ToPort"] = low, low + draw(st.sampled_from([0, 0, 1, 100]))
    elif protocol == "icmp":
        spec["FromPort"], spec["ToPort"] = draw(st.sampled_from([(-1, -1), (8, 0), (3, 4)]))
    else:
        spec["FromPort"], spec["ToPort"] = -1, -1
    kind = draw(st.sampled_from(["v4", "v4", "v6", "ref"]))
    if kind == "v4":
        spec["CidrIpv4"] = f"10.{draw(st.integers(0, 255))}.{draw(st.integers(0, 255))}.0/24"
    elif kind == "v6":
        spec["CidrIpv6"] = f"2001:db8:{draw(st.integers(0, 65535)):x}::/48"
    else:
        spec["ReferencedGroupId"] = "PEER"
    if draw(st.booleans()):
        spec["Description"] = (
            draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789 .-_:/", max_size=40)).strip() or "d"
        )
    return spec


def key(spec: dict[str, Any]) -> tuple[Any, ...]:
    return Rule.from_ec2(spec, "sg").key()


def unique(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for s in specs:
        seen.setdefault(key(s), s)
    return list(seen.values())


def permission(spec: dict[str, Any], peer: str) -> dict[str, Any]:
    spec = {**spec, "ReferencedGroupId": peer} if "ReferencedGroupId" in spec else spec
    return Rule.from_ec2(spec, "sg").to_ip_permission()


def live(ec2: Any, group_id: str) -> set[tuple[Any, ...]]:
    out = set()
    for r in ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}]
    )["SecurityGroupRules"]:
        rule = Rule.from_ec2(r, group_id)
        out.add((*rule.key(), rule.description))
    return out


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    current=st.lists(rule_specs(), min_size=1, max_size=6),
    added=st.lists(rule_specs(), max_size=3),
    revoke_mask=st.lists(st.booleans(), min_size=7, max_size=7),
)
def test_apply_then_rollback_is_exact(
    aws: str,
    tmp_path_factory: pytest.TempPathFactory,
    current: list[dict[str, Any]],
    added: list[dict[str, Any]],
    revoke_mask: list[bool],
) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    peer = ec2.create_security_group(GroupName="peer", Description="peer", VpcId=vpc)["GroupId"]
    gid = ec2.create_security_group(GroupName="target", Description="target", VpcId=vpc)["GroupId"]
    current = unique(current)
    for spec in current:
        call = (
            ec2.authorize_security_group_egress
            if spec["IsEgress"]
            else ec2.authorize_security_group_ingress
        )
        try:
            call(GroupId=gid, IpPermissions=[permission(spec, peer)])
        except ec2.exceptions.ClientError as exc:  # the default egress rule already there
            assert "Duplicate" in str(exc)
    before = live(ec2, gid)
    existing = [
        Rule.from_ec2(r, gid)
        for r in ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])[
            "SecurityGroupRules"
        ]
    ]
    revoke = [r for r, drop in zip(existing, revoke_mask, strict=False) if drop]
    keep = [r for r in existing if r not in revoke]
    have = {r.key() for r in existing}
    authorize = [
        s
        for s in unique(added)
        if Rule.from_ec2(
            {**s, "ReferencedGroupId": peer} if "ReferencedGroupId" in s else s, gid
        ).key()
        not in have
    ]
    if not revoke and not authorize:
        return

    def as_plan_rule(rule: Rule) -> dict[str, Any]:
        return {**rule.to_ec2(), "reason": "test", "evidence": {}}

    plan = {
        "schema": "sgharden.plan/v1",
        "generated_at": "2026-11-20T00:00:00Z",
        "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-15T00:00:00Z"},
        "groups": [
            {
                "group_id": gid,
                "group_name": "target",
                "vpc_id": vpc,
                "account_id": "123456789012",
                "region": REGION,
                "status": "ready",
                "revoke": [as_plan_rule(r) for r in revoke],
                "authorize": [
                    {
                        **({**s, "ReferencedGroupId": peer} if "ReferencedGroupId" in s else s),
                        "reason": "new",
                        "evidence": {},
                    }
                    for s in authorize
                ],
                "keep": [as_plan_rule(r) for r in keep],
            }
        ],
        "resources": [],
    }
    folder = tmp_path_factory.mktemp("plan")
    path = Path(folder) / "plan.json"
    path.write_text(json.dumps(plan))
    loaded = load_plan(path)
    ctx = AwsContext(region=REGION)

    result = apply_plan(loaded, ctx, backup_dir=Path(folder) / "b")
    after = live(ec2, gid)
    gone = {r.key() for r in revoke}
    assert {a[:7] for a in after} == ({b[:7] for b in before} - gone) | {
        Rule.from_ec2(p, gid).key() for p in plan["groups"][0]["authorize"]
    }
    assert apply_plan(loaded, ctx, backup_dir=Path(folder) / "b").nothing_to_do
    assert result.backup is not None
    rollback(result.backup, ctx)
    assert live(ec2, gid) == before
    rollback(result.backup, ctx)  # again: nothing changes
    assert live(ec2, gid) == before
