"""analysis/resources: EC2.9 (an instance's public IP) and RDS.2 (a DB's public access), one
decision per test on hand-built inputs (pure: no DuckDB). Written for mutation testing (issue 16):
each test asserts the exact action, reason and evidence. The SQL reader of the same classes is
checked against this pure one by the two-engine tests (tests/test_planner.py).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sgharden.analysis.connections import Connection, Window
from sgharden.analysis.coverage import Coverage, Gap
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.resources import (
    SourceClass,
    plan_db,
    plan_instance,
    resource_use_from_connections,
)
from sgharden.model import DbInstance, Finding, Instance, Interface

T = datetime(2026, 10, 1)
ENI = Interface(
    "eni-i1", "111122223333", "eu-west-1", "vpc-1", "subnet-1", ("sg-1",), ("10.0.0.5",)
)
INSTANCE = Instance(
    "i-0123456789abcdef0", "111122223333", "eu-west-1", "vpc-1", "54.1.2.3", ("eni-i1",), ("sg-1",)
)
DB = DbInstance(
    "orders-db", "111122223333", "eu-west-1", "vpc-1", True, ("sg-1",), "postgres", 5432, "db.host"
)


def finding(control: str, resource: str) -> Finding:
    return Finding(
        f"arn:f/{control}", control, "111122223333", "eu-west-1", "AwsEc2Instance", resource,
        f"arn:{resource}", "HIGH", "t", "ACTIVE", "FAILED", "g", duplicate_ids=("arn:f/dup",),
    )  # fmt: skip


def conn(addr: str, *, probe: bool = False, n: int = 3, port: int = 443) -> Connection:
    family = ipaddress.ip_address(addr).version
    return Connection("eni-i1", 6, port, addr, family, n, n * 10, n * 1000, T, T, probe)


def coverage(
    days: int = 15, uncovered: tuple[str, ...] = (), enis: tuple[str, ...] = ("eni-i1",)
) -> Coverage:
    return Coverage(Window(T, T + timedelta(days=days)), enis, uncovered, (), 0.0)


def use(*conns: Connection, top: int = 20) -> dict[str, SourceClass]:
    return resource_use_from_connections(conns, top)


# -- the classes ----------------------------------------------------------------------------------


def test_sources_are_split_into_internet_private_and_internet_probes() -> None:
    got = use(
        conn("198.51.100.1", n=2),
        conn("198.51.100.1", n=5, port=80),
        conn("203.0.113.9", n=1),
        conn("10.0.3.3", n=4),
        conn("192.0.2.66", probe=True, n=7),
        conn("10.0.3.4", probe=True, n=9),  # a private probe is in no class
    )
    assert got == {
        "internet": SourceClass(
            2,
            8,
            (
                {"address": "198.51.100.1", "connections": 7},
                {"address": "203.0.113.9", "connections": 1},
            ),
        ),
        "internal": SourceClass(1, 4, ({"address": "10.0.3.3", "connections": 4},)),
        "internet_probes": SourceClass(1, 7, ({"address": "192.0.2.66", "connections": 7},)),
    }


def test_top_sources_are_the_busiest_then_by_address_and_bounded() -> None:
    got = use(
        conn("198.51.100.9", n=2), conn("198.51.100.1", n=2), conn("198.51.100.5", n=8), top=2
    )
    assert got["internet"].sources == (
        {"address": "198.51.100.5", "connections": 8},
        {"address": "198.51.100.1", "connections": 2},
    )
    assert got["internet"].source_count == 3


# -- EC2.9 ----------------------------------------------------------------------------------------


def test_an_instance_with_a_real_internet_client_keeps_its_public_ip() -> None:
    p = plan_instance(
        INSTANCE, finding("EC2.9", INSTANCE.instance_id), [ENI], use(conn("198.51.100.1")),
        [], coverage(days=1, uncovered=("eni-i1",)), PlannerOptions(),
    )  # fmt: skip
    # real use is proof enough even on incomplete coverage
    assert (p.action, p.reason) == (
        "keep-public-ip",
        "1 real internet source(s) reached it through its public IP",
    )
    assert (p.resource_id, p.resource_type, p.control) == (
        "i-0123456789abcdef0",
        "AwsEc2Instance",
        "EC2.9",
    )
    assert (p.account_id, p.region, p.findings) == (
        "111122223333",
        "eu-west-1",
        ("arn:f/EC2.9", "arn:f/dup"),
    )
    assert p.evidence["public_ip"] == "54.1.2.3"
    assert p.evidence["interfaces"] == ["eni-i1"]
    assert (p.evidence["connections"], p.evidence["source_count"]) == (3, 1)
    assert p.evidence["sources"] == [{"address": "198.51.100.1", "connections": 3}]


def test_an_instance_only_scanners_reached_loses_its_public_ip_and_needs_nat_for_its_calls() -> (
    None
):
    outbound = [
        {"interface_id": "eni-i1", "remote_addr": "198.51.100.77", "protocol": 6,
         "service_port": 443, "connections": 4},
        {"interface_id": "eni-i1", "remote_addr": "198.51.100.78", "protocol": 6,
         "service_port": 443, "connections": 1},
        {"interface_id": "eni-i1", "remote_addr": "10.0.0.9", "protocol": 6,
         "service_port": 5432, "connections": 9},  # private: no NAT needed for it
        {"interface_id": "eni-other", "remote_addr": "198.51.100.79", "protocol": 6,
         "service_port": 443, "connections": 9},  # another instance's
    ]  # fmt: skip
    p = plan_instance(
        INSTANCE, finding("EC2.9", INSTANCE.instance_id), [ENI],
        use(conn("192.0.2.1", probe=True, n=2), conn("192.0.2.2", probe=True)),
        outbound, coverage(), PlannerOptions(top_sources=1),
    )  # fmt: skip
    assert p.action == "remove-public-ip"
    assert p.reason == (
        "no real inbound connection from the internet in 15.0 days (2 internet source(s) "
        "reached it, all classified as probes or scanners: none was a real user); it opened 2 "
        "internet destination(s): it needs a NAT gateway (or VPC endpoints) once the public IP "
        "is gone"
    )
    assert p.evidence["probes"] == {"source_count": 2, "connections": 5}
    assert p.evidence["outbound_internet"] == {
        "destination_count": 2,
        "connections": 5,
        "destinations": [
            {"address": "198.51.100.77", "protocol": 6, "port": 443, "connections": 4}
        ],
    }


def test_an_unused_instance_without_outbound_calls_needs_no_nat() -> None:
    p = plan_instance(
        INSTANCE, finding("EC2.9", INSTANCE.instance_id), [ENI], use(conn("10.0.3.3")), [],
        coverage(), PlannerOptions(),
    )  # fmt: skip
    assert (p.action, p.reason) == (
        "remove-public-ip",
        "no real inbound connection from the internet in 15.0 days; it made no outbound "
        "internet connections, so no NAT gateway is needed",
    )


def test_an_instance_on_incomplete_coverage_needs_more_data() -> None:
    args = (INSTANCE, finding("EC2.9", INSTANCE.instance_id), [ENI], use(), [])
    p = plan_instance(*args, coverage(uncovered=("eni-i1",)), PlannerOptions())
    assert (p.action, p.reason) == ("needs-more-data", "ENIs without flow-log data: eni-i1")
    p = plan_instance(*args, coverage(days=3), PlannerOptions())
    assert p.action == "needs-more-data" and p.reason.startswith("window is 3.0 days")
    p = plan_instance(*args, coverage(enis=()), PlannerOptions())
    assert (p.action, p.reason) == (
        "needs-more-data",
        "none of its ENIs is in network-interfaces.json",
    )
    gap = Gap("eni-i1", T, T + timedelta(hours=40), "no-delivery")
    gappy = Coverage(Window(T, T + timedelta(days=15)), ("eni-i1",), (), (gap,), 0.11)
    p = plan_instance(*args, gappy, PlannerOptions())
    assert p.action == "needs-more-data"
    assert p.reason == (
        "flow-log gaps of 40 interface-hours; worst ENI misses 11.0% of the window (limit 2.0%)"
    )


# -- RDS.2 ----------------------------------------------------------------------------------------


def test_a_db_with_an_outside_client_keeps_public_access() -> None:
    p = plan_db(
        DB, finding("RDS.2", DB.identifier), [ENI],
        use(conn("198.51.100.1", port=5432), conn("198.51.100.2", port=5432)),
        coverage(uncovered=("eni-i1",)), PlannerOptions(),
    )  # fmt: skip
    assert (p.action, p.reason) == ("keep-public-access", "2 real client(s) from outside the VPC")
    assert (p.resource_id, p.resource_type, p.control, p.findings) == (
        "orders-db",
        "AwsRdsDbInstance",
        "RDS.2",
        ("arn:f/RDS.2", "arn:f/dup"),
    )
    assert (p.account_id, p.region) == ("111122223333", "eu-west-1")
    assert (p.evidence["endpoint"], p.evidence["port"], p.evidence["interfaces"]) == (
        "db.host",
        5432,
        ["eni-i1"],
    )
    assert (p.evidence["connections"], p.evidence["source_count"]) == (6, 2)


def test_a_db_only_private_clients_and_scanners_used_has_public_access_disabled() -> None:
    p = plan_db(
        DB, finding("RDS.2", DB.identifier), [ENI],
        use(conn("10.0.3.3", port=5432), conn("10.0.3.4", port=5432),
            conn("192.0.2.9", probe=True, port=5432)),
        coverage(), PlannerOptions(),
    )  # fmt: skip
    assert p.action == "disable-public-access"
    assert p.reason == (
        "no real client from outside the VPC in 15.0 days (1 internet source(s) reached it, "
        "all classified as probes or scanners: none was a real user); 2 private client(s) keep "
        "working"
    )
    assert p.evidence["private_clients"] == [
        {"address": "10.0.3.3", "connections": 3},
        {"address": "10.0.3.4", "connections": 3},
    ]
    assert p.evidence["probes"] == {"source_count": 1, "connections": 3}
    assert p.evidence["sources"] == [] and p.evidence["source_count"] == 0


def test_a_db_on_incomplete_coverage_needs_more_data() -> None:
    p = plan_db(
        DB, finding("RDS.2", DB.identifier), [ENI], use(conn("10.0.3.3", port=5432)),
        coverage(uncovered=("eni-i1",)), PlannerOptions(),
    )  # fmt: skip
    assert (p.action, p.reason) == ("needs-more-data", "ENIs without flow-log data: eni-i1")


def test_every_reason_the_coverage_is_short_is_named() -> None:
    p = plan_db(
        DB, finding("RDS.2", DB.identifier), [ENI], use(),
        coverage(days=3, uncovered=("eni-i1",)), PlannerOptions(),
    )  # fmt: skip
    assert (p.action, p.reason) == (
        "needs-more-data",
        "ENIs without flow-log data: eni-i1; window is 3.0 days, shorter than the minimum 14 "
        "(collect more flow logs or lower --min-days)",
    )
