"""The plan JSON (`sgharden.plan/v1`, docs/plan-schema.md) as `ticket`, `dry-run` and `apply` read
it back: a hand-edited or foreign plan is refused here, before anything is rendered or changed."""

# No `from __future__ import annotations`; types come as `f.X`: see snapshot_files.py.
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, model_validator

from sgharden.plan.schema import GROUP_STATUSES, RESOURCE_ACTIONS
from sgharden.schema import fields as f


def _plan_count(value: Any) -> Any:
    # JSON has one number type; a plan rewritten by another tool may say 37.0 connections
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is not int or value < 0:
        raise ValueError("expected a whole number >= 0")
    return value


def _plan_float(value: Any) -> Any:
    if type(value) not in (int, float):
        raise ValueError("expected a number")
    return float(value)


def _plan_protocol(value: Any) -> Any:
    return str(value) if type(value) is int else value


PlanCount = Annotated[int, BeforeValidator(_plan_count)]
PlanNumber = Annotated[float, BeforeValidator(_plan_float)]
PlanProtocol = Annotated[f.Protocol, BeforeValidator(_plan_protocol)]


def one_of(values: tuple[str, ...]) -> Any:
    """A check for a string among `values` (declared once, in plan/schema.py)."""

    def check(value: Any) -> Any:
        if value not in values:
            listed = ", ".join(f"'{v}'" for v in values[:-1]) + f" or '{values[-1]}'"
            raise ValueError(f"expected {listed}")
        return value

    return check


GroupStatus = Annotated[str, BeforeValidator(one_of(tuple(str(v) for v in GROUP_STATUSES)))]
ResourceAction = Annotated[str, BeforeValidator(one_of(tuple(str(v) for v in RESOURCE_ACTIONS)))]
PEERS = ("CidrIpv4", "CidrIpv6", "ReferencedGroupId", "PrefixListId")


class _Plan(BaseModel):
    model_config = f.AWS_CONFIG


class Source(_Plan):
    address: str
    connections: PlanCount | None = None
    bytes: PlanCount | None = None
    first_seen: f.IsoTime | None = None
    last_seen: f.IsoTime | None = None


class Family(_Plan):
    family: str
    sources: PlanCount | None = None
    connections: PlanCount | None = None


class Probes(_Plan):
    source_count: PlanCount | None = None
    connections: PlanCount | None = None
    sources: list[Source] | None = None
    families: list[Family] | None = None


class Day(_Plan):
    day: f.IsoDate
    connections: PlanCount | None = None
    probe_connections: PlanCount | None = None


class Evidence(_Plan):
    connections: PlanCount | None = None
    packets: PlanCount | None = None
    bytes: PlanCount | None = None
    source_count: PlanCount | None = None
    sources: list[Source] | None = None
    first_seen: f.IsoTime | None = None
    last_seen: f.IsoTime | None = None
    probes: Probes | None = None
    daily: list[Day] | None = None
    sample: list[str] | None = None
    counted_by: str | None = None


class Rule(_Plan):
    IsEgress: bool
    IpProtocol: PlanProtocol
    FromPort: f.Port | None = None
    ToPort: f.Port | None = None
    CidrIpv4: f.Cidr | None = None
    CidrIpv6: f.Cidr | None = None
    ReferencedGroupId: f.GroupId | None = None
    PrefixListId: f.PrefixListId | None = None
    Description: str | None = None
    SecurityGroupRuleId: f.RuleId | None = None
    reason: str | None = None
    evidence: Evidence | None = None

    @model_validator(mode="after")
    def _one_peer_and_ports(self) -> Self:
        peers = [p for p in PEERS if getattr(self, p) is not None]
        if len(peers) != 1:
            raise ValueError(f"needs exactly one of {', '.join(PEERS)}, found {peers or 'none'}")
        for port in ("FromPort", "ToPort"):
            if self.IpProtocol != "-1" and getattr(self, port) is None:
                raise ValueError(f"{port}: missing (IpProtocol {self.IpProtocol} has ports)")
        return self


class Gap(_Plan):
    interface_id: f.InterfaceId
    start: f.IsoTime
    end: f.IsoTime
    kind: str | None = None


class Coverage(_Plan):
    enis: list[f.InterfaceId] | None = None
    uncovered_enis: list[f.InterfaceId] | None = None
    gaps: list[Gap] | None = None
    window_days: PlanNumber | None = None
    gap_share: PlanNumber | None = None


class Group(_Plan):
    group_id: f.GroupId
    group_name: str | None = None
    vpc_id: f.VpcId | None = None
    account_id: f.Account
    region: f.Region
    controls: list[str] | None = None
    findings: list[str] | None = None
    status: GroupStatus
    coverage: Coverage | None = None
    revoke: list[Rule] | None = None
    authorize: list[Rule] | None = None
    keep: list[Rule] | None = None
    warnings: list[str] | None = None


class Resource(_Plan):
    resource_id: str
    resource_type: str | None = None
    control: str
    action: ResourceAction
    reason: str | None = None
    evidence: dict[str, Any] | None = None
    account_id: f.Account | None = None
    region: f.Region | None = None
    findings: list[str] | None = None


class Window(_Plan):
    start: f.IsoTime
    end: f.IsoTime


class PlanFile(_Plan):
    generated_at: f.IsoTime
    window: Window
    settings: dict[str, Any] | None = None
    groups: list[Group]
    resources: list[Resource] | None = None
    inputs: dict[str, Any] | None = None  # the fingerprint of what the plan was made from
