"""`sgharden collect` end to end against a moto server over HTTP (see tests/aws_seed.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_seed import (
    CALLER,
    DENIED,
    MEMBER,
    REGION,
    ROLE,
    CallRecorder,
    Throttle,
    World,
    consolidated,
    deny,
    deny_assume_role,
    ec2_opt_in_required,
    security_hub_not_enabled,
    seed,
)
from click.testing import CliRunner, Result

from sgharden.aws.collect import COLLECT_IAM_ACTIONS, REPORT_FILE, finding_filters
from sgharden.cli import main
from sgharden.errors import EXIT_INPUT, EXIT_PARTIAL, EXIT_USAGE
from sgharden.findings import IN_SCOPE_CONTROLS
from sgharden.snapshot import load_snapshot
from sgharden.targets import interface_targets


@pytest.fixture
def world(aws: str, vectors: Path) -> World:
    return seed(vectors)


def run(args: list[str], hooks: list[Any] | None = None) -> Result:
    return CliRunner().invoke(main, args, obj={"aws_hooks": hooks or []})


def read(path: Path) -> Any:
    return json.loads(path.read_text())


def test_collect_end_to_end(world: World, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    recorder = CallRecorder()
    throttle = Throttle("DescribeNetworkInterfaces", times=3)
    hooks = [
        recorder.hook(),
        throttle.hook(),
        deny_assume_role(DENIED),
        security_hub_not_enabled("eu-west-1"),
    ]
    result = run(
        ["collect", "--out", str(out), "--role-name", ROLE, "--region", REGION,
         "--region", "eu-west-1"],
        hooks,
    )  # fmt: skip
    assert result.exit_code == EXIT_PARTIAL, result.output + result.stderr

    # The failures: one line each, naming account/region and what to do; the rest went on.
    assert f"account {DENIED}, {REGION}: assume-role failed (AccessDenied" in result.stderr
    assert f"role '{ROLE}' exists in account {DENIED}" in result.stderr
    assert "eu-west-1: findings failed (InvalidAccessException" in result.stderr
    assert "Security Hub is not enabled in eu-west-1" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    report = read(out / REPORT_FILE)
    assert {(s["AccountId"], s["Region"]) for s in report["sets"]} == {
        (CALLER, REGION),
        (MEMBER, REGION),
    }
    assert {f["account_id"] for f in report["failures"]} == {"", DENIED}

    # Throttling: three RequestLimitExceeded answers, then success through the retry config
    # (botocore's default of 3 attempts would have given up).
    assert throttle.seen > throttle.times
    assert (out / CALLER / REGION / "network-interfaces.json").exists()

    # Pagination: more than one page of findings per filter set.
    gets = recorder.actions.count("securityhub:GetFindings")
    filter_sets = len(finding_filters(list(IN_SCOPE_CONTROLS)))
    assert gets >= 2 * filter_sets, (gets, filter_sets)

    # The layout, in AWS CLI shapes.
    caller = out / CALLER / REGION
    for name, key in [
        ("findings.json", "Findings"),
        ("security-groups.json", "SecurityGroups"),
        ("security-group-rules.json", "SecurityGroupRules"),
        ("network-interfaces.json", "NetworkInterfaces"),
        ("flow-logs.json", "FlowLogs"),
        ("instances.json", "Reservations"),
        ("db-instances.json", "DBInstances"),
        ("managed-prefix-lists.json", "PrefixLists"),
    ]:
        assert isinstance(read(caller / name)[key], list), name
    entries = read(caller / "prefix-list-entries" / f"{world.prefix_list}.json")
    assert entries == {"Entries": [{"Cidr": "198.51.100.0/24", "Description": "office"}]}

    # Findings: both shapes kept, out-of-scope/archived/passed dropped, every duplicate kept.
    findings = read(caller / "findings.json")["Findings"]
    generators = {f["GeneratorId"] for f in findings}
    assert "security-control/EC2.19" in generators
    assert any("cis-aws-foundations-benchmark/v/1.2.0/rule/4.1" in g for g in generators)
    assert "pci-dss/v/3.2.1/PCI.RDS.2" in generators
    assert not any("CloudTrail" in g for g in generators)
    assert all(f["RecordState"] == "ACTIVE" for f in findings)
    assert len(findings) == 110 + 5  # the noise, plus EC2.19, CIS 4.1, EC2.18, EC2.9, PCI.RDS.2

    # Every ENI of the VPCs involved (RDS's included), none of the unrelated VPC.
    enis = {
        e["NetworkInterfaceId"]
        for e in read(caller / "network-interfaces.json")["NetworkInterfaces"]
    }
    assert {*world.web_enis, world.bastion_eni, world.db_eni} <= enis
    assert world.other_eni not in enis
    groups = {g["GroupId"] for g in read(caller / "security-groups.json")["SecurityGroups"]}
    assert {world.ssh_group, world.web_group, world.db_group, world.bastion_group} <= groups
    dbs = read(caller / "db-instances.json")["DBInstances"]
    assert [d["DBInstanceIdentifier"] for d in dbs] == ["orders"]

    # Datetimes as ISO strings.
    flow_logs = read(caller / "flow-logs.json")["FlowLogs"]
    assert {f["FlowLogId"] for f in flow_logs} == {
        world.foreign_full_flow_log,
        world.foreign_v2_flow_log,
    }
    for fl in flow_logs:
        dt.datetime.fromisoformat(fl["CreationTime"])

    # The member account's inventory was read with its assumed role: its own resources only.
    member = out / MEMBER / REGION
    member_groups = read(member / "security-groups.json")["SecurityGroups"]
    assert {g["OwnerId"] for g in member_groups} == {MEMBER}
    assert world.member_group in {g["GroupId"] for g in member_groups}
    member_enis = read(member / "network-interfaces.json")["NetworkInterfaces"]
    assert [e["NetworkInterfaceId"] for e in member_enis] == [world.member_eni]
    assert not (out / DENIED).exists()

    # The snapshot reads back, and its targets are the ENIs behind the findings.
    snapshot = load_snapshot(out)
    by_eni = {t.interface_id: t for t in interface_targets(snapshot)}
    assert set(by_eni) == {*world.web_enis, world.bastion_eni, world.db_eni, world.member_eni}
    assert by_eni[world.db_eni].serves == ("orders",)
    assert set(by_eni[world.web_enis[0]].serves) == {world.ssh_group, world.web_group}

    # The summary a human wants first: by control, severity, account, region, per resource.
    text = result.stdout
    assert "findings on" in text
    for header in ("control", "severity", "account", "region", "flow logs (sufficient)"):
        assert header in text
    ssh_line = next(line for line in text.splitlines() if world.ssh_group in line)
    assert "EC2.13,EC2.19" in ssh_line and "112" in ssh_line and "1/2 ENIs" in ssh_line
    db_line = next(line for line in text.splitlines() if " orders " in line)
    assert "RDS.2" in db_line and "0/1 ENIs" in db_line
    denied_line = next(line for line in text.splitlines() if DENIED in line and "sg-" in line)
    assert "not collected" in denied_line

    # IAM: the declared actions are exactly the calls made.
    assert set(recorder.actions) == set(COLLECT_IAM_ACTIONS)


def test_member_account_without_role_is_reported(world: World, tmp_path: Path) -> None:
    result = run(["collect", "--out", str(tmp_path / "s")])
    assert result.exit_code == EXIT_PARTIAL
    assert f"account {MEMBER}, {REGION}: assume-role failed (NoRole" in result.stderr
    assert "--role-name" in result.stderr
    assert (tmp_path / "s" / CALLER / REGION / "security-groups.json").exists()


def test_accounts_and_controls_narrow_the_snapshot(world: World, tmp_path: Path) -> None:
    out = tmp_path / "s"
    result = run(["collect", "--out", str(out), "--accounts", CALLER, "--controls", "RDS.2"])
    assert result.exit_code == 0, result.output
    findings = read(out / CALLER / REGION / "findings.json")["Findings"]
    assert [f["GeneratorId"] for f in findings] == ["pci-dss/v/3.2.1/PCI.RDS.2"]
    assert not (out / MEMBER).exists()


def test_unknown_control_is_a_usage_error(aws: str, tmp_path: Path) -> None:
    result = run(["collect", "--out", str(tmp_path), "--controls", "EC2.19,S3.1"])
    assert result.exit_code == EXIT_USAGE
    assert "S3.1 not in scope" in result.output + result.stderr


def test_no_readable_security_hub_is_one_line(aws: str, tmp_path: Path) -> None:
    hooks = [security_hub_not_enabled(REGION)]
    result = run(["collect", "--out", str(tmp_path / "s")], hooks)
    assert result.exit_code == EXIT_INPUT
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "sgharden: error: Security Hub could not be read"
    )
    assert "Traceback" not in result.output


def test_filters_ask_both_shapes() -> None:
    filters = finding_filters(["EC2.19", "EC2.13", "RDS.2"])
    fields = [set(f) for f in filters]
    assert {"ComplianceSecurityControlId", "RecordState", "ComplianceStatus"} in fields
    generator_values = [v["Value"] for f in filters for v in f.get("GeneratorId", [])]
    assert "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.1" in (
        generator_values
    )
    assert "aws-foundational-security-best-practices/v/1.0.0/EC2.19" in generator_values
    assert "pci-dss/v/3.2.1/PCI.RDS.2" in generator_values
    assert all(len(v) <= 20 for f in filters for v in f.values())


def test_opt_in_region_is_reported_and_the_rest_go_on(world: World, tmp_path: Path) -> None:
    # A finding from an opt-in region the account has not enabled: its inventory cannot be read.
    far = consolidated("EC2.19", CALLER, "AwsEc2SecurityGroup", "arn:aws:ec2:ap-east-1:x")
    far["Region"] = far["Resources"][0]["Region"] = "ap-east-1"
    far["Resources"][0]["Details"] = {"AwsEc2SecurityGroup": {"GroupId": "sg-0fa7fa7fa7fa7fa70"}}
    boto3.client("securityhub", region_name=REGION).batch_import_findings(Findings=[far])
    out = tmp_path / "s"
    result = run(
        ["collect", "--out", str(out), "--accounts", CALLER], [ec2_opt_in_required("ap-east-1")]
    )
    assert result.exit_code == EXIT_PARTIAL
    assert f"account {CALLER}, ap-east-1: inventory failed (OptInRequired" in result.stderr
    assert "opt-in region not enabled" in result.stderr
    assert (out / CALLER / REGION / "security-groups.json").exists()
    assert not (out / CALLER / "ap-east-1").exists()


def test_adaptive_retry_mode_rides_out_throttling(world: World, tmp_path: Path) -> None:
    throttle = Throttle("DescribeSecurityGroups", times=3)
    result = run(
        ["collect", "--out", str(tmp_path / "s"), "--accounts", CALLER,
         "--retry-mode", "adaptive"],
        [throttle.hook()],
    )  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr
    assert throttle.seen > throttle.times


def test_collected_snapshot_feeds_propose(world: World, tmp_path: Path) -> None:
    """The snapshot is the contract between collect and the analysis: propose must read it."""
    out = tmp_path / "snap"
    assert run(["collect", "--out", str(out), "--role-name", ROLE]).exit_code == 0
    result = run(
        ["propose", "--snapshot", str(out), "--workspace", str(tmp_path / "ws.duckdb"),
         "--format", "json", "--quiet"]
    )  # fmt: skip
    # The snapshot was read (its interfaces are counted); no flow-log data delivered yet is no
    # plan at all, an input error that says how to get the data, never an exit-0 empty plan.
    assert result.exit_code == EXIT_INPUT, result.output + result.stderr
    assert "no flow-log data for any of the snapshot's" in result.stderr
    assert "flow-logs enable" in result.stderr and not result.stdout


def test_rds_denied_is_context_unless_a_db_is_flagged(world: World, tmp_path: Path) -> None:
    hooks = [deny("rds", "DescribeDBInstances")]
    out = tmp_path / "groups-only"
    result = run(
        ["collect", "--out", str(out), "--accounts", CALLER, "--controls", "EC2.19"], hooks
    )
    assert result.exit_code == EXIT_PARTIAL
    assert "inventory (db-instances.json left out) failed (AccessDenied" in result.stderr
    assert (out / CALLER / REGION / "security-groups.json").exists()
    assert not (out / CALLER / REGION / "db-instances.json").exists()

    out = tmp_path / "with-db"
    result = run(["collect", "--out", str(out), "--accounts", CALLER], hooks)
    assert result.exit_code == EXIT_PARTIAL
    assert f"account {CALLER}, {REGION}: inventory failed (AccessDenied" in result.stderr
    assert not (out / CALLER / REGION).exists()


def test_groups_referenced_from_another_vpc_come_along(world: World, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    peer = ec2.create_security_group(GroupName="peer-clients", Description="p", VpcId=vpc)
    peer_eni = ec2.create_network_interface(SubnetId=subnet, Groups=[peer["GroupId"]])
    ec2.authorize_security_group_ingress(
        GroupId=world.db_group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": peer["GroupId"]}],
            }
        ],
    )
    out = tmp_path / "s"
    assert run(["collect", "--out", str(out), "--accounts", CALLER]).exit_code == 0
    caller = out / CALLER / REGION
    groups = {g["GroupId"] for g in read(caller / "security-groups.json")["SecurityGroups"]}
    assert peer["GroupId"] in groups
    enis = read(caller / "network-interfaces.json")["NetworkInterfaces"]
    ids = [e["NetworkInterfaceId"] for e in enis]
    assert peer_eni["NetworkInterface"]["NetworkInterfaceId"] in ids
    assert len(ids) == len(set(ids))


def test_aggregation_region_reads_linked_regions(world: World, tmp_path: Path) -> None:
    """With cross-region aggregation, us-east-1's hub returns a us-west-2 finding; its inventory
    is read in us-west-2."""
    west = boto3.client("ec2", region_name="us-west-2")
    vpc = west.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    gid = west.create_security_group(GroupName="west", Description="w", VpcId=vpc)["GroupId"]
    finding = consolidated(
        "EC2.19",
        CALLER,
        "AwsEc2SecurityGroup",
        f"arn:aws:ec2:us-west-2:{CALLER}:security-group/{gid}",
    )
    finding["Region"] = finding["Resources"][0]["Region"] = "us-west-2"
    boto3.client("securityhub", region_name=REGION).batch_import_findings(Findings=[finding])
    out = tmp_path / "s"
    result = run(["collect", "--out", str(out), "--accounts", CALLER, "--region", REGION])
    assert result.exit_code == 0, result.output + result.stderr
    west_groups = read(out / CALLER / "us-west-2" / "security-groups.json")["SecurityGroups"]
    assert gid in {g["GroupId"] for g in west_groups}
    assert world.ssh_group not in {g["GroupId"] for g in west_groups}
    assert (out / CALLER / REGION / "security-groups.json").exists()
