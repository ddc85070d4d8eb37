"""The plan_small fixture made real on the moto server: its groups, instance, EIP and database.

Moto gives resources its own ids, so the fixture's plan and snapshot are copied with the fixture's
ids replaced by the live ones — the plan then describes the live account exactly as `propose` would.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from fixtures.make_plan_small import inputs as plan_inputs

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "plan_small"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
FIXTURE_IDS = {
    "web": "sg-0a0000000000000aa",
    "db": "sg-0b0000000000000bb",
    "legacy": "sg-0c0000000000000cc",
    "worker": "sg-0d0000000000000dd",
    "vpc": "vpc-0f00000000000000f",
    "instance": "i-0d0000000000000dd",
    "public_ip": "54.210.10.40",
}
INGRESS = {
    "web": [(22, "0.0.0.0/0"), (22, "::/0"), (8080, "0.0.0.0/0"), (443, "0.0.0.0/0")],
    "db": [(5432, "0.0.0.0/0")],
    "legacy": [(3389, "0.0.0.0/0")],
    "worker": [],
}
NAMES = {"web": "web-admin", "db": "orders-db", "legacy": "legacy-batch", "worker": "worker"}


@dataclass
class World:
    ids: dict[str, str]  # fixture role -> live id
    plan: Path
    snapshot: Path
    ec2: Any
    rds: Any

    def rules(self, role: str) -> set[tuple[Any, ...]]:
        """The live rules of a group: (egress, protocol, from, to, peer, description)."""
        out = set()
        paginator = self.ec2.get_paginator("describe_security_group_rules")
        for page in paginator.paginate(Filters=[{"Name": "group-id", "Values": [self.ids[role]]}]):
            for r in page["SecurityGroupRules"]:
                peer = (
                    r.get("CidrIpv4")
                    or r.get("CidrIpv6")
                    or (r.get("ReferencedGroupInfo") or {}).get("GroupId")
                    or r.get("PrefixListId")
                )
                out.add(
                    (
                        r["IsEgress"],
                        r["IpProtocol"],
                        r.get("FromPort"),
                        r.get("ToPort"),
                        peer,
                        r.get("Description"),
                    )
                )
        return out


def permission(port: int, cidr: str) -> dict[str, Any]:
    if ":" in cidr:
        return {
            "IpProtocol": "tcp",
            "FromPort": port,
            "ToPort": port,
            "Ipv6Ranges": [{"CidrIpv6": cidr}],
        }
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}


def build_world(tmp_path: Path) -> World:
    ec2 = boto3.client("ec2", region_name=REGION)
    rds = boto3.client("rds", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")
    subnet_id = subnet["Subnet"]["SubnetId"]
    subnet2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone=f"{REGION}b")
    live = {"vpc": vpc}
    for role, name in NAMES.items():
        gid = ec2.create_security_group(GroupName=name, Description=f"{name} tier", VpcId=vpc)[
            "GroupId"
        ]
        live[role] = gid
        if INGRESS[role]:
            ec2.authorize_security_group_ingress(
                GroupId=gid, IpPermissions=[permission(p, c) for p, c in INGRESS[role]]
            )
    instance = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        SecurityGroupIds=[live["worker"]],
    )["Instances"][0]
    live["instance"] = instance["InstanceId"]
    allocation = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(
        AllocationId=allocation["AllocationId"], InstanceId=instance["InstanceId"]
    )
    live["public_ip"] = allocation["PublicIp"]
    rds.create_db_subnet_group(
        DBSubnetGroupName="orders",
        DBSubnetGroupDescription="orders",
        SubnetIds=[subnet_id, subnet2["Subnet"]["SubnetId"]],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="orders",
        MasterUserPassword="correct-horse-battery",
        AllocatedStorage=20,
        PubliclyAccessible=True,
        DBSubnetGroupName="orders",
        VpcSecurityGroupIds=[live["db"]],
    )
    target = tmp_path / "plan_small"
    shutil.copytree(FIXTURE, target)
    for path in [target / "plan.json", *sorted((target / "snapshot").glob("*.json"))]:
        text = path.read_text()
        for role, fixture_id in FIXTURE_IDS.items():
            text = text.replace(fixture_id, live[role])
        path.write_text(text)
    # the ids changed, so the rules it records did: record them again, as propose would have
    plan = json.loads((target / "plan.json").read_text())
    plan["inputs"] = plan_inputs(target / "snapshot", plan)
    (target / "plan.json").write_text(json.dumps(plan, indent=2) + "\n")
    return World(live, target / "plan.json", target / "snapshot", ec2, rds)
