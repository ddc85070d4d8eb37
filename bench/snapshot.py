"""Write the snapshot that goes with the benchmark's flow logs, for the `propose` benchmark.

    python bench/snapshot.py [--out bench/data/snapshot]

The benchmark records (bench/generate.py) come from 300 interfaces in 12 subnets of one VPC,
each with a role by `eni % 10`: web (443, 80), app (8080), db (5432), ssh (22), cache (6379),
metrics (9090). This writes the AWS CLI JSON around them: one security group per role, each
world-open on its ports over IPv4 and IPv6 (so every group is flagged: EC2.19 or EC2.18, EC2.13 on
ssh), the 300 ENIs with their addresses, and the VPC's flow log with the benchmark's format.
It is built from generate.py's own constants, so both describe the same interfaces.
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path

from generate import ACCOUNT, FIELDS, FLOW_LOG_ID, REGION

VPC = "vpc-0be0c000000000001"
ENI_BASE = 1311768467463790320  # generate.py: printf('eni-0%016x', 1311768467463790320 + eni)
ROLES = {  # eni % 10 -> (role, ports)
    0: ("web", (443, 80)),
    1: ("web", (443, 80)),
    2: ("web", (443, 80)),
    3: ("web", (443, 80)),
    4: ("app", (8080,)),
    5: ("app", (8080,)),
    6: ("db", (5432,)),
    7: ("ssh", (22,)),
    8: ("cache", (6379,)),
    9: ("metrics", (9090,)),
}
EC2_19 = {22, 5432, 8080}


def group_id(role: str) -> str:
    return "sg-0be0" + role.encode().hex()[:13].ljust(13, "0")


def eni_id(eni: int) -> str:
    return f"eni-0{ENI_BASE + eni:016x}"


def finding(control: str, gid: str) -> dict[str, object]:
    arn = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{gid}"
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:securityhub:{REGION}:{ACCOUNT}:security-control/{control}/finding/{uuid.uuid5(uuid.NAMESPACE_URL, arn + control)}",
        "ProductArn": f"arn:aws:securityhub:{REGION}::product/aws/securityhub",
        "GeneratorId": f"security-control/{control}",
        "AwsAccountId": ACCOUNT,
        "Region": REGION,
        "Title": f"{control} bench finding",
        "Severity": {"Label": "HIGH"},
        "RecordState": "ACTIVE",
        "Compliance": {"Status": "FAILED", "SecurityControlId": control},
        "Workflow": {"Status": "NEW"},
        "Resources": [
            {
                "Type": "AwsEc2SecurityGroup",
                "Id": arn,
                "Region": REGION,
                "Details": {"AwsEc2SecurityGroup": {"GroupId": gid, "VpcId": VPC}},
            }
        ],
    }


def build(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    roles = sorted({role: ports for role, ports in ROLES.values()}.items())
    groups, findings = [], []
    for role, ports in roles:
        gid = group_id(role)
        groups.append(
            {
                "GroupId": gid,
                "GroupName": role,
                "VpcId": VPC,
                "OwnerId": ACCOUNT,
                "Description": f"bench {role}",
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                        "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                        "UserIdGroupPairs": [],
                        "PrefixListIds": [],
                    }
                    for port in ports
                ],
                "IpPermissionsEgress": [
                    {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": []}
                ],
            }
        )
        control = "EC2.19" if set(ports) & EC2_19 else "EC2.18"
        findings.append(finding(control, gid))
        if 22 in ports:
            findings.append(finding("EC2.13", gid))
    enis = []
    for eni in range(300):
        subnet = eni // 25
        role, _ = ROLES[eni % 10]
        enis.append(
            {
                "NetworkInterfaceId": eni_id(eni),
                "OwnerId": ACCOUNT,
                "VpcId": VPC,
                "SubnetId": f"subnet-0be0c0000000000{subnet:02d}",
                "AvailabilityZone": f"{REGION}a",
                "PrivateIpAddress": f"10.0.{subnet}.{10 + eni % 25}",
                "PrivateIpAddresses": [
                    {"PrivateIpAddress": f"10.0.{subnet}.{10 + eni % 25}", "Primary": True}
                ],
                "Ipv6Addresses": [
                    {"Ipv6Address": f"2a05:d018:8c4:e3{subnet:02d}::{16 + eni % 25:x}"}
                ],
                "Groups": [{"GroupId": group_id(role), "GroupName": role}],
                "InterfaceType": "interface",
                "Status": "in-use",
            }
        )
    flow_log = {
        "FlowLogId": FLOW_LOG_ID,
        "ResourceId": VPC,
        "FlowLogStatus": "ACTIVE",
        "TrafficType": "ALL",
        "LogDestinationType": "s3",
        "LogDestination": "arn:aws:s3:::bench-flow-logs",
        "LogFormat": " ".join(f"${{{f}}}" for f in FIELDS),
        "MaxAggregationInterval": 60,
        "CreationTime": "2026-09-30T00:00:00+00:00",
    }
    files = {
        "findings.json": {"Findings": findings},
        "security-groups.json": {"SecurityGroups": groups},
        "network-interfaces.json": {"NetworkInterfaces": enis},
        "flow-logs.json": {"FlowLogs": [flow_log]},
    }
    for name, document in files.items():
        (out / name).write_text(json.dumps(document, indent=1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "snapshot")
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
