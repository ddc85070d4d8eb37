"""rollback, one promise per test (issue 16: mutants of change/rollback.py that no test caught).
Backups are written here by hand in apply's format, so each test says exactly what was changed;
AWS is a real moto server over HTTP (tests/conftest.py). Resources live in another region than
the session's: the backup, not the session, says where each thing is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_seed import CallRecorder

from sgharden.act import live
from sgharden.act.apply import BACKUP_SCHEMA, rule_json
from sgharden.act.rollback import load_backup, rollback
from sgharden.aws.clients import AwsContext
from sgharden.errors import InputError, SafetyError
from sgharden.model import Rule
from sgharden.render.rule_text import rule_text

HOME = "eu-west-1"  # where the resources are
SESSION = AwsContext(region="us-east-1")


def _perm(port: int, cidr: str, description: str | None = None) -> dict[str, Any]:
    ip_range: dict[str, str] = {"CidrIp": cidr}
    if description:
        ip_range["Description"] = description
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [ip_range]}


def _backup(tmp_path: Path, groups: list[dict[str, Any]], resources: list[dict[str, Any]] = ()):
    doc = {"schema": BACKUP_SCHEMA, "groups": groups, "resources": list(resources)}
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(doc))
    return path


def _rules(ec2: Any, gid: str) -> set[tuple[Any, ...]]:
    """The group's ingress rules: (port, CIDR, description)."""
    return {
        (r.from_port, r.cidr_ipv4, r.description)
        for r in live.live_rules(ec2, gid)
        if not r.is_egress
    }


@pytest.fixture
def ec2(aws: str) -> Any:
    return boto3.client("ec2", region_name=HOME)


@pytest.fixture
def applied(ec2: Any, tmp_path: Path) -> dict[str, Any]:
    """A group as an apply left it: 443 from anywhere revoked, 443 from the VPC authorized."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    gid = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[_perm(22, "10.0.0.0/8", "ops"), _perm(443, "0.0.0.0/0", "the world")],
    )
    before = live.live_rules(ec2, gid)
    world = next(r for r in before if r.cidr_ipv4 == "0.0.0.0/0" and not r.is_egress)
    ec2.revoke_security_group_ingress(GroupId=gid, SecurityGroupRuleIds=[world.rule_id])
    ec2.authorize_security_group_ingress(
        GroupId=gid, IpPermissions=[_perm(443, "10.0.0.0/16", "sgharden plan X")]
    )
    added = next(r for r in live.live_rules(ec2, gid) if r.cidr_ipv4 == "10.0.0.0/16")
    group = {
        "group_id": gid,
        "account_id": "",
        "region": HOME,
        "rules_before": [rule_json(r) for r in before],
        "revoked": [rule_json(world)],
        "authorized": [rule_json(added)],
    }
    return {"gid": gid, "group": group, "world": world, "added": added, "before": before}


ORIGINAL = {(22, "10.0.0.0/8", "ops"), (443, "0.0.0.0/0", "the world")}


def test_rollback_restores_the_revoked_removes_the_added_and_leaves_the_rest(
    ec2: Any, applied: dict[str, Any], tmp_path: Path
) -> None:
    gid = applied["gid"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[_perm(9999, "10.9.9.9/32")])
    theirs = next(r for r in live.live_rules(ec2, gid) if r.from_port == 9999)
    path = _backup(tmp_path, [applied["group"]])
    seen: list[str] = []
    result = rollback(path, SESSION, progress=seen.append)
    assert _rules(ec2, gid) == ORIGINAL | {(9999, "10.9.9.9/32", None)}
    world = Rule(**{**applied["world"].__dict__, "rule_id": None})
    assert result.done == [
        f"{gid}: restored {rule_text(world)}",
        f"{gid}: removed {rule_text(applied['added'])}",
    ]
    assert seen == result.done
    assert result.left_alone == [
        f"{gid}: {rule_text(theirs)} ({theirs.rule_id}) was not added by this change"
    ]
    again = rollback(path, SESSION, progress=seen.append)
    assert again.done == [] and again.left_alone == result.left_alone
    assert _rules(ec2, gid) == ORIGINAL | {(9999, "10.9.9.9/32", None)}


def test_rollback_also_puts_back_a_kept_rule_someone_removed_since(
    ec2: Any, applied: dict[str, Any], tmp_path: Path
) -> None:
    gid = applied["gid"]
    ops = next(r for r in live.live_rules(ec2, gid) if r.from_port == 22)
    ec2.revoke_security_group_ingress(GroupId=gid, SecurityGroupRuleIds=[ops.rule_id])
    rollback(_backup(tmp_path, [applied["group"]]), SESSION)
    assert _rules(ec2, gid) == ORIGINAL


def test_a_rollback_that_fails_half_way_says_how_to_finish(
    ec2: Any, applied: dict[str, Any], tmp_path: Path
) -> None:
    gid = applied["gid"]
    path = _backup(tmp_path, [applied["group"]])
    ec2.delete_security_group(GroupId=gid)
    with pytest.raises(SafetyError, match=f"{gid}: rollback stopped: .*InvalidGroup") as caught:
        rollback(path, SESSION)
    assert caught.value.hint == f"re-run `sgharden rollback {path}` once fixed"


def test_a_group_without_a_region_is_rolled_back_where_the_session_is(
    aws: str, tmp_path: Path
) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    gid = ec2.create_security_group(GroupName="w", Description="w")["GroupId"]
    group = {"group_id": gid, "region": "", "account_id": "", "revoked": [], "authorized": []}
    rule = Rule(gid, False, "tcp", 80, 80, cidr_ipv4="192.0.2.0/24", description="web")
    result = rollback(_backup(tmp_path, [{**group, "rules_before": [rule_json(rule)]}]), SESSION)
    assert _rules(ec2, gid) == {(80, "192.0.2.0/24", "web")}
    assert result.done == [f"{gid}: restored {rule_text(rule)}"]


# --- the backup file: a bad one is refused before anything changes ---------------------------


def test_a_missing_backup_says_where_backups_come_from(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such backup") as caught:
        load_backup(tmp_path / "nope.json")
    assert str(tmp_path / "nope.json") in str(caught.value)
    assert caught.value.hint == "`sgharden apply` prints where it saved it"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ('{"schema": "sgharden.backup/v0"}', "schema: expected 'sgharden.backup/v1', found 'sgharden.backup/v0'"),
        ("[1, 2]", "schema: expected 'sgharden.backup/v1', found None"),
        ("{}", "schema: expected 'sgharden.backup/v1', found None"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_backup(path)
    assert str(caught.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize("key", ["group_id", "rules_before", "revoked", "authorized"])
def test_a_backup_group_missing_a_field_is_refused_by_name(tmp_path: Path, key: str) -> None:
    whole = {"group_id": "sg-1", "rules_before": [], "revoked": [], "authorized": []}
    broken = {k: v for k, v in whole.items() if k != key}
    path = _backup(tmp_path, [whole, broken])
    with pytest.raises(InputError) as caught:
        load_backup(path)
    assert str(caught.value) == f"{path}: groups[1].{key}: missing"
    assert load_backup(_backup(tmp_path, [whole]))["groups"] == [whole]


# --- resource settings (EC2.9 public IPs, RDS.2 public access) -----------------------------------


@pytest.fixture
def rds(aws: str) -> Any:
    client = boto3.client("rds", region_name=HOME)
    client.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="orders",
        MasterUserPassword="correct-horse-battery",
        AllocatedStorage=20,
        PubliclyAccessible=False,  # as the apply left it
    )
    return client


def _db_public(rds: Any) -> bool:
    db = rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    return bool(db["PubliclyAccessible"])


def _db(before: bool) -> dict[str, Any]:
    return {
        "resource_id": "orders-db",
        "action": "disable-public-access",
        "region": HOME,
        "account_id": "",
        "before": {"publicly_accessible": before},
    }


def test_rollback_makes_a_database_public_again_only_if_it_was(rds: Any, tmp_path: Path) -> None:
    assert rollback(_backup(tmp_path, [], [_db(False)]), SESSION).done == []
    assert not _db_public(rds)
    path = _backup(tmp_path, [], [_db(True)])
    seen: list[str] = []
    recorder = CallRecorder()
    ctx = AwsContext(region="us-east-1", hooks=(recorder.hook(),))
    assert rollback(path, ctx, progress=seen.append).done == ["orders-db: public access restored"]
    # at once, not in the next maintenance window (moto applies it at once either way)
    assert [p for a, p in recorder.params if a == "rds:ModifyDBInstance"] == [
        {"DBInstanceIdentifier": "orders-db", "PubliclyAccessible": True, "ApplyImmediately": True}
    ]
    assert seen == ["orders-db: public access restored"]
    assert _db_public(rds)
    assert rollback(path, SESSION).done == []  # already public: nothing to do


@pytest.fixture
def instance(ec2: Any) -> dict[str, Any]:
    return _make_instance(ec2)


def _make_instance(ec2: Any) -> dict[str, Any]:
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    found = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)
    iid = found["Instances"][0]["InstanceId"]
    eni = found["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"]
    address = ec2.allocate_address(Domain="vpc")  # disassociated by the apply
    return {"id": iid, "eni": eni, "ip": address["PublicIp"], "alloc": address["AllocationId"]}


def _ip(instance: dict[str, Any], **before: Any) -> dict[str, Any]:
    return {
        "resource_id": instance["id"],
        "action": "remove-public-ip",
        "region": HOME,
        "account_id": "",
        "before": {"interface_id": instance["eni"], **before},
    }


def _association(ec2: Any, instance: dict[str, Any]) -> str | None:
    found = ec2.describe_addresses(AllocationIds=[instance["alloc"]])["Addresses"][0]
    return found.get("NetworkInterfaceId") or None


def test_rollback_re_associates_the_elastic_ip(
    ec2: Any, instance: dict[str, Any], tmp_path: Path
) -> None:
    path = _backup(
        tmp_path, [], [_ip(instance, public_ip=instance["ip"], allocation_id=instance["alloc"])]
    )
    done = rollback(path, SESSION).done
    assert done == [f"{instance['id']}: Elastic IP {instance['ip']} re-associated"]
    assert _association(ec2, instance) == instance["eni"]
    assert rollback(path, SESSION).done == []  # associated again: left as it is


def test_rollback_re_enables_an_auto_assigned_public_ip_on_the_interface(
    ec2: Any, instance: dict[str, Any], tmp_path: Path
) -> None:
    # moto accepts the call but does not model the address: the call and its parameters are checked
    recorder = CallRecorder()
    ctx = AwsContext(region="us-east-1", hooks=(recorder.hook(),))
    path = _backup(tmp_path, [], [_ip(instance, public_ip="54.1.2.3")])
    assert rollback(path, ctx).done == [
        f"{instance['id']}: a public IPv4 address re-enabled (a new address: the old one was released)"
    ]
    calls = [p for a, p in recorder.params if a.startswith("ec2:")]
    assert calls == [{"NetworkInterfaceId": instance["eni"], "AssociatePublicIpAddress": True}]
    assert _association(ec2, instance) is None


def test_rollback_leaves_an_instance_that_had_no_public_ip(
    ec2: Any, instance: dict[str, Any], tmp_path: Path
) -> None:
    recorder = CallRecorder()
    ctx = AwsContext(region="us-east-1", hooks=(recorder.hook(),))
    unknown = {**_ip(instance), "action": "something-newer", "before": {"public_ip": "54.1.2.3"}}
    path = _backup(tmp_path, [], [_ip(instance, public_ip=None), unknown])
    assert rollback(path, ctx).done == []
    assert recorder.actions == []


def test_rollback_acts_in_the_member_account_the_backup_names(aws: str, tmp_path: Path) -> None:
    # an organisation-wide apply: the group and the database live in a member account, reached
    # through an assumed role (moto keeps each account's resources apart)
    member = "222233334444"
    ctx = AwsContext(region="us-east-1", role_name="OrganizationAccountAccessRole")
    ec2 = ctx.client("ec2", region=HOME, account_id=member)
    rds = ctx.client("rds", region=HOME, account_id=member)
    gid = ec2.create_security_group(GroupName="m", Description="m")["GroupId"]
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="orders",
        MasterUserPassword="correct-horse-battery",
        AllocatedStorage=20,
        PubliclyAccessible=False,
    )
    rule = Rule(gid, False, "tcp", 80, 80, cidr_ipv4="192.0.2.0/24", description="web")
    group = {"group_id": gid, "region": HOME, "account_id": member, "revoked": [], "authorized": []}
    database = {**_db(True), "account_id": member}
    path = _backup(tmp_path, [{**group, "rules_before": [rule_json(rule)]}], [database])
    assert rollback(path, ctx).done == [
        f"{gid}: restored {rule_text(rule)}",
        "orders-db: public access restored",
    ]
    assert _rules(ec2, gid) == {(80, "192.0.2.0/24", "web")}
    assert _db_public(rds)


def test_rollback_re_associates_an_elastic_ip_in_the_member_account(
    aws: str, tmp_path: Path
) -> None:
    # the address and the instance live in a member account, reached through an assumed role
    member = "222233334444"
    ctx = AwsContext(region="us-east-1", role_name="OrganizationAccountAccessRole")
    ec2 = ctx.client("ec2", region=HOME, account_id=member)
    there = _make_instance(ec2)
    gone = {**_ip(there, public_ip=there["ip"], allocation_id=there["alloc"]), "account_id": member}
    assert rollback(_backup(tmp_path, [], [gone]), ctx).done == [
        f"{there['id']}: Elastic IP {there['ip']} re-associated"
    ]
    assert _association(ec2, there) == there["eni"]


def test_aws_refusing_a_resource_restore_is_a_safety_stop_naming_it(
    ec2: Any, instance: dict[str, Any], tmp_path: Path
) -> None:
    # the Elastic IP was released since the apply: AWS no longer knows the allocation
    ec2.release_address(AllocationId=instance["alloc"])
    gone = _ip(instance, public_ip=instance["ip"], allocation_id=instance["alloc"])
    path = _backup(tmp_path, [], [gone])
    with pytest.raises(SafetyError) as stopped:
        rollback(path, SESSION)
    assert str(stopped.value).startswith(f"{instance['id']}: rollback stopped: ")
    assert "InvalidAllocationID.NotFound" in str(stopped.value)
    assert stopped.value.hint == f"re-run `sgharden rollback {path}` once fixed"


def test_a_backup_of_resources_only_needs_no_groups_key(tmp_path: Path) -> None:
    # older or hand-trimmed backups: a missing "groups" is no group, not an error
    path = tmp_path / "backup.json"
    path.write_text(json.dumps({"schema": BACKUP_SCHEMA, "resources": []}))
    assert load_backup(path) == {"schema": BACKUP_SCHEMA, "resources": []}
    result = rollback(path, SESSION)
    assert (result.done, result.left_alone) == ([], [])
