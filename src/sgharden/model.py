"""The domain, as frozen dataclasses built once at the edge from AWS CLI JSON.

Everything after the edge (analysis, rendering, acting) passes these around; nothing downstream
reads raw AWS JSON again.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

# IANA protocol numbers and the names EC2 uses for them in security group rules.
PROTOCOL_NAMES = {"-1": -1, "all": -1, "tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "58": 58}
PROTOCOL_BY_NUMBER = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}


def protocol_number(ip_protocol: str | int) -> int:
    """EC2's IpProtocol ('tcp', '6', '-1', ...) as an IANA number, -1 for all protocols."""
    text = str(ip_protocol).lower()
    if text in PROTOCOL_NAMES:
        return PROTOCOL_NAMES[text]
    return int(text)


def protocol_name(number: int) -> str:
    """The IpProtocol value EC2 expects for a protocol number ('-1' for all)."""
    if number == -1:
        return "-1"
    return PROTOCOL_BY_NUMBER.get(number, str(number))


def port_allowed(
    rule_protocol: int, any_port: bool, lo: int, hi: int, protocol: int, port: int | None
) -> bool:
    """The port check of a rule (sql/plan_matches.sql writes the same in SQL): the protocol
    matches, and the service port is unknown, irrelevant to the rule, or in its range."""
    if rule_protocol != -1 and rule_protocol != protocol:
        return False
    return port is None or any_port or lo <= port <= hi


@dataclass(frozen=True)
class Rule:
    """One security group rule (one peer), in the field names of EC2's SecurityGroupRule."""

    group_id: str
    is_egress: bool
    ip_protocol: str  # '-1', 'tcp', 'udp', 'icmp', 'icmpv6' or a number as text
    from_port: int | None  # None when the protocol has no ports (-1); ICMP: type
    to_port: int | None  # ICMP: code
    cidr_ipv4: str | None = None
    cidr_ipv6: str | None = None
    referenced_group_id: str | None = None
    prefix_list_id: str | None = None
    description: str | None = None
    rule_id: str | None = None

    def __post_init__(self) -> None:
        peers = [self.cidr_ipv4, self.cidr_ipv6, self.referenced_group_id, self.prefix_list_id]
        if sum(p is not None for p in peers) != 1:
            raise ValueError(f"a rule needs exactly one peer, got {peers} on {self.group_id}")

    @property
    def protocol(self) -> int:
        return protocol_number(self.ip_protocol)

    @property
    def peer(self) -> str:
        for p in (self.cidr_ipv4, self.cidr_ipv6, self.referenced_group_id, self.prefix_list_id):
            if p is not None:
                return p
        raise AssertionError("unreachable: checked in __post_init__")

    @property
    def peer_kind(self) -> str:
        if self.cidr_ipv4 is not None:
            return "CidrIpv4"
        if self.cidr_ipv6 is not None:
            return "CidrIpv6"
        if self.referenced_group_id is not None:
            return "ReferencedGroupId"
        return "PrefixListId"

    @property
    def is_world_open(self) -> bool:
        return self.cidr_ipv4 == "0.0.0.0/0" or self.cidr_ipv6 == "::/0"

    def port_range(self) -> tuple[int, int]:
        """Inclusive port range the rule allows (0-65535 for all-protocol or unset)."""
        if self.protocol in (-1,) or self.from_port is None or self.from_port == -1:
            return (0, 65535)
        if self.protocol in (1, 58):
            return (0, 65535)  # ICMP type/code, not ports: the rule allows the protocol
        return (self.from_port, self.to_port if self.to_port is not None else self.from_port)

    @property
    def any_port(self) -> bool:
        """All-protocol and ICMP rules: ports do not apply (ICMP's numbers are type and code)."""
        return self.protocol in (-1, 1, 58)

    @property
    def is_single_port(self) -> bool:
        return self.protocol in (6, 17) and self.from_port == self.to_port

    def allows_port(self, protocol: int, port: int | None) -> bool:
        return port_allowed(self.protocol, self.any_port, *self.port_range(), protocol, port)

    def key(self) -> tuple[Any, ...]:
        """Identity of the permission, ignoring description and rule id."""
        return (
            self.group_id,
            self.is_egress,
            str(self.protocol),
            self.from_port if self.protocol not in (-1,) else None,
            self.to_port if self.protocol not in (-1,) else None,
            self.peer_kind,
            self.peer,
        )

    def to_ec2(self) -> dict[str, Any]:
        """The SecurityGroupRule field names used by the plan JSON."""
        out: dict[str, Any] = {
            "IsEgress": self.is_egress,
            "IpProtocol": self.ip_protocol,
            "FromPort": self.from_port if self.from_port is not None else -1,
            "ToPort": self.to_port if self.to_port is not None else -1,
            self.peer_kind: self.peer,
        }
        if self.rule_id:
            out["SecurityGroupRuleId"] = self.rule_id
        if self.description:
            out["Description"] = self.description
        return out

    def to_ip_permission(self) -> dict[str, Any]:
        """The IpPermissions shape that Authorize/RevokeSecurityGroup* take."""
        perm: dict[str, Any] = {"IpProtocol": self.ip_protocol}
        if self.protocol != -1:
            perm["FromPort"] = self.from_port if self.from_port is not None else -1
            perm["ToPort"] = self.to_port if self.to_port is not None else -1
        desc = {"Description": self.description} if self.description else {}
        if self.cidr_ipv4 is not None:
            perm["IpRanges"] = [{"CidrIp": self.cidr_ipv4, **desc}]
        elif self.cidr_ipv6 is not None:
            perm["Ipv6Ranges"] = [{"CidrIpv6": self.cidr_ipv6, **desc}]
        elif self.referenced_group_id is not None:
            perm["UserIdGroupPairs"] = [{"GroupId": self.referenced_group_id, **desc}]
        else:
            perm["PrefixListIds"] = [{"PrefixListId": self.prefix_list_id, **desc}]
        return perm

    @classmethod
    def from_ec2(cls, data: dict[str, Any], group_id: str | None = None) -> Rule:
        """From a SecurityGroupRule (describe-security-group-rules) or a plan RULE dict."""
        ref = data.get("ReferencedGroupInfo") or {}
        proto = str(data["IpProtocol"])
        from_port = data.get("FromPort")
        to_port = data.get("ToPort")
        return cls(
            group_id=group_id or data.get("GroupId", ""),
            is_egress=bool(data.get("IsEgress", False)),
            ip_protocol=proto,
            from_port=None if proto == "-1" else from_port,
            to_port=None if proto == "-1" else to_port,
            cidr_ipv4=data.get("CidrIpv4"),
            cidr_ipv6=data.get("CidrIpv6"),
            referenced_group_id=data.get("ReferencedGroupId") or ref.get("GroupId"),
            prefix_list_id=data.get("PrefixListId"),
            description=data.get("Description"),
            rule_id=data.get("SecurityGroupRuleId"),
        )


def rules_from_ip_permissions(
    group_id: str, permissions: list[dict[str, Any]], is_egress: bool
) -> list[Rule]:
    """Expand describe-security-groups IpPermissions (one entry, many peers) into one Rule a peer."""
    rules: list[Rule] = []
    for perm in permissions:
        proto = str(perm.get("IpProtocol", "-1"))
        from_port = None if proto == "-1" else perm.get("FromPort")
        to_port = None if proto == "-1" else perm.get("ToPort")
        base: dict[str, Any] = {
            "group_id": group_id,
            "is_egress": is_egress,
            "ip_protocol": proto,
            "from_port": from_port,
            "to_port": to_port,
        }
        for r in perm.get("IpRanges", []):
            rules.append(Rule(**base, cidr_ipv4=r["CidrIp"], description=r.get("Description")))
        for r in perm.get("Ipv6Ranges", []):
            rules.append(Rule(**base, cidr_ipv6=r["CidrIpv6"], description=r.get("Description")))
        for r in perm.get("UserIdGroupPairs", []):
            rules.append(
                Rule(**base, referenced_group_id=r["GroupId"], description=r.get("Description"))
            )
        for r in perm.get("PrefixListIds", []):
            rules.append(
                Rule(**base, prefix_list_id=r["PrefixListId"], description=r.get("Description"))
            )
    return rules


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    group_name: str
    vpc_id: str | None
    owner_id: str
    account_id: str
    region: str
    description: str = ""
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def is_default(self) -> bool:
        return self.group_name == "default"

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.ingress + self.egress


@dataclass(frozen=True)
class Interface:
    """An elastic network interface (ENI), the unit flow logs record."""

    interface_id: str
    account_id: str
    region: str
    vpc_id: str | None
    subnet_id: str | None
    group_ids: tuple[str, ...]
    private_ips: tuple[str, ...]  # primary first
    ipv6_addresses: tuple[str, ...] = ()
    public_ip: str | None = None
    instance_id: str | None = None
    interface_type: str = "interface"
    requester_managed: bool = False
    description: str = ""
    status: str = ""
    attach_time: str | None = None  # Attachment.AttachTime: before it, nothing could be recorded

    @property
    def addresses(self) -> tuple[str, ...]:
        return self.private_ips + self.ipv6_addresses

    @property
    def primary_ip(self) -> str | None:
        return self.private_ips[0] if self.private_ips else None


@dataclass(frozen=True)
class Finding:
    """A Security Hub finding, reduced to what sgharden acts on; `control` is normalised (EC2.13)."""

    finding_id: str
    control: str
    account_id: str
    region: str
    resource_type: str
    resource_id: str  # sg-..., i-..., or the DB instance identifier
    resource_arn: str
    severity: str
    title: str
    record_state: str
    compliance_status: str
    generator_id: str
    workflow_status: str = ""
    product_arn: str = ""
    duplicate_ids: tuple[str, ...] = ()

    @property
    def all_ids(self) -> tuple[str, ...]:
        return (self.finding_id, *self.duplicate_ids)


@dataclass(frozen=True)
class FlowLog:
    flow_log_id: str
    resource_id: str
    account_id: str
    region: str
    log_format: str
    destination_type: str  # s3 | cloud-watch-logs | kinesis-data-firehose
    destination: str
    traffic_type: str = "ALL"
    max_aggregation_interval: int = 600
    file_format: str = "plain-text"
    hive_compatible: bool = False
    per_hour_partition: bool = False
    creation_time: str | None = None
    status: str = "ACTIVE"
    deliver_logs_status: str = "SUCCESS"  # FAILED: records were not delivered
    deliver_logs_error: str = ""
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Instance:
    instance_id: str
    account_id: str
    region: str
    vpc_id: str | None
    public_ip: str | None
    interface_ids: tuple[str, ...]
    group_ids: tuple[str, ...]
    state: str = ""
    name: str = ""


@dataclass(frozen=True)
class DbInstance:
    identifier: str
    account_id: str
    region: str
    vpc_id: str | None
    publicly_accessible: bool
    group_ids: tuple[str, ...]
    engine: str = ""
    port: int | None = None
    endpoint: str | None = None
    arn: str = ""


@dataclass(frozen=True)
class PrefixList:
    prefix_list_id: str
    name: str
    cidrs: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    """One account/region of a snapshot."""

    account_id: str
    region: str
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    interfaces: dict[str, Interface] = field(default_factory=dict)
    flow_logs: tuple[FlowLog, ...] = ()
    instances: dict[str, Instance] = field(default_factory=dict)
    db_instances: dict[str, DbInstance] = field(default_factory=dict)
    prefix_lists: dict[str, PrefixList] = field(default_factory=dict)
    # facts computed from the fields above once, on first use (targets.recorded_interfaces):
    # planning 35,000 findings asked "which ENIs does this VPC's log record" per group
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


def address_family(addr: str) -> int:
    return ipaddress.ip_address(addr).version
