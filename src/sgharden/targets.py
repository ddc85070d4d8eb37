"""Finding -> security group / instance / DB instance -> its ENIs: the one definition of targets.

`flow-logs enable|status|disable`, `propose`, the collect summary and the tickets all ask "which
interfaces does this finding mean" and "does a flow log record this interface"; they ask here, so
that sgharden never pays for a flow log on an ENI the analysis does not read (or reads an ENI no
flow log was made for). Pure: a Snapshot in, frozen targets out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sgharden.findings import SECURITY_GROUP_CONTROLS, in_scope
from sgharden.model import DbInstance, Finding, FlowLog, Instance, Interface, Inventory
from sgharden.snapshot import Snapshot

# RDS names its ENIs by this description (AWS also marks them requester-managed, which moto and
# hand-made dumps cannot; the description is the fact both carry).
RDS_ENI_DESCRIPTION = "RDSNetworkInterface"

TargetKind = Literal["group", "instance", "db"]


# --- which ENIs ----------------------------------------------------------------------------------


def group_interfaces(inventory: Inventory, group_id: str) -> list[Interface]:
    """The ENIs that carry the group (in the inventory's order)."""
    return [eni for eni in inventory.interfaces.values() if group_id in eni.group_ids]


def instance_interfaces(inventory: Inventory, instance: Instance) -> list[Interface]:
    """The instance's ENIs: listed on the instance or attached to it, sorted by id."""
    listed = set(instance.interface_ids)
    return sorted(
        (
            eni
            for eni in inventory.interfaces.values()
            if eni.interface_id in listed or eni.instance_id == instance.instance_id
        ),
        key=lambda e: e.interface_id,
    )


def db_interfaces(inventory: Inventory, db: DbInstance) -> list[Interface]:
    """The DB instance's ENIs: RDS interfaces in its VPC carrying exactly its groups, sorted by id.

    RDS gives each ENI of a DB the DB's whole set of VPC security groups; an RDS ENI that shares
    only some of them belongs to another DB and its traffic is not this DB's evidence.
    """
    wanted = set(db.group_ids)
    if not wanted:
        return []
    return sorted(
        (
            eni
            for eni in inventory.interfaces.values()
            if eni.description.lower() == RDS_ENI_DESCRIPTION.lower()
            and (not db.vpc_id or eni.vpc_id == db.vpc_id)
            and set(eni.group_ids) == wanted
        ),
        key=lambda e: e.interface_id,
    )


# --- which flow logs record an ENI ---------------------------------------------------------------


def records(flow_log: FlowLog, eni: Interface) -> bool:
    """Whether an active flow log records the ENI: it is on the ENI itself, its subnet or its VPC."""
    scopes = {eni.interface_id, eni.subnet_id, eni.vpc_id} - {None}
    return flow_log.status.upper() == "ACTIVE" and flow_log.resource_id in scopes


def recorded_interfaces(flow_log: FlowLog, inventory: Inventory) -> tuple[Interface, ...]:
    """Every interface of the inventory the flow log records (computed once per log)."""
    key = ("recorded_interfaces", flow_log.flow_log_id, flow_log.resource_id)
    if key not in inventory.derived:
        inventory.derived[key] = tuple(
            e for e in inventory.interfaces.values() if records(flow_log, e)
        )
    found: tuple[Interface, ...] = inventory.derived[key]
    return found


def covering(flow_logs: Iterable[FlowLog], eni: Interface) -> list[FlowLog]:
    """The active flow logs that record the ENI, in the order given."""
    return [fl for fl in flow_logs if records(fl, eni)]


def recording_log(eni: Interface, flow_logs: Iterable[FlowLog]) -> FlowLog | None:
    """The most specific active flow log that records the ENI's accepted traffic (ENI, then subnet,
    then VPC level): an ENI-level log says more about the ENI than its VPC's does."""
    found = [fl for fl in covering(flow_logs, eni) if fl.traffic_type.upper() != "REJECT"]
    for scope in (eni.interface_id, eni.subnet_id, eni.vpc_id):
        for fl in found:
            if scope is not None and fl.resource_id == scope:
                return fl
    return None


# --- findings -> targets -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceTarget:
    """A flagged group, instance or DB instance, with the ENIs whose traffic is its evidence."""

    kind: TargetKind
    resource_id: str
    account_id: str
    region: str
    interfaces: tuple[Interface, ...]
    controls: tuple[str, ...]
    finding_ids: tuple[str, ...]
    inventory: Inventory = field(compare=False, repr=False)
    finding: Finding | None = field(default=None, compare=False, repr=False)  # instance / DB


@dataclass(frozen=True)
class Targets:
    """Every in-scope finding of a snapshot, resolved. `missing` names the findings whose resource
    is in no inventory (one line each, for the plan's `unresolved_findings`)."""

    groups: tuple[ResourceTarget, ...]
    instances: tuple[ResourceTarget, ...]
    dbs: tuple[ResourceTarget, ...]
    missing: tuple[str, ...]

    @property
    def all(self) -> tuple[ResourceTarget, ...]:
        return (*self.groups, *self.instances, *self.dbs)


def _inventory_for(
    snapshot: Snapshot, finding: Finding, table: Callable[[Inventory], Mapping[str, object]]
) -> Inventory | None:
    # a finding's own account/region first; else the inventory that holds the resource (a finding
    # exported from an aggregation region names the home region in its ARN only)
    inv = snapshot.inventory(finding.account_id, finding.region)
    if inv is not None:
        return inv
    rid = finding.resource_id
    return next((c for c in snapshot.inventories.values() if rid in table(c)), None)


def _groups(inv: Inventory) -> Mapping[str, object]:
    return inv.security_groups


def _instances(inv: Inventory) -> Mapping[str, object]:
    return inv.instances


def _dbs(inv: Inventory) -> Mapping[str, object]:
    return inv.db_instances


def resolve(snapshot: Snapshot) -> Targets:
    """The targets of the snapshot's in-scope findings: groups merged per (account, region, group)
    and sorted; instances and DBs one per finding, in finding order."""
    groups: dict[tuple[str, str, str], tuple[Inventory, list[str], list[str]]] = {}
    instances: list[ResourceTarget] = []
    dbs: list[ResourceTarget] = []
    missing: list[str] = []
    for f in in_scope(snapshot.findings):
        rid = f.resource_id
        if f.control in SECURITY_GROUP_CONTROLS:
            inv = _inventory_for(snapshot, f, _groups)
            if inv is None:
                missing.append(f"{f.control} {rid}: not in any security-groups.json")
                continue
            _, controls, ids = groups.setdefault((inv.account_id, inv.region, rid), (inv, [], []))
            if f.control not in controls:
                controls.append(f.control)
            ids.extend(i for i in f.all_ids if i not in ids)
        elif f.control == "EC2.9":
            inv = _inventory_for(snapshot, f, _instances)
            if inv is None or rid not in inv.instances:
                missing.append(f"EC2.9 {rid}: not in instances.json")
                continue
            enis = instance_interfaces(inv, inv.instances[rid])
            instances.append(_resource("instance", f, inv, enis))
        elif f.control == "RDS.2":
            inv = _inventory_for(snapshot, f, _dbs)
            if inv is None or rid not in inv.db_instances:
                missing.append(f"RDS.2 {rid}: not in db-instances.json")
                continue
            dbs.append(_resource("db", f, inv, db_interfaces(inv, inv.db_instances[rid])))
    group_targets = tuple(
        ResourceTarget(
            "group",
            group_id,
            account,
            region,
            tuple(group_interfaces(inv, group_id)),
            tuple(sorted(controls, key=SECURITY_GROUP_CONTROLS.index)),
            tuple(ids),
            inv,
        )
        for (account, region, group_id), (inv, controls, ids) in sorted(groups.items())
    )
    return Targets(group_targets, tuple(instances), tuple(dbs), tuple(missing))


def _resource(
    kind: TargetKind, finding: Finding, inv: Inventory, enis: list[Interface]
) -> ResourceTarget:
    return ResourceTarget(
        kind,
        finding.resource_id,
        inv.account_id,
        inv.region,
        tuple(enis),
        (finding.control,),
        tuple(finding.all_ids),
        inv,
        finding,
    )


# --- per ENI (what flow-logs enable/status/disable act on) ---------------------------------------


@dataclass(frozen=True)
class InterfaceTarget:
    """An ENI whose traffic is evidence for one or more findings."""

    account_id: str
    region: str
    interface: Interface
    serves: tuple[str, ...]  # the flagged resources: sg-..., i-..., DB identifiers
    controls: tuple[str, ...]
    finding_ids: tuple[str, ...]

    @property
    def interface_id(self) -> str:
        return self.interface.interface_id


def interface_targets(snapshot: Snapshot) -> list[InterfaceTarget]:
    """The ENIs behind the snapshot's in-scope findings, one per ENI, sorted."""
    acc: dict[tuple[str, str, str], tuple[Interface, set[str], set[str], set[str]]] = {}
    for target in resolve(snapshot).all:
        for eni in target.interfaces:
            key = (target.account_id, target.region, eni.interface_id)
            _, serves, controls, ids = acc.setdefault(key, (eni, set(), set(), set()))
            serves.add(target.resource_id)
            controls.update(target.controls)
            ids.update(target.finding_ids)
    return [
        InterfaceTarget(
            account, region, eni, tuple(sorted(serves)), tuple(sorted(controls)), tuple(sorted(ids))
        )
        for (account, region, _), (eni, serves, controls, ids) in sorted(acc.items())
    ]


def flagged_without_interfaces(snapshot: Snapshot) -> list[str]:
    """Flagged resources with no ENI in the inventory (e.g. an unused group: nothing to log)."""
    served = {t.resource_id for t in resolve(snapshot).all if t.interfaces}
    return sorted({f.resource_id for f in in_scope(snapshot.findings)} - served)
