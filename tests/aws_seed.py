"""Seeding the moto server with a small organisation, and botocore hooks that play AWS's failures.

The world:
- caller (delegated admin) account 123456789012, us-east-1: VPC A with a world-open SSH group
  on two web instances, a web group with a prefix-list rule, a bastion with a public IP (EC2.9), a
  public RDS instance (RDS.2) and its ENI; VPC B, unrelated (its ENIs must stay out of the snapshot);
  a flow log by someone else with every field on web-1's ENI (reused) and a default-format one on
  web-2's ENI (not sufficient);
- member account 222222222222 (reached by assuming role Audit): a world-open RDP group on one
  instance;
- account 333333333333: a finding only; assuming the role there is denied (see `deny_assume_role`).

moto differences handled here, never in the product:
- moto creates no ENI for an RDS instance: one is made with the DB's group and the description RDS
  gives its ENIs ('RDSNetworkInterface'). moto cannot mark it requester-managed.
- moto's AssumeRole never refuses, so the denied account is played by a `before-send` hook that
  answers AccessDenied for that role ARN, as STS would.
- moto does not check that Security Hub is enabled for GetFindings; a hook answers
  InvalidAccessException for one region, as Security Hub does when it is not enabled.
- moto has no throttling; a hook answers RequestLimitExceeded the first N times.
All hooks are registered through `AwsContext.hooks` (CLI: `obj={"aws_hooks": ...}`), on the
product's own clients, and send nothing to moto when they answer.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

CALLER = "123456789012"  # moto's default account
MEMBER = "222222222222"
DENIED = "333333333333"
REGION = "us-east-1"
ROLE = "Audit"
NOISE_FINDINGS = 110  # with the rest, more than one page of GetFindings (100 a page)

HookList = list[tuple[str, Callable[..., Any]]]


@dataclass
class World:
    vpc_a: str = ""
    vpc_b: str = ""
    ssh_group: str = ""
    web_group: str = ""
    db_group: str = ""
    bastion_group: str = ""
    web_instances: list[str] = field(default_factory=list)
    web_enis: list[str] = field(default_factory=list)
    bastion: str = ""
    bastion_eni: str = ""
    db_eni: str = ""
    other_eni: str = ""  # in VPC B
    prefix_list: str = ""
    foreign_full_flow_log: str = ""  # on web_enis[0], every field, not sgharden's
    foreign_v2_flow_log: str = ""  # on web_enis[1], default format
    member_group: str = ""
    member_eni: str = ""
    member_session: Any = None
    finding_count: int = 0


def member_session(account_id: str) -> boto3.session.Session:
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE}", RoleSessionName="seed"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def _vpc(ec2: Any, cidr: str) -> tuple[str, str, str]:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.split(".")
    sub_a = ec2.create_subnet(
        VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.1.0/24", AvailabilityZone="us-east-1a"
    )["Subnet"]["SubnetId"]
    sub_b = ec2.create_subnet(
        VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.2.0/24", AvailabilityZone="us-east-1b"
    )["Subnet"]["SubnetId"]
    return vpc, sub_a, sub_b


def _group(ec2: Any, vpc: str, name: str, permissions: list[dict[str, Any]]) -> str:
    gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    if permissions:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=permissions)
    return str(gid)


def _world_open(port: int) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    }


def _instance(ec2: Any, subnet: str, groups: list[str], name: str) -> tuple[str, str]:
    raw = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        SecurityGroupIds=groups,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
    )["Instances"][0]
    return raw["InstanceId"], raw["NetworkInterfaces"][0]["NetworkInterfaceId"]


def consolidated(
    control: str, account: str, resource_type: str, resource_arn: str, **extra: Any
) -> dict[str, Any]:
    """A finding in the consolidated control shape (GeneratorId security-control/ID)."""
    fid = (
        f"arn:aws:securityhub:{REGION}:{account}:security-control/{control}/finding/{uuid.uuid4()}"
    )
    details: dict[str, Any] = {}
    if resource_type == "AwsEc2SecurityGroup":
        details = {"AwsEc2SecurityGroup": {"GroupId": resource_arn.rsplit("/", 1)[-1]}}
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": fid,
        "ProductArn": f"arn:aws:securityhub:{REGION}::product/aws/securityhub",
        "GeneratorId": f"security-control/{control}",
        "AwsAccountId": account,
        "Region": REGION,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": "2026-11-01T00:00:00.000Z",
        "UpdatedAt": "2026-11-20T00:00:00.000Z",
        "Severity": {"Label": "HIGH"},
        "Title": f"{control} finding",
        "Description": f"{control} failed",
        "Resources": [
            {"Type": resource_type, "Id": resource_arn, "Region": REGION, "Details": details}
        ],
        "Compliance": {"Status": "FAILED", "SecurityControlId": control},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    }
    finding.update(extra)
    return finding


def legacy_from_vector(
    vectors: Path, name: str, account: str, resource_arn: str, resource_id: str
) -> dict[str, Any]:
    """A per-standard (legacy) finding from the shared vectors, moved onto a seeded resource."""
    finding = copy.deepcopy(json.loads((vectors / "findings/aws-solutions-asr" / name).read_text()))
    finding["Id"] = finding["Id"].rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    finding["AwsAccountId"] = account
    finding["Region"] = REGION
    resource = finding["Resources"][0]
    resource["Id"] = resource_arn
    resource["Region"] = REGION
    details = resource.get("Details") or {}
    if "AwsEc2SecurityGroup" in details:
        details["AwsEc2SecurityGroup"]["GroupId"] = resource_id
    if "AwsRdsDbInstance" in details:
        details["AwsRdsDbInstance"]["DBInstanceIdentifier"] = resource_id
    assert "SecurityControlId" not in finding.get("Compliance", {}), "expected a legacy shape"
    return finding


def sg_arn(account: str, group_id: str) -> str:
    return f"arn:aws:ec2:{REGION}:{account}:security-group/{group_id}"


def seed(vectors: Path) -> World:
    """Create the world on the moto server the environment points at."""
    w = World()
    ec2 = boto3.client("ec2", region_name=REGION)
    w.vpc_a, sub_a, sub_b = _vpc(ec2, "10.10.0.0/16")
    w.vpc_b, other_sub, _ = _vpc(ec2, "10.20.0.0/16")
    w.prefix_list = ec2.create_managed_prefix_list(
        PrefixListName="office",
        MaxEntries=5,
        AddressFamily="IPv4",
        Entries=[{"Cidr": "198.51.100.0/24", "Description": "office"}],
    )["PrefixList"]["PrefixListId"]
    w.ssh_group = _group(ec2, w.vpc_a, "ssh-open", [_world_open(22)])
    w.web_group = _group(
        ec2,
        w.vpc_a,
        "web",
        [
            _world_open(443),
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "PrefixListIds": [{"PrefixListId": w.prefix_list}],
            },
        ],
    )
    w.bastion_group = _group(ec2, w.vpc_a, "bastion", [_world_open(22)])
    w.db_group = _group(ec2, w.vpc_a, "db", [_world_open(5432)])
    for n in (1, 2):
        iid, eni = _instance(ec2, sub_a, [w.ssh_group, w.web_group], f"web-{n}")
        w.web_instances.append(iid)
        w.web_enis.append(eni)
    w.bastion, w.bastion_eni = _instance(ec2, sub_b, [w.bastion_group], "bastion")
    _, w.other_eni = _instance(ec2, other_sub, [_group(ec2, w.vpc_b, "other", [])], "other")

    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_subnet_group(
        DBSubnetGroupName="orders", DBSubnetGroupDescription="orders", SubnetIds=[sub_a, sub_b]
    )
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="orders",
        MasterUserPassword="not-a-secret-123",
        AllocatedStorage=20,
        DBSubnetGroupName="orders",
        VpcSecurityGroupIds=[w.db_group],
        PubliclyAccessible=True,
    )
    # moto makes no ENI for RDS: make the one RDS would (its group, its description).
    w.db_eni = ec2.create_network_interface(
        SubnetId=sub_b, Groups=[w.db_group], Description="RDSNetworkInterface"
    )["NetworkInterface"]["NetworkInterfaceId"]

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="team-flow-logs")
    # Every field, in an order of its own, including two the analysis does not read.
    full = (
        "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
        "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} "
        "${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${region} "
        "${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} "
        "${pkt-dst-aws-service} ${flow-direction} ${traffic-path}"
    )
    w.foreign_full_flow_log = ec2.create_flow_logs(
        ResourceType="NetworkInterface",
        ResourceIds=[w.web_enis[0]],
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::team-flow-logs",
        LogFormat=full,
        MaxAggregationInterval=600,
    )["FlowLogIds"][0]
    w.foreign_v2_flow_log = ec2.create_flow_logs(
        ResourceType="NetworkInterface",
        ResourceIds=[w.web_enis[1]],
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::team-flow-logs",
    )["FlowLogIds"][0]

    # The member account, created with its own (assumed-role) credentials.
    w.member_session = member_session(MEMBER)
    mec2 = w.member_session.client("ec2")
    mvpc, msub, _ = _vpc(mec2, "10.30.0.0/16")
    w.member_group = _group(mec2, mvpc, "rdp-open", [_world_open(3389)])
    _, w.member_eni = _instance(mec2, msub, [w.member_group], "member-app")

    findings = [
        consolidated("EC2.19", CALLER, "AwsEc2SecurityGroup", sg_arn(CALLER, w.ssh_group)),
        legacy_from_vector(
            vectors, "cis-41.json", CALLER, sg_arn(CALLER, w.ssh_group), w.ssh_group
        ),
        consolidated("EC2.18", CALLER, "AwsEc2SecurityGroup", sg_arn(CALLER, w.web_group)),
        consolidated(
            "EC2.9",
            CALLER,
            "AwsEc2Instance",
            f"arn:aws:ec2:{REGION}:{CALLER}:instance/{w.bastion}",
            Severity={"Label": "MEDIUM"},
        ),
        legacy_from_vector(
            vectors, "pci-rds.2.json", CALLER, f"arn:aws:rds:{REGION}:{CALLER}:db:orders", "orders"
        ),
        consolidated("EC2.19", MEMBER, "AwsEc2SecurityGroup", sg_arn(MEMBER, w.member_group)),
        consolidated(
            "EC2.19", DENIED, "AwsEc2SecurityGroup", sg_arn(DENIED, "sg-0123456789abcdef0")
        ),
        # Not in scope, archived, passed: the client-side filter must drop them (moto ignores
        # the server-side Filters).
        consolidated("CloudTrail.2", CALLER, "AwsCloudTrailTrail", "arn:aws:cloudtrail:x"),
        consolidated(
            "EC2.19",
            CALLER,
            "AwsEc2SecurityGroup",
            sg_arn(CALLER, w.bastion_group),
            RecordState="ARCHIVED",
        ),
        consolidated(
            "EC2.13",
            CALLER,
            "AwsEc2SecurityGroup",
            sg_arn(CALLER, w.bastion_group),
            Compliance={"Status": "PASSED", "SecurityControlId": "EC2.13"},
        ),
    ]
    # The noise problem: many findings, few resources (the same control on the same group again).
    findings += [
        consolidated("EC2.13", CALLER, "AwsEc2SecurityGroup", sg_arn(CALLER, w.ssh_group))
        for _ in range(NOISE_FINDINGS)
    ]
    hub = boto3.client("securityhub", region_name=REGION)
    hub.enable_security_hub()
    for start in range(0, len(findings), 100):  # BatchImportFindings takes 100 at most
        result = hub.batch_import_findings(Findings=findings[start : start + 100])
        assert result["FailedCount"] == 0, result["FailedFindings"]
    w.finding_count = len(findings)
    return w


# --- hooks: AWS's failures, played on the product's own clients ------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def _response(request: Any, status: int, body: str, headers: dict[str, str]) -> AWSResponse:
    return AWSResponse(request.url, status, headers, _Body(body.encode()))


def _region_of(request: Any) -> str:
    auth = request.headers.get("Authorization", b"")
    text = auth.decode() if isinstance(auth, bytes) else str(auth)
    scope = text.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    return scope[2] if len(scope) > 2 else ""


def deny_assume_role(account_id: str) -> tuple[str, Callable[..., Any]]:
    """STS answers AccessDenied when assuming any role in `account_id`."""

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        if f"iam%3A%3A{account_id}%3Arole" not in body and f"iam::{account_id}:role" not in body:
            return None
        xml = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            "<Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to "
            f"perform: sts:AssumeRole on resource: arn:aws:iam::{account_id}:role/{ROLE}"
            "</Message></Error><RequestId>denied</RequestId></ErrorResponse>"
        )
        return _response(request, 403, xml, {"Content-Type": "text/xml"})

    return ("before-send.sts.AssumeRole", handler)


def deny(service: str, operation: str) -> tuple[str, Callable[..., Any]]:
    """A query-protocol service (rds, sts, iam...) answers AccessDenied to `operation`."""

    def handler(request: Any, **_: Any) -> AWSResponse:
        xml = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is "
            f"not authorized to perform: {service}:{operation}</Message></Error>"
            "<RequestId>denied</RequestId></ErrorResponse>"
        )
        return _response(request, 403, xml, {"Content-Type": "text/xml"})

    return (f"before-send.{service}.{operation}", handler)


def security_hub_not_enabled(region: str) -> tuple[str, Callable[..., Any]]:
    """Security Hub answers InvalidAccessException in `region` (not enabled there)."""

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        if _region_of(request) != region:
            return None
        body = json.dumps(
            {
                "Code": "InvalidAccessException",
                "Message": "Account is not subscribed to AWS Security Hub",
            }
        )
        headers = {"x-amzn-ErrorType": "InvalidAccessException", "Content-Type": "application/json"}
        return _response(request, 401, body, headers)

    return ("before-send.securityhub.GetFindings", handler)


def ec2_opt_in_required(region: str) -> tuple[str, Callable[..., Any]]:
    """EC2 answers OptInRequired in `region`, as for an opt-in region the account has not enabled."""

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        if _region_of(request) != region:
            return None
        xml = (
            "<Response><Errors><Error><Code>OptInRequired</Code><Message>You are not subscribed "
            "to this service.</Message></Error></Errors><RequestID>optin</RequestID></Response>"
        )
        return _response(request, 401, xml, {"Content-Type": "text/xml"})

    return ("before-send.ec2", handler)


@dataclass
class Throttle:
    """EC2 answers RequestLimitExceeded to the first `times` calls of `operation`."""

    operation: str
    times: int
    seen: int = 0

    def hook(self) -> tuple[str, Callable[..., Any]]:
        def handler(request: Any, **_: Any) -> AWSResponse | None:
            self.seen += 1
            if self.seen > self.times:
                return None
            xml = (
                "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request "
                "limit exceeded.</Message></Error></Errors><RequestID>slow</RequestID></Response>"
            )
            return _response(request, 503, xml, {"Content-Type": "text/xml"})

        return (f"before-send.ec2.{self.operation}", handler)


@dataclass
class CallRecorder:
    """Every API call made, as the IAM action it needs (service prefix:Operation)."""

    actions: list[str] = field(default_factory=list)
    params: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def hook(self) -> tuple[str, Callable[..., Any]]:
        def handler(model: Any, params: dict[str, Any], **_: Any) -> None:
            action = f"{model.service_model.signing_name}:{model.name}"
            self.actions.append(action)
            self.params.append((action, params))

        # Emitted once per API call (not per retry), with the caller's parameters.
        return ("before-parameter-build", handler)
