"""The ENIs `flow-logs enable` logs are exactly the ENIs `propose` reads, for every kind of target.

A real snapshot (AWS CLI JSON on disk), a real DuckDB workspace and `propose` as the CLI runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_planner import REGION, VPC, World, ingress, propose_in

from sgharden.snapshot import load_snapshot
from sgharden.targets import interface_targets

RDS = {"RequesterManaged": True, "Description": "RDSNetworkInterface"}


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def _shared_groups_world(world: World) -> None:
    """A DB with groups {a, b}; two other DBs' RDS ENIs carry only a or only b; an instance whose
    second ENI is attached to it but not listed on the instance."""
    world.group("sg-0000000a", "a", [ingress(5432, "0.0.0.0/0")])
    world.group("sg-0000000b", "b", [ingress(5432, "10.0.0.0/8")])
    world.eni("eni-000000ab", "10.0.3.10", ["sg-0000000a", "sg-0000000b"], **RDS)
    world.eni("eni-0000000a", "10.0.3.11", ["sg-0000000a"], **RDS)
    world.eni("eni-000000bb", "10.0.3.12", ["sg-0000000b"], **RDS)
    for identifier, groups in (
        ("orders-db", ["sg-0000000a", "sg-0000000b"]),
        ("a-db", ["sg-0000000a"]),
    ):
        world.dbs.append(
            {
                "DBInstanceIdentifier": identifier,
                "PubliclyAccessible": True,
                "DBSubnetGroup": {"VpcId": VPC},
                "VpcSecurityGroups": [{"VpcSecurityGroupId": g} for g in groups],
                "Engine": "postgres",
                "Endpoint": {"Address": f"{identifier}.example", "Port": 5432},
            }
        )
    world.finding(
        "RDS.2", "AwsRdsDbInstance", "orders-db", f"arn:aws:rds:{REGION}:111122223333:db:orders-db"
    )
    world.traffic("eni-000000ab", "10.0.3.10", "10.0.2.10", 5432, conns=3)
    world.traffic(
        "eni-0000000a", "10.0.3.11", "198.51.100.42", 5432
    )  # a-db's client, not orders-db's
    world.group("sg-00000001", "i", [])
    world.eni("eni-000000e1", "10.0.1.10", ["sg-00000001"], Attachment={"InstanceId": "i-000000eb"})
    world.eni("eni-000000e2", "10.0.1.11", ["sg-00000001"], Attachment={"InstanceId": "i-000000eb"})
    world.instances.append(
        {
            "InstanceId": "i-000000eb",
            "VpcId": VPC,
            "PublicIpAddress": "54.1.2.3",
            "NetworkInterfaces": [{"NetworkInterfaceId": "eni-000000e1"}],
            "SecurityGroups": [{"GroupId": "sg-00000001"}],
            "State": {"Name": "running"},
        }
    )
    world.finding(
        "EC2.9",
        "AwsEc2Instance",
        "i-000000eb",
        f"arn:aws:ec2:{REGION}:111122223333:instance/i-000000eb",
    )
    world.sg_finding("EC2.19", "sg-0000000b")


def _enabled_for(world: World) -> dict[str, set[str]]:
    """resource id -> the ENIs `flow-logs enable` would log for it."""
    out: dict[str, set[str]] = {}
    for t in interface_targets(load_snapshot(world.write())):
        for resource in t.serves:
            out.setdefault(resource, set()).add(t.interface_id)
    return out


def _proposed_for(plan: dict[str, Any]) -> dict[str, set[str]]:
    """resource id -> the ENIs `propose` read for it."""
    out = {r["resource_id"]: set(r["evidence"]["interfaces"]) for r in plan["resources"]}
    out.update({g["group_id"]: set(g["coverage"]["enis"]) for g in plan["groups"]})
    return out


def test_enable_logs_exactly_the_enis_propose_reads(world: World) -> None:
    _shared_groups_world(world)
    plan = propose_in(world)[0]
    assert _enabled_for(world) == _proposed_for(plan)


def test_a_db_means_the_rds_enis_carrying_exactly_its_groups(world: World) -> None:
    _shared_groups_world(world)
    enabled = _enabled_for(world)
    assert enabled["orders-db"] == {"eni-000000ab"}  # not a-db's ENI, not the {b}-only one
    assert enabled["i-000000eb"] == {"eni-000000e1", "eni-000000e2"}  # listed, or attached to it
    assert enabled["sg-0000000b"] == {"eni-000000ab", "eni-000000bb"}
    (db,) = (r for r in propose_in(world)[0]["resources"] if r["resource_id"] == "orders-db")
    # a-db's internet client does not keep orders-db public
    assert db["action"] == "disable-public-access"
