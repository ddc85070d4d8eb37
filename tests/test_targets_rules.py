"""targets.py asked directly: which ENIs a finding means, which flow log records an ENI, and how
findings become targets (merged, sorted, looked up across inventories, or named as missing).

targets.py is pure (a Snapshot in, frozen targets out), so these build the domain objects the
snapshot loader would build and check each answer, one behaviour a test.
"""

from __future__ import annotations

from pathlib import Path

from sgharden.model import (
    DbInstance,
    Finding,
    FlowLog,
    Instance,
    Interface,
    Inventory,
    SecurityGroup,
)
from sgharden.snapshot import Snapshot
from sgharden.targets import (
    db_interfaces,
    flagged_without_interfaces,
    group_interfaces,
    instance_interfaces,
    interface_targets,
    recorded_interfaces,
    recording_log,
    records,
    resolve,
)

ACCOUNT = "111122223333"
REGION = "eu-west-1"
VPC = "vpc-00000001"
SUBNET = "subnet-00000001"


def eni(
    interface_id: str,
    groups: tuple[str, ...] = (),
    *,
    vpc: str | None = VPC,
    subnet: str | None = SUBNET,
    instance: str | None = None,
    description: str = "",
    account: str = ACCOUNT,
    region: str = REGION,
) -> Interface:
    return Interface(
        interface_id,
        account,
        region,
        vpc,
        subnet,
        groups,
        ("10.0.0.1",),
        instance_id=instance,
        description=description,
    )


def log(
    flow_log_id: str, resource_id: str, *, traffic: str = "ALL", status: str = "ACTIVE"
) -> FlowLog:
    return FlowLog(
        flow_log_id,
        resource_id,
        ACCOUNT,
        REGION,
        "${version}",
        "s3",
        "arn:aws:s3:::b",
        traffic_type=traffic,
        status=status,
    )


def group(group_id: str, account: str = ACCOUNT, region: str = REGION) -> SecurityGroup:
    return SecurityGroup(group_id, group_id, VPC, account, account, region)


def finding(
    finding_id: str,
    control: str,
    resource_id: str,
    *,
    account: str = ACCOUNT,
    region: str = REGION,
    duplicates: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        finding_id,
        control,
        account,
        region,
        "AwsEc2SecurityGroup",
        resource_id,
        f"arn:aws:ec2:{region}:{account}:x/{resource_id}",
        "HIGH",
        "t",
        "ACTIVE",
        "FAILED",
        "g",
        duplicate_ids=duplicates,
    )


def inventory(
    enis: list[Interface] = [],  # noqa: B006 - never mutated
    *,
    groups: list[str] = [],  # noqa: B006
    instances: list[Instance] = [],  # noqa: B006
    dbs: list[DbInstance] = [],  # noqa: B006
    account: str = ACCOUNT,
    region: str = REGION,
) -> Inventory:
    return Inventory(
        account,
        region,
        security_groups={g: group(g, account, region) for g in groups},
        interfaces={e.interface_id: e for e in enis},
        instances={i.instance_id: i for i in instances},
        db_instances={d.identifier: d for d in dbs},
    )


def snapshot(findings: list[Finding], *inventories: Inventory) -> Snapshot:
    return Snapshot(
        Path("snap"), tuple(findings), {(i.account_id, i.region): i for i in inventories}
    )


def db(identifier: str, groups: tuple[str, ...], vpc: str | None = VPC) -> DbInstance:
    return DbInstance(identifier, ACCOUNT, REGION, vpc, True, groups)


RDS = "RDSNetworkInterface"


# --- which ENIs ----------------------------------------------------------------------------------


def test_a_groups_interfaces_are_those_carrying_it_in_inventory_order() -> None:
    inv = inventory([eni("eni-2", ("sg-a", "sg-b")), eni("eni-1", ("sg-b",)), eni("eni-3", ())])
    assert [e.interface_id for e in group_interfaces(inv, "sg-b")] == ["eni-2", "eni-1"]
    assert [e.interface_id for e in group_interfaces(inv, "sg-a")] == ["eni-2"]


def test_an_instances_interfaces_are_listed_or_attached_and_sorted() -> None:
    inv = inventory(
        [eni("eni-3", instance="i-1"), eni("eni-2"), eni("eni-1", instance="i-2"), eni("eni-0")]
    )
    instance = Instance("i-1", ACCOUNT, REGION, VPC, None, ("eni-2",), ())
    assert [e.interface_id for e in instance_interfaces(inv, instance)] == ["eni-2", "eni-3"]


def test_a_db_means_rds_interfaces_in_its_vpc_carrying_exactly_its_groups_sorted() -> None:
    inv = inventory(
        [
            eni("eni-4", ("sg-b", "sg-a"), description=RDS),
            eni("eni-2", ("sg-a", "sg-b"), description=RDS.lower()),  # case does not matter
            eni("eni-3", ("sg-a", "sg-b")),  # not an RDS interface
            eni("eni-5", ("sg-a",), description=RDS),  # only some of its groups
            eni("eni-6", ("sg-a", "sg-b", "sg-c"), description=RDS),  # more than its groups
            eni("eni-1", ("sg-a", "sg-b"), description=RDS, vpc="vpc-other"),  # another VPC
        ]
    )
    found = db_interfaces(inv, db("orders", ("sg-a", "sg-b")))
    assert [e.interface_id for e in found] == ["eni-2", "eni-4"]


def test_a_db_with_no_vpc_takes_its_rds_interfaces_in_any_vpc() -> None:
    inv = inventory(
        [
            eni("eni-2", ("sg-a",), description=RDS, vpc="vpc-other"),
            eni("eni-1", ("sg-a",), description=RDS),
        ]
    )
    found = db_interfaces(inv, db("classic", ("sg-a",), vpc=None))
    assert [e.interface_id for e in found] == ["eni-1", "eni-2"]


def test_a_db_without_groups_means_no_interface_not_the_groupless_ones() -> None:
    inv = inventory([eni("eni-1", (), description=RDS)])
    assert db_interfaces(inv, db("bare", ())) == []


# --- which flow logs record an ENI ---------------------------------------------------------------


def test_an_active_log_on_the_interface_its_subnet_or_its_vpc_records_it() -> None:
    e = eni("eni-1")
    assert records(log("fl-1", "eni-1"), e)
    assert records(log("fl-2", SUBNET), e)
    assert records(log("fl-3", VPC), e)
    assert records(log("fl-4", VPC, status="active"), e)  # status in any case
    assert not records(log("fl-5", "eni-2"), e)
    assert not records(log("fl-6", "subnet-other"), e)
    assert not records(log("fl-7", VPC, status="INACTIVE"), e)


def test_an_interface_with_no_subnet_or_vpc_is_recorded_by_its_own_log_only() -> None:
    e = eni("eni-1", vpc=None, subnet=None)
    assert records(log("fl-1", "eni-1"), e)
    assert not records(log("fl-2", VPC), e)


def test_the_interfaces_a_log_records_are_computed_once_per_log() -> None:
    inv = inventory([eni("eni-1"), eni("eni-2", subnet="subnet-2"), eni("eni-3", vpc="vpc-2")])
    subnet_log = log("fl-1", SUBNET)
    first = recorded_interfaces(subnet_log, inv)
    assert [e.interface_id for e in first] == ["eni-1", "eni-3"]
    assert recorded_interfaces(subnet_log, inv) is first  # the cached tuple
    vpc_log = log("fl-2", VPC)  # another log of the same inventory has its own answer
    assert [e.interface_id for e in recorded_interfaces(vpc_log, inv)] == ["eni-1", "eni-2"]
    # the same log id moved to another resource is another question
    moved = log("fl-1", "eni-2")
    assert [e.interface_id for e in recorded_interfaces(moved, inv)] == ["eni-2"]


def test_the_recording_log_is_the_most_specific_whatever_the_order() -> None:
    e = eni("eni-1")
    vpc, subnet, own = log("fl-v", VPC), log("fl-s", SUBNET), log("fl-e", "eni-1")
    assert recording_log(e, [vpc, subnet, own]) == own
    assert recording_log(e, [vpc, subnet]) == subnet
    assert recording_log(e, [subnet, vpc]) == subnet
    assert recording_log(e, [vpc]) == vpc
    assert recording_log(e, [log("fl-x", "vpc-other")]) is None
    assert recording_log(e, []) is None


def test_a_reject_only_log_records_no_accepted_traffic() -> None:
    e = eni("eni-1")
    vpc = log("fl-v", VPC)
    assert recording_log(e, [log("fl-e", "eni-1", traffic="REJECT"), vpc]) == vpc
    assert recording_log(e, [log("fl-e", "eni-1", traffic="reject")]) is None
    accept = log("fl-a", "eni-1", traffic="ACCEPT")
    assert recording_log(e, [vpc, accept]) == accept
    inactive = log("fl-i", "eni-1", status="INACTIVE")
    assert recording_log(e, [inactive, vpc]) == vpc


def test_an_interface_without_a_subnet_falls_back_to_its_vpc_log() -> None:
    e = eni("eni-1", subnet=None)
    vpc = log("fl-v", VPC)
    assert recording_log(e, [vpc]) == vpc


# --- findings -> targets -------------------------------------------------------------------------


def test_a_groups_findings_merge_into_one_target_with_ordered_controls_and_ids() -> None:
    inv = inventory(
        [eni("eni-2", ("sg-a",)), eni("eni-1", ("sg-a",)), eni("eni-3", ("sg-b",))],
        groups=["sg-a", "sg-b"],
    )
    snap = snapshot(
        [
            finding("f-2", "EC2.2", "sg-a"),
            finding("f-19", "EC2.19", "sg-a", duplicates=("f-19b",)),
            finding("f-18", "EC2.18", "sg-a", duplicates=("f-2",)),  # an id seen already
        ],
        inv,
    )
    targets = resolve(snap)
    (t,) = targets.groups
    assert (t.kind, t.resource_id, t.account_id, t.region) == ("group", "sg-a", ACCOUNT, REGION)
    assert [e.interface_id for e in t.interfaces] == ["eni-2", "eni-1"]
    assert t.controls == ("EC2.19", "EC2.18", "EC2.2")  # the controls' own order
    assert t.finding_ids == ("f-2", "f-19", "f-19b", "f-18")
    assert t.inventory is inv
    assert t.finding is None
    assert targets.instances == targets.dbs == targets.missing == ()
    assert targets.all == (t,)


def test_group_targets_are_sorted_by_account_region_and_group() -> None:
    here = inventory(groups=["sg-b", "sg-a"])
    there = inventory(groups=["sg-c"], account="000000000001", region="us-east-1")
    snap = snapshot(
        [
            finding("f-1", "EC2.19", "sg-b"),
            finding("f-2", "EC2.19", "sg-a"),
            finding("f-3", "EC2.19", "sg-c", account="000000000001", region="us-east-1"),
        ],
        here,
        there,
    )
    got = [(t.account_id, t.region, t.resource_id) for t in resolve(snap).groups]
    assert got == [
        ("000000000001", "us-east-1", "sg-c"),
        (ACCOUNT, REGION, "sg-a"),
        (ACCOUNT, REGION, "sg-b"),
    ]


def test_one_group_flagged_twice_in_one_inventory_is_one_target_but_per_inventory_apart() -> None:
    east = inventory(groups=["sg-a"], region="us-east-1")
    west = inventory(groups=["sg-a"])
    snap = snapshot(
        [
            finding("f-1", "EC2.19", "sg-a", region="us-east-1"),
            finding("f-2", "EC2.18", "sg-a", region="us-east-1"),
            finding("f-3", "EC2.19", "sg-a"),
        ],
        east,
        west,
    )
    got = [(t.region, t.controls, t.finding_ids) for t in resolve(snap).groups]
    assert got == [
        (REGION, ("EC2.19",), ("f-3",)),
        ("us-east-1", ("EC2.19", "EC2.18"), ("f-1", "f-2")),
    ]


def test_a_finding_from_an_aggregation_region_resolves_in_the_inventory_holding_it() -> None:
    home = inventory(
        [eni("eni-1", ("sg-a",), region="us-east-1")], groups=["sg-a"], region="us-east-1"
    )
    other = inventory(groups=["sg-x"])
    snap = snapshot([finding("f-1", "EC2.19", "sg-a", region="eu-central-1")], other, home)
    (t,) = resolve(snap).groups
    assert (t.region, t.inventory) == ("us-east-1", home)
    assert [e.interface_id for e in t.interfaces] == ["eni-1"]


def test_a_findings_own_inventory_comes_first_even_when_another_holds_the_resource() -> None:
    elsewhere = inventory(groups=["sg-a"], region="us-east-1")
    own = inventory()  # its own account/region, though the group is not listed there
    snap = snapshot([finding("f-1", "EC2.19", "sg-a")], elsewhere, own)
    (t,) = resolve(snap).groups
    assert t.region == REGION and t.inventory is own


def test_findings_whose_resource_is_in_no_inventory_are_named_missing() -> None:
    snap = snapshot(
        [
            finding("f-1", "EC2.19", "sg-gone", region="eu-central-1"),
            finding("f-2", "EC2.9", "i-gone", region="eu-central-1"),
            finding("f-3", "RDS.2", "db-gone", region="eu-central-1"),
            finding("f-4", "EC2.9", "i-gone2"),  # its inventory exists, the instance does not
            finding("f-5", "RDS.2", "db-gone2"),
        ],
        inventory(groups=["sg-a"]),
    )
    targets = resolve(snap)
    assert targets.missing == (
        "EC2.19 sg-gone: not in any security-groups.json",
        "EC2.9 i-gone: not in instances.json",
        "RDS.2 db-gone: not in db-instances.json",
        "EC2.9 i-gone2: not in instances.json",
        "RDS.2 db-gone2: not in db-instances.json",
    )
    assert targets.all == ()


def test_instance_and_db_findings_are_one_target_each_in_finding_order() -> None:
    inst = Instance("i-1", ACCOUNT, REGION, VPC, "54.0.0.1", ("eni-1",), ("sg-a",))
    inst2 = Instance("i-2", ACCOUNT, REGION, VPC, "54.0.0.2", (), ("sg-a",))
    orders = db("orders", ("sg-d",))
    inv = inventory(
        [
            eni("eni-1", ("sg-a",)),
            eni("eni-2", ("sg-a",), instance="i-2"),
            eni("eni-9", ("sg-d",), description=RDS),
        ],
        instances=[inst, inst2],
        dbs=[orders],
    )
    f2 = finding("f-i2", "EC2.9", "i-2", duplicates=("f-i2b",))
    f1 = finding("f-i1", "EC2.9", "i-1")
    fd = finding("f-d", "RDS.2", "orders")
    targets = resolve(snapshot([f2, fd, f1], inv))
    assert targets.groups == ()
    assert [t.resource_id for t in targets.instances] == ["i-2", "i-1"]
    t = targets.instances[0]
    assert (t.kind, t.account_id, t.region) == ("instance", ACCOUNT, REGION)
    assert [e.interface_id for e in t.interfaces] == ["eni-2"]
    assert t.controls == ("EC2.9",)
    assert t.finding_ids == ("f-i2", "f-i2b")
    assert t.inventory is inv and t.finding == f2
    (d,) = targets.dbs
    assert (d.kind, d.resource_id, d.controls, d.finding_ids) == (
        "db",
        "orders",
        ("RDS.2",),
        ("f-d",),
    )
    assert [e.interface_id for e in d.interfaces] == ["eni-9"]
    assert d.finding == fd
    assert targets.all == (*targets.instances, d)


def test_an_instance_finding_from_another_region_resolves_where_the_instance_is() -> None:
    inst = Instance("i-1", ACCOUNT, "us-east-1", VPC, None, ("eni-1",), ())
    home = inventory([eni("eni-1", region="us-east-1")], instances=[inst], region="us-east-1")
    dbs = inventory(dbs=[db("orders", ("sg-a",))], region="us-west-2")
    snap = snapshot(
        [
            finding("f-1", "EC2.9", "i-1", region="eu-central-1"),
            finding("f-2", "RDS.2", "orders", region="eu-central-1"),
        ],
        dbs,
        home,
    )
    targets = resolve(snap)
    assert [(t.resource_id, t.region) for t in targets.all] == [
        ("i-1", "us-east-1"),
        ("orders", "us-west-2"),
    ]
    assert targets.missing == ()


def test_out_of_scope_findings_are_not_targets() -> None:
    snap = snapshot([finding("f-1", "S3.1", "sg-a")], inventory(groups=["sg-a"]))
    assert resolve(snap).all == () and resolve(snap).missing == ()


# --- per ENI ---------------------------------------------------------------------------------------


def test_interface_targets_merge_what_each_eni_serves_sorted() -> None:
    inst = Instance("i-1", ACCOUNT, REGION, VPC, None, ("eni-1",), ("sg-b",))
    inv = inventory(
        [eni("eni-2", ("sg-b",)), eni("eni-1", ("sg-b", "sg-a"))],
        groups=["sg-a", "sg-b"],
        instances=[inst],
    )
    west = inventory(
        [eni("eni-0", ("sg-c",), region="us-west-2")], groups=["sg-c"], region="us-west-2"
    )
    snap = snapshot(
        [
            finding("f-9", "EC2.9", "i-1"),
            finding("f-3", "EC2.19", "sg-b"),
            finding("f-1", "EC2.2", "sg-a"),
            finding("f-5", "EC2.19", "sg-c", region="us-west-2"),
        ],
        inv,
        west,
    )
    got = [
        (t.account_id, t.region, t.interface_id, t.serves, t.controls, t.finding_ids)
        for t in interface_targets(snap)
    ]
    assert got == [
        (
            ACCOUNT,
            REGION,
            "eni-1",
            ("i-1", "sg-a", "sg-b"),
            ("EC2.19", "EC2.2", "EC2.9"),
            ("f-1", "f-3", "f-9"),
        ),
        (ACCOUNT, REGION, "eni-2", ("sg-b",), ("EC2.19",), ("f-3",)),
        (ACCOUNT, "us-west-2", "eni-0", ("sg-c",), ("EC2.19",), ("f-5",)),
    ]
    assert interface_targets(snap)[0].interface == inv.interfaces["eni-1"]


def test_flagged_resources_without_an_interface_are_listed_sorted() -> None:
    inv = inventory([eni("eni-1", ("sg-a",))], groups=["sg-a", "sg-z", "sg-m"])
    snap = snapshot(
        [
            finding("f-1", "EC2.19", "sg-z"),
            finding("f-2", "EC2.19", "sg-a"),
            finding("f-3", "EC2.2", "sg-m"),
            finding("f-4", "EC2.9", "i-gone"),  # in no inventory: nothing to log either
        ],
        inv,
    )
    assert flagged_without_interfaces(snap) == ["i-gone", "sg-m", "sg-z"]
