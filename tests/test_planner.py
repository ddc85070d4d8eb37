"""Each decision of the planner, on a real DuckDB workspace filled by `ingest` from flow-log files.

A small snapshot (AWS CLI JSON) and v2 flow-log text files are written per test; `propose` runs
over them exactly as the CLI does. No mocks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sgharden.analysis.connections import Thresholds, Window, data_window, observed_connections
from sgharden.analysis.evidence import evidence_params, query_evidence
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.planner import propose
from sgharden.analysis.prefixes import aggregate
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.model import Rule
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace

ACCOUNT = "111122223333"
REGION = "eu-west-1"
VPC = "vpc-0000000a"
SUBNET = "subnet-0000000a"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass
class World:
    """A one-account snapshot plus flow-log lines, written to disk by `write`."""

    root: Path
    days: int = 15
    groups: list[dict[str, Any]] = field(default_factory=list)
    enis: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)
    dbs: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    logged: set[str] = field(default_factory=set)  # ENIs with a flow log (ENI-level)
    missing_hours: dict[str, set[int]] = field(default_factory=dict)
    skipdata_hours: dict[str, set[int]] = field(default_factory=dict)
    # ENIs whose log writes nothing for idle hours (AWS often writes no NODATA record at all)
    silent_when_idle: set[str] = field(default_factory=set)
    flow_log_extra: dict[str, dict[str, Any]] = field(default_factory=dict)  # per logged ENI
    subnet_log: bool = False  # one subnet-0005efe5 log instead of one log per ENI

    def group(self, group_id: str, name: str, ingress: list[dict[str, Any]], egress=None) -> None:
        self.groups.append(
            {
                "GroupId": group_id,
                "GroupName": name,
                "VpcId": VPC,
                "OwnerId": ACCOUNT,
                "Description": name,
                "IpPermissions": ingress,
                "IpPermissionsEgress": egress
                if egress is not None
                else [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            }
        )

    def eni(
        self, eni_id: str, ip: str, groups: list[str], logged: bool = True, **extra: Any
    ) -> None:
        raw = {
            "NetworkInterfaceId": eni_id,
            "OwnerId": ACCOUNT,
            "VpcId": VPC,
            "SubnetId": SUBNET,
            "AvailabilityZone": f"{REGION}a",
            "Groups": [{"GroupId": g, "GroupName": g} for g in groups],
            "PrivateIpAddress": ip,
            "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": True}],
            "Ipv6Addresses": [{"Ipv6Address": a} for a in extra.pop("ipv6", [])],
            "InterfaceType": "interface",
            "Status": "in-use",
            **extra,
        }
        self.enis.append(raw)
        if logged:
            self.logged.add(eni_id)

    def finding(self, control: str, resource_type: str, resource_id: str, arn: str) -> str:
        fid = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:security-control/{control}/finding/{len(self.findings)}"
        details = {}
        if resource_type == "AwsEc2SecurityGroup":
            details = {"AwsEc2SecurityGroup": {"GroupId": resource_id}}
        if resource_type == "AwsRdsDbInstance":
            details = {"AwsRdsDbInstance": {"DBInstanceIdentifier": resource_id}}
        self.findings.append(
            {
                "SchemaVersion": "2018-10-08",
                "Id": fid,
                "GeneratorId": f"security-control/{control}",
                "AwsAccountId": ACCOUNT,
                "Region": REGION,
                "Title": control,
                "RecordState": "ACTIVE",
                "Compliance": {"Status": "FAILED", "SecurityControlId": control},
                "Severity": {"Label": "HIGH"},
                "Resources": [
                    {"Type": resource_type, "Id": arn, "Region": REGION, "Details": details}
                ],
            }
        )
        return fid

    def sg_finding(self, control: str, group_id: str) -> str:
        arn = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{group_id}"
        return self.finding(control, "AwsEc2SecurityGroup", group_id, arn)

    def traffic(
        self,
        eni: str,
        local: str,
        remote: str,
        port: int,
        *,
        protocol: int = 6,
        day: int = 1,
        hour: int = 10,
        conns: int = 1,
        bytes_in: int = 4000,
        packets_in: int = 10,
        respond: bool = True,
        action: str = "ACCEPT",
    ) -> None:
        """`conns` inbound connections remote -> local:port (and the interface's answers)."""
        start = T0 + timedelta(days=day, hours=hour)
        for i in range(conns):
            sport = 40000 + i
            t = epoch(start) + i
            self.lines.append(
                f"2 {ACCOUNT} {eni} {remote} {local} {sport} {port} {protocol} {packets_in} "
                f"{bytes_in} {t} {t + 30} {action} OK"
            )
            if respond:
                self.lines.append(
                    f"2 {ACCOUNT} {eni} {local} {remote} {port} {sport} {protocol} 8 6000 "
                    f"{t} {t + 30} {action} OK"
                )

    def outbound(self, eni: str, local: str, remote: str, port: int, day: int = 1) -> None:
        t = epoch(T0 + timedelta(days=day, hours=3))
        self.lines.append(
            f"2 {ACCOUNT} {eni} {local} {remote} 51000 {port} 6 5 500 {t} {t + 5} ACCEPT OK"
        )
        self.lines.append(
            f"2 {ACCOUNT} {eni} {remote} {local} {port} 51000 6 5 900 {t} {t + 5} ACCEPT OK"
        )

    def probe(self, eni: str, local: str, remote: str, port: int, day: int = 2) -> None:
        self.traffic(
            eni, local, remote, port, day=day, hour=4, bytes_in=44, packets_in=1, respond=False
        )

    def write(self) -> Path:
        d = self.root / "snap"
        d.mkdir(parents=True, exist_ok=True)

        def dump(name: str, doc: Any) -> None:
            (d / name).write_text(json.dumps(doc), encoding="utf-8")

        dump("security-groups.json", {"SecurityGroups": self.groups})
        dump("network-interfaces.json", {"NetworkInterfaces": self.enis})
        dump("findings.json", {"Findings": self.findings})
        dump(
            "flow-logs.json",
            {
                "FlowLogs": [
                    {
                        "FlowLogId": "fl-" + e.split("-")[1],
                        "ResourceId": e,
                        **self.flow_log_extra.get(e, {}),
                        "TrafficType": "ALL",
                        "LogDestinationType": "s3",
                        "LogDestination": "arn:aws:s3:::logs",
                        "FlowLogStatus": "ACTIVE",
                        "LogFormat": "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
                    }
                    for e in ([SUBNET] if self.subnet_log else sorted(self.logged))
                ]
            },
        )
        if self.instances:
            dump(
                "instances.json",
                {"Reservations": [{"OwnerId": ACCOUNT, "Instances": self.instances}]},
            )
        if self.dbs:
            dump("db-instances.json", {"DBInstances": self.dbs})
        fl = d / "flow-logs"
        fl.mkdir(exist_ok=True)
        lines = [HEADER, *self.lines]
        # one NODATA record an hour for each logged ENI: delivery, without traffic
        for e in sorted(self.logged):
            for h in range(self.days * 24):
                if h in self.missing_hours.get(e, set()):
                    continue
                if e in self.silent_when_idle and h not in self.skipdata_hours.get(e, set()):
                    continue
                t = epoch(T0 + timedelta(hours=h))
                status = "SKIPDATA" if h in self.skipdata_hours.get(e, set()) else "NODATA"
                lines.append(f"2 {ACCOUNT} {e} - - - - - - - {t + 60} {t + 660} - {status}")
        (fl / "records.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return d


def propose_in(world: World, options: PlannerOptions | None = None) -> tuple[Any, ...]:
    """(plan dict, workspace, snapshot, window) after ingest + propose over the world."""
    snap_dir = world.write()
    snapshot = load_snapshot(snap_dir)
    con = open_workspace(None)
    known = {e.interface_id: e.addresses for e in snapshot.all_interfaces()}
    report = ingest(
        con, [str(p) for p in snapshot.flow_log_dirs], IngestOptions(known_addresses=known)
    )
    assert report.rejected == 0, report.rejected_objects
    window = data_window(con, sorted(known))
    assert window is not None
    now = datetime(2026, 11, 1, tzinfo=UTC)
    plan = json.loads(json.dumps(propose(con, snapshot, window, options, now=now).to_dict()))
    # every test is also a check that the SQL engine decides exactly as the Python reference
    reference = propose(con, snapshot, window, options, now=now, engine="python").to_dict()
    assert plan == json.loads(json.dumps(reference))
    assert_counts_are_integers(plan)
    assert_counts_are_integers(json.loads(json.dumps(reference)))
    return plan, con, snapshot, window


def assert_counts_are_integers(value: Any, path: str = "") -> None:
    """Counts are JSON integers (a float 3.0 would compare equal to 3 and slip through)."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert_counts_are_integers(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_counts_are_integers(v, f"{path}[{i}]")
    elif isinstance(value, float):
        allowed = (
            "window_days",
            "gap_share",
            "max_gap_share",
            "min_window_days",
            "reference_min_member_share",
        )
        assert path.rsplit(".", 1)[-1] in allowed, f"{path} is a float: {value}"


def run_propose(world: World, options: PlannerOptions | None = None) -> dict[str, Any]:
    plan: dict[str, Any] = propose_in(world, options)[0]
    return plan


def ingress(
    port: int | None,
    *cidrs: str,
    proto: str = "tcp",
    to_port: int | None = None,
    groups: tuple[str, ...] = (),
) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": proto}
    if proto != "-1":
        perm["FromPort"] = port
        perm["ToPort"] = to_port if to_port is not None else port
    perm["IpRanges"] = [{"CidrIp": c} for c in cidrs if ":" not in c]
    perm["Ipv6Ranges"] = [{"CidrIpv6": c} for c in cidrs if ":" in c]
    perm["UserIdGroupPairs"] = [{"GroupId": g} for g in groups]
    return perm


def group_of(plan: dict[str, Any], group_id: str) -> dict[str, Any]:
    return next(g for g in plan["groups"] if g["group_id"] == group_id)


def peers(rules: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    out = set()
    for r in rules:
        peer = (
            r.get("CidrIpv4")
            or r.get("CidrIpv6")
            or r.get("ReferencedGroupId")
            or r.get("PrefixListId")
        )
        out.add((r["IpProtocol"], r["FromPort"], r["ToPort"], peer))
    return out


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


# -- world-open rule, few real sources: narrow ---------------------------------------------------


def test_ssh_from_two_admins_is_narrowed_to_their_addresses_not_the_scanners(world: World) -> None:
    world.group("sg-00000cc1", "bastion", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-0000000b", "10.0.1.10", ["sg-00000cc1"])
    fid = world.sg_finding("EC2.13", "sg-00000cc1")
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, conns=3)
    # the admin comes back a week later: three short sessions in one hour that never return are
    # the shape of a credential brute force (sql/classify_sources.sql rule 4)
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, day=8)
    world.traffic("eni-0000000b", "10.0.1.10", "203.0.113.77", 22, day=5)
    world.probe("eni-0000000b", "10.0.1.10", "198.51.100.11", 22)  # next to an admin: must stay out
    world.probe("eni-0000000b", "10.0.1.10", "192.0.2.200", 22)
    g = group_of(run_propose(world), "sg-00000cc1")
    assert g["status"] == "ready"
    assert g["findings"] == [fid]
    assert peers(g["revoke"]) == {("tcp", 22, 22, "0.0.0.0/0")}
    assert peers(g["authorize"]) == {
        ("tcp", 22, 22, "198.51.100.10/32"),
        ("tcp", 22, 22, "203.0.113.77/32"),
    }
    revoked = g["revoke"][0]["evidence"]
    assert revoked["source_count"] == 2
    assert revoked["connections"] == 5
    assert revoked["probes"]["source_count"] == 2
    assert {s["address"] for s in revoked["probes"]["sources"]} == {"198.51.100.11", "192.0.2.200"}
    assert revoked["sample"], "raw records are attached as evidence"
    assert {d["day"] for d in revoked["daily"]} == {
        "2026-10-02",
        "2026-10-03",
        "2026-10-06",
        "2026-10-09",
    }


def test_many_sources_aggregate_within_the_widest_prefix_and_never_over_a_probe(
    world: World,
) -> None:
    world.group("sg-00000001", "x", [ingress(8443, "0.0.0.0/0")])
    world.eni("eni-00000001", "10.0.1.10", ["sg-00000001"])
    world.sg_finding("EC2.18", "sg-00000001")
    for i in range(1, 7):
        world.traffic("eni-00000001", "10.0.1.10", f"198.51.100.{i}", 8443)
    for i in range(1, 7):
        world.traffic("eni-00000001", "10.0.1.10", f"203.0.113.{100 + i}", 8443)
    world.probe("eni-00000001", "10.0.1.10", "203.0.113.50", 8443)  # inside 203.0.113.0/24
    g = group_of(run_propose(world, PlannerOptions(max_prefixes=3)), "sg-00000001")
    assert g["status"] == "ready"
    cidrs = [r["CidrIpv4"] for r in g["authorize"]]
    assert len(cidrs) <= 3
    import ipaddress

    nets = [ipaddress.ip_network(c) for c in cidrs]
    assert all(n.prefixlen >= 24 for n in nets)
    assert not any(ipaddress.ip_address("203.0.113.50") in n for n in nets)
    for i in range(1, 7):
        assert any(ipaddress.ip_address(f"198.51.100.{i}") in n for n in nets)
        assert any(ipaddress.ip_address(f"203.0.113.{100 + i}") in n for n in nets)


def test_sources_that_cannot_fit_keep_the_rule_with_a_warning(world: World) -> None:
    world.group("sg-00000001", "x", [ingress(8443, "0.0.0.0/0")])
    world.eni("eni-00000001", "10.0.1.10", ["sg-00000001"])
    world.sg_finding("EC2.18", "sg-00000001")
    for i in range(1, 5):
        world.traffic("eni-00000001", "10.0.1.10", f"{10 + i}.1.2.3", 8443)  # 4 different /8s
    g = group_of(run_propose(world, PlannerOptions(max_prefixes=2)), "sg-00000001")
    # never "kept to be safe": a person chooses among the alternatives the plan names
    assert g["status"] == "needs-decision"
    assert peers(g["keep"]) >= {("tcp", 8443, 8443, "0.0.0.0/0")}
    assert g["revoke"] == [] and g["authorize"] == []
    (why,) = [w for w in g["warnings"] if "cannot be narrowed" in w]
    assert "prefix list" in why and "--public-port" in why
    # declared public, the same rule is kept as a public service
    g = group_of(
        run_propose(world, PlannerOptions(max_prefixes=2, public_tcp_ports=(8443,))), "sg-00000001"
    )
    assert g["status"] == "no-change"
    assert any("declared public" in k["reason"] for k in g["keep"])


@pytest.mark.parametrize("scattered_port", [8001, 8050])
def test_a_range_rule_with_one_port_that_cannot_fit_is_kept_whichever_port_comes_first(
    world: World, scattered_port: int
) -> None:
    # the SQL engine skips reading a port's sources once they provably cannot fit
    # (sql/plan_cannot_narrow.sql) and every port after it; propose_in holds it to the Python
    # engine, which reads them all, whether the hopeless port is narrowed first or last
    world.group("sg-00000001", "x", [ingress(8000, "0.0.0.0/0", to_port=8100)])
    world.eni("eni-00000001", "10.0.1.10", ["sg-00000001"])
    world.sg_finding("EC2.18", "sg-00000001")
    fitting = 8050 if scattered_port == 8001 else 8001
    world.traffic("eni-00000001", "10.0.1.10", "198.51.100.7", fitting)
    for i in range(1, 5):
        world.traffic("eni-00000001", "10.0.1.10", f"{10 + i}.1.2.3", scattered_port)
    g = group_of(run_propose(world, PlannerOptions(max_prefixes=2)), "sg-00000001")
    assert g["status"] == "needs-decision"
    assert g["revoke"] == [] and g["authorize"] == []
    (why,) = [w for w in g["warnings"] if "cannot be narrowed" in w]
    assert f"tcp/{scattered_port}" in why


def test_an_earlier_port_that_fails_only_the_exact_check_still_names_the_decision(
    world: World,
) -> None:
    # tcp/8001's sources are three pairs of sibling /24s: no bound rules them out (each pair may
    # join into a /23), but three /23s do not fit in 2 prefixes. tcp/8050's scattered sources are
    # ruled out by the bound. The planner narrows 8001 first, so its sources must still be read
    # and its decision named, as the Python engine does.
    world.group("sg-00000001", "x", [ingress(8000, "0.0.0.0/0", to_port=8100)])
    world.eni("eni-00000001", "10.0.1.10", ["sg-00000001"])
    world.sg_finding("EC2.18", "sg-00000001")
    for first in (11, 12, 13):
        for third in (0, 1):
            world.traffic("eni-00000001", "10.0.1.10", f"{first}.1.{third}.5", 8001)
    for i in range(1, 5):
        world.traffic("eni-00000001", "10.0.1.10", f"{20 + i}.1.2.3", 8050)
    g = group_of(run_propose(world, PlannerOptions(max_prefixes=2)), "sg-00000001")
    assert g["status"] == "needs-decision"
    (why,) = [w for w in g["warnings"] if "cannot be narrowed" in w]
    assert "tcp/8001" in why


def test_same_vpc_sources_become_a_reference_to_their_group(world: World) -> None:
    world.group("sg-00000a99", "app", [ingress(8080, "0.0.0.0/0")])
    world.group("sg-000000eb", "web", [ingress(443, "0.0.0.0/0")])
    world.eni("eni-00000a99", "10.0.2.10", ["sg-00000a99"])
    world.eni("eni-00000eb1", "10.0.1.11", ["sg-000000eb"])
    world.eni("eni-00000eb2", "10.0.1.12", ["sg-000000eb"])
    world.sg_finding("EC2.19", "sg-00000a99")
    world.traffic("eni-00000a99", "10.0.2.10", "10.0.1.11", 8080, conns=5)
    world.traffic("eni-00000a99", "10.0.2.10", "10.0.1.12", 8080, conns=5)
    g = group_of(run_propose(world), "sg-00000a99")
    assert g["status"] == "ready"
    assert peers(g["revoke"]) == {("tcp", 8080, 8080, "0.0.0.0/0")}
    assert peers(g["authorize"]) == {("tcp", 8080, 8080, "sg-000000eb")}
    assert g["authorize"][0]["evidence"]["source_count"] == 2


# -- public service: keep ---------------------------------------------------------------------


def test_public_website_on_443_is_kept_with_its_reason(world: World) -> None:
    world.group("sg-000000eb", "web", [ingress(443, "0.0.0.0/0", "::/0"), ingress(80, "0.0.0.0/0")])
    world.eni("eni-00000000", "10.0.1.10", ["sg-000000eb"], ipv6=["2001:db8::10"])
    world.sg_finding("EC2.18", "sg-000000eb")
    world.traffic("eni-00000000", "10.0.1.10", "198.51.100.5", 443)
    world.traffic("eni-00000000", "10.0.1.10", "8.8.4.4", 80)
    world.traffic("eni-00000000", "2001:db8::10", "2a00:1450::1", 443)
    g = group_of(run_propose(world), "sg-000000eb")
    assert g["status"] == "no-change"
    kept = {p: r for r in g["keep"] for p in peers([r])}
    assert ("tcp", 443, 443, "0.0.0.0/0") in kept
    assert ("tcp", 443, 443, "::/0") in kept
    assert ("tcp", 80, 80, "0.0.0.0/0") in kept
    assert "public" in kept[("tcp", 443, 443, "::/0")]["reason"]


def test_many_distinct_sources_never_make_a_port_public_unless_declared(world: World) -> None:
    # scanners that pass as users are many: a count is no reason to keep a port world-open
    world.group("sg-00000000", "game", [ingress(7777, "0.0.0.0/0", proto="udp")])
    world.eni("eni-10000000", "10.0.1.10", ["sg-00000000"])
    world.sg_finding("EC2.18", "sg-00000000")
    for i in range(30):
        world.traffic("eni-10000000", "10.0.1.10", f"198.51.{i}.9", 7777, protocol=17)
    g = group_of(run_propose(world), "sg-00000000")
    assert g["status"] == "needs-decision"
    assert "30 real sources on udp/7777" in g["keep"][0]["reason"]
    g = group_of(run_propose(world, PlannerOptions(public_udp_ports=(7777,))), "sg-00000000")
    assert g["status"] == "no-change"
    assert "declared public: 30 real source(s)" in g["keep"][0]["reason"]


# -- no real use: revoke ----------------------------------------------------------------------


def test_world_open_port_with_only_probes_is_revoked_with_window_and_coverage(world: World) -> None:
    world.group("sg-00000006", "m", [ingress(9200, "0.0.0.0/0"), ingress(22, "10.0.0.0/8")])
    world.eni("eni-00000006", "10.0.1.10", ["sg-00000006"])
    world.sg_finding("EC2.19", "sg-00000006")
    world.probe("eni-00000006", "10.0.1.10", "192.0.2.1", 9200)
    world.probe("eni-00000006", "10.0.1.10", "192.0.2.2", 9200, day=7)
    world.traffic("eni-00000006", "10.0.1.10", "10.0.9.9", 22)
    g = group_of(run_propose(world), "sg-00000006")
    assert g["status"] == "ready"
    assert peers(g["revoke"]) == {("tcp", 9200, 9200, "0.0.0.0/0")}
    assert g["authorize"] == []
    reason = g["revoke"][0]["reason"]
    assert "no real use" in reason and "15.0 days" in reason and "1/1 ENIs" in reason
    assert g["revoke"][0]["evidence"]["probes"]["source_count"] == 2
    assert ("tcp", 22, 22, "10.0.0.0/8") in peers(g["keep"])


def test_rare_weekly_job_keeps_its_access(world: World) -> None:
    world.group("sg-0000000b", "r", [ingress(3389, "0.0.0.0/0")])
    world.eni("eni-1000000b", "10.0.1.10", ["sg-0000000b"])
    world.sg_finding("EC2.14", "sg-0000000b")
    world.traffic("eni-1000000b", "10.0.1.10", "198.51.100.99", 3389, day=3, hour=2)
    world.traffic("eni-1000000b", "10.0.1.10", "198.51.100.99", 3389, day=10, hour=2)
    g = group_of(run_propose(world), "sg-0000000b")
    assert peers(g["authorize"]) == {("tcp", 3389, 3389, "198.51.100.99/32")}
    daily = g["authorize"][0]["evidence"]["daily"]
    assert [d["day"] for d in daily] == ["2026-10-04", "2026-10-11"]


def test_return_traffic_never_justifies_a_rule_on_ephemeral_ports(world: World) -> None:
    world.group("sg-0000000e", "e", [ingress(1024, "0.0.0.0/0", to_port=65535)])
    world.eni("eni-0000000e", "10.0.1.10", ["sg-0000000e"])
    world.sg_finding("EC2.19", "sg-0000000e")
    for d in range(1, 10):  # the instance calls out to an API every day; answers come back high
        world.outbound("eni-0000000e", "10.0.1.10", "198.51.100.20", 443, day=d)
    g = group_of(run_propose(world), "sg-0000000e")
    assert peers(g["revoke"]) == {("tcp", 1024, 65535, "0.0.0.0/0")}
    assert g["authorize"] == []
    assert g["revoke"][0]["evidence"]["connections"] == 0


def test_rejected_attempts_are_not_use(world: World) -> None:
    world.group("sg-00000003", "j", [ingress(5432, "0.0.0.0/0")])
    world.eni("eni-00000003", "10.0.1.10", ["sg-00000003"])
    world.sg_finding("EC2.19", "sg-00000003")
    world.traffic("eni-00000003", "10.0.1.10", "198.51.100.1", 5432, action="REJECT", conns=4)
    g = group_of(run_propose(world), "sg-00000003")
    assert peers(g["revoke"]) == {("tcp", 5432, 5432, "0.0.0.0/0")}


def test_all_protocols_rule_is_replaced_by_the_ports_really_used(world: World) -> None:
    world.group("sg-0000000a", "a", [ingress(None, "0.0.0.0/0", proto="-1")])
    world.eni("eni-0000000a", "10.0.1.10", ["sg-0000000a"])
    world.sg_finding("EC2.19", "sg-0000000a")
    world.traffic("eni-0000000a", "10.0.1.10", "198.51.100.7", 22)
    world.traffic("eni-0000000a", "10.0.1.10", "198.51.100.8", 53, protocol=17)
    world.traffic("eni-0000000a", "10.0.1.10", "198.51.100.9", 0, protocol=1)  # answered pings
    g = group_of(run_propose(world), "sg-0000000a")
    assert peers(g["revoke"]) == {("-1", -1, -1, "0.0.0.0/0")}
    assert peers(g["authorize"]) == {
        ("tcp", 22, 22, "198.51.100.7/32"),
        ("udp", 53, 53, "198.51.100.8/32"),
        ("icmp", -1, -1, "198.51.100.9/32"),
    }


# -- default group (EC2.2) --------------------------------------------------------------------


def test_unused_default_group_loses_all_its_rules(world: World) -> None:
    world.group(
        "sg-00000def",
        "default",
        [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-00000def"}]}],
    )
    world.eni("eni-00000008", "10.0.1.10", ["sg-0008d1eb"])
    world.group("sg-0008d1eb", "other", [])
    world.sg_finding("EC2.2", "sg-00000def")
    g = group_of(run_propose(world), "sg-00000def")
    assert g["status"] == "ready"
    assert {r["IsEgress"] for r in g["revoke"]} == {True, False}
    assert len(g["revoke"]) == 2
    assert g["keep"] == [] and g["authorize"] == []


# -- coverage gate ----------------------------------------------------------------------------


def test_eni_without_flow_log_means_needs_more_data_and_nothing_revoked(world: World) -> None:
    world.group("sg-00000007", "n", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-10000001", "10.0.1.10", ["sg-00000007"])
    world.eni("eni-00000002", "10.0.1.11", ["sg-00000007"], logged=False)
    world.sg_finding("EC2.13", "sg-00000007")
    world.probe("eni-10000001", "10.0.1.10", "192.0.2.1", 22)
    g = group_of(run_propose(world), "sg-00000007")
    assert g["status"] == "needs-more-data"
    assert g["revoke"] == [] and g["authorize"] == []
    assert g["coverage"]["uncovered_enis"] == ["eni-00000002"]
    assert any("eni-00000002" in w and "no active flow log" in w for w in g["warnings"])
    assert ("tcp", 22, 22, "0.0.0.0/0") in peers(g["keep"])


def test_short_window_means_needs_more_data(world: World) -> None:
    world.days = 5
    world.group("sg-00000007", "n", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-10000001", "10.0.1.10", ["sg-00000007"])
    world.sg_finding("EC2.13", "sg-00000007")
    g = group_of(run_propose(world), "sg-00000007")
    assert g["status"] == "needs-more-data"
    assert any("shorter than the minimum 14" in w for w in g["warnings"])


def test_large_gaps_block_small_gaps_warn(world: World) -> None:
    # a subnet-0005efe5 log that delivered nothing for any interface it records: unseen hours
    world.subnet_log = True
    world.group("sg-00000007", "n", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-10000001", "10.0.1.10", ["sg-00000007"])
    world.sg_finding("EC2.13", "sg-00000007")
    world.missing_hours["eni-10000001"] = set(range(100, 110))  # 10 of 360 hours: 2.8%
    g = group_of(run_propose(world), "sg-00000007")
    assert g["status"] == "needs-more-data"
    assert g["coverage"]["gaps"] == [
        {
            "interface_id": "eni-10000001",
            "start": "2026-10-05T04:00:00Z",
            "end": "2026-10-05T14:00:00Z",
            "kind": "no-delivery",
        }
    ]
    world.missing_hours["eni-10000001"] = {100, 101}
    world.skipdata_hours["eni-10000001"] = {200}
    g = group_of(run_propose(world), "sg-00000007")
    assert g["status"] == "ready"
    assert {x["kind"] for x in g["coverage"]["gaps"]} == {"no-delivery", "skipdata"}
    assert g["coverage"]["gap_share"] == pytest.approx(3 / 360, abs=1e-6)
    assert any("gaps of 3 interface-hours" in w for w in g["warnings"])


def _busy_neighbour(world: World) -> None:
    """An ENI in another group whose log writes every hour: it makes the window 15 days."""
    world.group("sg-0008d1eb", "other", [])
    world.eni("eni-0000bec2", "10.0.1.99", ["sg-0008d1eb"])


def test_a_quiet_host_whose_log_writes_nothing_when_idle_is_ready(world: World) -> None:
    # AWS writes no record at all for an idle ENI in many hours (not a NODATA row each hour):
    # with the log ACTIVE and delivering, those hours are evidence of no use, not gaps
    _busy_neighbour(world)
    world.group("sg-1000000a", "q", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-1000000a", "10.0.1.20", ["sg-1000000a"])
    world.silent_when_idle.add("eni-1000000a")
    world.sg_finding("EC2.13", "sg-1000000a")
    world.probe("eni-1000000a", "10.0.1.20", "192.0.2.1", 22)
    g = group_of(run_propose(world), "sg-1000000a")
    assert g["status"] == "ready"
    assert peers(g["revoke"]) == {("tcp", 22, 22, "0.0.0.0/0")}
    assert g["coverage"]["gaps"] == [] and g["coverage"]["uncovered_enis"] == []
    assert g["coverage"]["quiet"] == [
        "eni-1000000a: no record in 359 of 360 hours; flow log fl-1000000a active and delivering "
        "throughout: quiet, not unseen"
    ]


def test_a_subnet_log_silent_for_one_eni_while_delivering_for_another_is_quiet(
    world: World,
) -> None:
    world.subnet_log = True
    _busy_neighbour(world)
    world.group("sg-1000000a", "q", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-1000000a", "10.0.1.20", ["sg-1000000a"])
    world.silent_when_idle.add("eni-1000000a")
    world.sg_finding("EC2.13", "sg-1000000a")
    world.probe("eni-1000000a", "10.0.1.20", "192.0.2.1", 22)
    world.missing_hours["eni-0000bec2"] = set(range(100, 110))  # the log wrote nothing at all here
    g = group_of(run_propose(world), "sg-1000000a")
    assert g["status"] == "needs-more-data"
    assert g["revoke"] == []
    assert g["coverage"]["gaps"] == [
        {
            "interface_id": "eni-1000000a",
            "start": "2026-10-05T04:00:00Z",
            "end": "2026-10-05T14:00:00Z",
            "kind": "no-delivery",
        }
    ]
    assert g["coverage"]["quiet"][0].startswith("eni-1000000a: no record in 349 of 360 hours")
    world.missing_hours.clear()
    g = group_of(run_propose(world), "sg-1000000a")
    assert g["status"] == "ready" and g["coverage"]["gaps"] == []


def test_a_log_whose_delivery_failed_means_needs_more_data(world: World) -> None:
    _busy_neighbour(world)
    world.group("sg-1000000a", "q", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-1000000a", "10.0.1.20", ["sg-1000000a"])
    world.silent_when_idle.add("eni-1000000a")
    world.flow_log_extra["eni-1000000a"] = {
        "DeliverLogsStatus": "FAILED",
        "DeliverLogsErrorMessage": "Access error",
    }
    world.sg_finding("EC2.13", "sg-1000000a")
    world.probe("eni-1000000a", "10.0.1.20", "192.0.2.1", 22)
    g = group_of(run_propose(world), "sg-1000000a")
    assert g["status"] == "needs-more-data"
    assert g["revoke"] == [] and g["authorize"] == []
    assert g["coverage"]["uncovered_enis"] == ["eni-1000000a"]
    assert any("failed to deliver (Access error)" in w for w in g["warnings"])


@pytest.mark.parametrize(
    ("log", "eni"),
    [
        ({"CreationTime": "2026-10-11T09:30:00Z"}, {}),  # the log is 4 days old at window end
        ({}, {"Attachment": {"AttachTime": "2026-10-11T09:30:00+00:00"}}),  # so is the ENI
    ],
)
def test_hours_before_the_log_or_the_attachment_are_gaps(
    world: World, log: dict[str, Any], eni: dict[str, Any]
) -> None:
    _busy_neighbour(world)
    world.group("sg-1000000a", "q", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-1000000a", "10.0.1.20", ["sg-1000000a"], **eni)
    world.silent_when_idle.add("eni-1000000a")
    world.flow_log_extra["eni-1000000a"] = log
    world.sg_finding("EC2.13", "sg-1000000a")
    world.probe("eni-1000000a", "10.0.1.20", "192.0.2.1", 22, day=12)
    g = group_of(run_propose(world), "sg-1000000a")
    assert g["status"] == "needs-more-data"
    assert g["revoke"] == [] and g["authorize"] == []
    assert g["coverage"]["gaps"] == [
        {
            "interface_id": "eni-1000000a",
            "start": "2026-10-01T00:00:00Z",
            "end": "2026-10-11T10:00:00Z",
            "kind": "not-recording",
        }
    ]
    assert g["coverage"]["gap_share"] == pytest.approx(250 / 360, abs=1e-6)


def test_an_eni_attached_after_the_windows_start_counts_its_days_from_the_attachment(
    world: World,
) -> None:
    # issue 11, defect 7: not "no real use in 15 days" for an ENI recorded for 4.6 of them
    _busy_neighbour(world)
    world.group("sg-1000000a", "q", [ingress(22, "0.0.0.0/0")])
    attached = {"Attachment": {"AttachTime": "2026-10-11T09:30:00+00:00"}}
    world.eni("eni-1000000a", "10.0.1.20", ["sg-1000000a"], **attached)
    world.silent_when_idle.add("eni-1000000a")
    world.sg_finding("EC2.13", "sg-1000000a")
    world.probe("eni-1000000a", "10.0.1.20", "192.0.2.1", 22, day=12)
    g = group_of(run_propose(world), "sg-1000000a")
    assert g["status"] == "needs-more-data"
    late = (
        "eni-1000000a was attached, or its flow log created, after the window's start: "
        "recorded only from 2026-10-11T10:00:00Z, 4.6 of the 14 days needed"
    )
    (ready,) = [w for w in g["warnings"] if w.startswith("not ready:")]
    assert late in ready
    assert "ready after 9.5 day(s)" in ready  # 14 days from the attachment, not 506 of gaps
    assert "misses" not in ready  # the hours before the attachment are not a delivery gap
    (held,) = [r for r in g["keep"] if not r["IsEgress"]]
    assert late in held["reason"]
    assert "eni-1000000a recorded only from 2026-10-11T10:00:00Z (4.6 days" in held["reason"]


# -- resources --------------------------------------------------------------------------------


def _instance(world: World, iid: str, eni: str) -> None:
    world.instances.append(
        {
            "InstanceId": iid,
            "VpcId": VPC,
            "PublicIpAddress": "54.1.2.3",
            "NetworkInterfaces": [{"NetworkInterfaceId": eni}],
            "SecurityGroups": [{"GroupId": "sg-00000002"}],
            "State": {"Name": "running"},
        }
    )
    world.finding("EC2.9", "AwsEc2Instance", iid, f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{iid}")


def test_instance_without_internet_clients_loses_its_public_ip_and_needs_nat(world: World) -> None:
    world.group("sg-00000002", "i", [])
    world.eni("eni-10000002", "10.0.1.10", ["sg-00000002"], Attachment={"InstanceId": "i-000badc1"})
    _instance(world, "i-000badc1", "eni-10000002")
    world.probe("eni-10000002", "10.0.1.10", "192.0.2.9", 22)
    world.traffic("eni-10000002", "10.0.1.10", "10.0.5.5", 22)  # from inside the VPC
    world.outbound("eni-10000002", "10.0.1.10", "198.51.100.80", 443)
    plan = run_propose(world)
    (r,) = plan["resources"]
    assert r["resource_id"] == "i-000badc1" and r["control"] == "EC2.9"
    assert r["action"] == "remove-public-ip"
    assert "NAT gateway" in r["reason"]
    assert r["evidence"]["outbound_internet"]["destination_count"] == 1


def test_instance_with_internet_clients_keeps_its_public_ip(world: World) -> None:
    world.group("sg-00000002", "i", [])
    world.eni("eni-10000002", "10.0.1.10", ["sg-00000002"], Attachment={"InstanceId": "i-000000eb"})
    _instance(world, "i-000000eb", "eni-10000002")
    world.traffic("eni-10000002", "10.0.1.10", "198.51.100.5", 443)
    (r,) = run_propose(world)["resources"]
    assert r["action"] == "keep-public-ip"
    assert r["evidence"]["sources"] == [{"address": "198.51.100.5", "connections": 1}]


def _db(world: World, public_client: bool) -> None:
    world.group("sg-000000db", "db", [ingress(5432, "0.0.0.0/0")])
    world.eni(
        "eni-00000bdc",
        "10.0.3.10",
        ["sg-000000db"],
        RequesterManaged=True,
        Description="RDSNetworkInterface",
    )
    world.dbs.append(
        {
            "DBInstanceIdentifier": "orders-db",
            "PubliclyAccessible": True,
            "DBSubnetGroup": {"VpcId": VPC},
            "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-000000db"}],
            "Engine": "postgres",
            "Endpoint": {"Address": "orders.example", "Port": 5432},
        }
    )
    world.finding(
        "RDS.2", "AwsRdsDbInstance", "orders-db", f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders-db"
    )
    world.traffic("eni-00000bdc", "10.0.3.10", "10.0.2.10", 5432, conns=20)
    if public_client:
        world.traffic("eni-00000bdc", "10.0.3.10", "198.51.100.42", 5432)


def test_db_without_outside_clients_gets_public_access_disabled(world: World) -> None:
    _db(world, public_client=False)
    (r,) = run_propose(world)["resources"]
    assert (r["resource_id"], r["action"]) == ("orders-db", "disable-public-access")
    assert r["evidence"]["private_clients"][0]["address"] == "10.0.2.10"


def test_db_with_an_outside_client_keeps_public_access(world: World) -> None:
    _db(world, public_client=True)
    (r,) = run_propose(world)["resources"]
    assert r["action"] == "keep-public-access"
    assert r["evidence"]["sources"] == [{"address": "198.51.100.42", "connections": 1}]


# -- findings, window, plan shape -------------------------------------------------------------


def test_duplicate_findings_collapse_and_controls_are_listed(world: World) -> None:
    world.group("sg-0000000d", "d", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-0000000d", "10.0.1.10", ["sg-0000000d"])
    a = world.sg_finding("EC2.13", "sg-0000000d")
    b = world.sg_finding("EC2.19", "sg-0000000d")
    c = world.sg_finding("EC2.13", "sg-0000000d")
    plan = run_propose(world)
    assert plan["schema"] == "sgharden.plan/v1"
    g = group_of(plan, "sg-0000000d")
    assert g["controls"] == ["EC2.19", "EC2.13"]
    assert g["findings"] == [a, c, b]
    assert plan["window"] == {"start": "2026-10-01T00:00:00Z", "end": "2026-10-16T00:00:00Z"}
    assert plan["settings"]["evidence_query"] == "evidence"
    assert plan["settings"]["min_window_days"] == 14.0


def test_probe_thresholds_are_configurable_and_tell_scans_from_use(world: World) -> None:
    world.group(
        "sg-00000009", "p", [ingress(22, "0.0.0.0/0"), ingress(53, "0.0.0.0/0", proto="udp")]
    )
    world.eni("eni-00000009", "10.0.1.10", ["sg-00000009"])
    world.traffic("eni-00000009", "10.0.1.10", "198.51.100.3", 22, bytes_in=100, packets_in=2)
    # a banner grab: 4 packets, 19 bytes beyond headers
    world.traffic("eni-00000009", "10.0.1.10", "198.51.100.4", 22, bytes_in=179, packets_in=4)
    # a real SSH session
    world.traffic("eni-00000009", "10.0.1.10", "198.51.100.5", 22, bytes_in=3000, packets_in=12)
    # DNS: a small query, answered, from a client that comes back: real use, however small
    world.traffic(
        "eni-00000009", "10.0.1.10", "198.51.100.6", 53, protocol=17, bytes_in=70, packets_in=1
    )
    world.traffic(
        "eni-00000009",
        "10.0.1.10",
        "198.51.100.6",
        53,
        protocol=17,
        bytes_in=70,
        packets_in=1,
        day=6,
    )
    # one answered query, never again: an open-resolver probe (classify_sources.sql rule 5)
    world.traffic(
        "eni-00000009", "10.0.1.10", "198.51.100.8", 53, protocol=17, bytes_in=70, packets_in=1
    )
    # the same query unanswered: a probe
    world.traffic(
        "eni-00000009",
        "10.0.1.10",
        "198.51.100.7",
        53,
        protocol=17,
        bytes_in=70,
        packets_in=1,
        respond=False,
    )
    snap_dir = world.write()
    snapshot = load_snapshot(snap_dir)
    con = open_workspace(None)
    ingest(
        con,
        [str(p) for p in snapshot.flow_log_dirs],
        IngestOptions(known_addresses={"eni-00000009": ("10.0.1.10",)}),
    )
    window = Window(T0.replace(tzinfo=None), (T0 + timedelta(days=15)).replace(tzinfo=None))

    def probes(thresholds: Thresholds | None = None) -> dict[str, bool]:
        conns = observed_connections(con, snapshot, window.start, window.end, thresholds)
        return {c.remote_addr: c.is_probe for c in conns}

    assert probes() == {
        "198.51.100.3": True,
        "198.51.100.4": True,
        "198.51.100.5": False,
        "198.51.100.6": False,
        "198.51.100.7": True,
        "198.51.100.8": True,
    }
    strict = probes(
        Thresholds(probe_max_bytes_in=50, probe_max_payload_in=10, probe_max_request_bytes=0)
    )
    assert strict["198.51.100.3"] is False and strict["198.51.100.4"] is False
    assert strict["198.51.100.8"] is False  # no opening message is that small: rule 5 is off


def test_aggregate_refuses_to_widen_past_the_limit() -> None:
    assert aggregate(["10.0.0.1", "10.0.1.1"], max_prefixes=1, widest_prefix=24) is None
    assert [
        str(n)
        for n in aggregate(["10.0.0.1", "10.0.0.200"], max_prefixes=1, widest_prefix=24) or []
    ] == ["10.0.0.0/24"]
    assert (
        aggregate(["10.0.0.1", "10.0.0.200"], max_prefixes=1, widest_prefix=24, avoid=["10.0.0.7"])
        is None
    )


def test_evidence_sql_reproduces_each_rules_evidence(world: World) -> None:
    world.group(
        "sg-00000a99", "app", [ingress(8080, "0.0.0.0/0"), ingress(None, "0.0.0.0/0", proto="-1")]
    )
    world.group("sg-000000eb", "web", [])
    world.eni("eni-00000a99", "10.0.2.10", ["sg-00000a99"])
    world.eni("eni-00000eb1", "10.0.1.11", ["sg-000000eb"])
    world.sg_finding("EC2.19", "sg-00000a99")
    world.traffic("eni-00000a99", "10.0.2.10", "10.0.1.11", 8080, conns=5)
    world.traffic("eni-00000a99", "10.0.2.10", "198.51.100.4", 22, conns=2, day=4)
    world.probe("eni-00000a99", "10.0.2.10", "192.0.2.9", 8080)
    plan, con, snapshot, window = propose_in(world)
    g = group_of(plan, "sg-00000a99")
    inv = snapshot.inventory(ACCOUNT, REGION)
    checked = 0
    for change in ("revoke", "authorize"):
        for raw in g[change]:
            rule = Rule.from_ec2(raw, "sg-00000a99")
            params = evidence_params(rule, g["coverage"]["enis"], window, Thresholds(), inv)
            rows = query_evidence(con, params)
            real = [r for r in rows if not r["is_probe"]]
            probes = [r for r in rows if r["is_probe"]]
            ev = raw["evidence"]
            assert sum(r["connections"] for r in real) == ev["connections"]
            assert sum(r["bytes"] for r in real) == ev["bytes"]
            assert [r["remote_addr"] for r in real] == [s["address"] for s in ev["sources"]]
            assert sorted(r["remote_addr"] for r in probes) == sorted(
                s["address"] for s in ev["probes"]["sources"]
            )
            assert sum(r["connections"] for r in probes) == ev["probes"]["connections"]
            sampled = {rec for r in rows for rec in (r["sample"] or [])}
            assert set(ev["sample"]) <= sampled
            checked += 1
    assert checked == 4  # two revoked world rules; a reference on 8080 and a /32 on 22


def test_cli_propose_writes_the_json_plan_and_reingest_is_incremental(
    world: World, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from sgharden.cli import main

    world.group("sg-00000cc1", "bastion", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-0000000b", "10.0.1.10", ["sg-00000cc1"])
    world.sg_finding("EC2.13", "sg-00000cc1")
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, conns=3)
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, day=8)  # an admin comes back
    snap = world.write()
    ws = str(tmp_path / "ws.duckdb")
    out = tmp_path / "plan.json"
    args = ["propose", "--snapshot", str(snap), "--workspace", ws, "--quiet"]
    result = CliRunner().invoke(main, [*args, "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, result.output
    first = json.loads(out.read_text())
    assert group_of(first, "sg-00000cc1")["revoke"][0]["evidence"]["connections"] == 4
    # a second run ingests nothing new: the counts do not double
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    again = json.loads(result.stdout)
    assert group_of(again, "sg-00000cc1")["revoke"][0]["evidence"]["connections"] == 4
    result = CliRunner().invoke(main, [*args, "--days", "3", "--since", "2026-10-01"])
    assert result.exit_code == 2
    result = CliRunner().invoke(main, [*args, "--no-ingest", "--days", "5", "--format", "table"])
    assert result.exit_code == 0, result.output
    assert "[needs-more-data]" in result.stdout  # 5 days < 14


def test_propose_reads_flow_logs_from_s3(aws: str, world: World, tmp_path: Path) -> None:
    import boto3
    from click.testing import CliRunner

    from sgharden.cli import main

    world.group("sg-00000cc1", "bastion", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-0000000b", "10.0.1.10", ["sg-00000cc1"])
    world.sg_finding("EC2.13", "sg-00000cc1")
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, conns=3)
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, day=8)  # an admin comes back
    snap = world.write()
    local = snap / "flow-logs" / "records.log"
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="flow-bucket")
    s3.put_object(Bucket="flow-bucket", Key="flows/records.log", Body=local.read_bytes())
    local.unlink()
    result = CliRunner().invoke(
        main,
        [
            "propose",
            "--snapshot",
            str(snap),
            "--workspace",
            str(tmp_path / "ws.duckdb"),
            "--flow-logs",
            "s3://flow-bucket/flows/",
            "--format",
            "json",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    g = group_of(json.loads(result.stdout), "sg-00000cc1")
    assert g["status"] == "ready", (g["warnings"], result.stderr)
    assert peers(g["authorize"]) == {("tcp", 22, 22, "198.51.100.10/32")}


def test_an_unreadable_creation_time_is_one_clear_line_naming_file_and_log(world: World) -> None:
    from sgharden.errors import SnapshotError

    world.group("sg-1000000a", "q", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-1000000a", "10.0.1.20", ["sg-1000000a"])
    world.flow_log_extra["eni-1000000a"] = {"CreationTime": "last tuesday"}
    with pytest.raises(
        SnapshotError,
        match=r"flow-logs\.json: FlowLogs\[0\]\.CreationTime: not an ISO 8601 time, found 'last tuesday'",
    ):
        load_snapshot(world.write())


def test_records_before_the_logs_creation_time_prove_it_was_recording(world: World) -> None:
    # A flow log re-created since (a new format, so a new CreationTime) delivered to the same
    # bucket before: the records themselves show the interface was recorded from then on.
    _busy_neighbour(world)
    world.group("sg-1000000a", "q", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-1000000a", "10.0.1.20", ["sg-1000000a"])
    world.silent_when_idle.add("eni-1000000a")
    world.flow_log_extra["eni-1000000a"] = {"CreationTime": "2026-10-11T09:30:00Z"}
    world.sg_finding("EC2.13", "sg-1000000a")
    world.probe("eni-1000000a", "10.0.1.20", "192.0.2.1", 22, day=0)
    g = group_of(run_propose(world), "sg-1000000a")
    gaps = g["coverage"]["gaps"]
    assert [gap["kind"] for gap in gaps] == ["not-recording"]
    assert gaps[0]["start"] == "2026-10-01T00:00:00Z" and gaps[0]["end"] <= "2026-10-01T05:00:00Z"
    assert g["status"] == "ready"
