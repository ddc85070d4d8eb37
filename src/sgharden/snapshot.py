# Over ~400 lines: the whole input contract, validated in one place by design.
"""The snapshot: plain AWS CLI JSON (plus flow-log objects), the contract between collect and analyse.

```
DIR/findings.json             aws securityhub get-findings           {"Findings": [...]}
DIR/security-groups.json      aws ec2 describe-security-groups       {"SecurityGroups": [...]}
DIR/network-interfaces.json   aws ec2 describe-network-interfaces    {"NetworkInterfaces": [...]}
DIR/flow-logs.json            aws ec2 describe-flow-logs             {"FlowLogs": [...]}
DIR/instances.json            aws ec2 describe-instances             (optional)
DIR/db-instances.json         aws rds describe-db-instances          (optional)
DIR/security-group-rules.json aws ec2 describe-security-group-rules  (optional; rule ids)
DIR/managed-prefix-lists.json + prefix-list-entries/<pl-id>.json      (optional)
DIR/flow-logs/                flow-log objects as delivered
```
A multi-account snapshot holds one such set per `DIR/<account-id>/<region>/` (findings may also sit
once at the top). This module reads it into `model` objects; it never calls AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sgharden.awsids import is_id, path_under
from sgharden.errors import SnapshotError
from sgharden.findings import finding_records, in_scope, parse_finding
from sgharden.model import (
    DbInstance,
    Finding,
    FlowLog,
    Instance,
    Interface,
    Inventory,
    PrefixList,
    Rule,
    SecurityGroup,
    rules_from_ip_permissions,
)
from sgharden.moments import parse
from sgharden.schema import check_findings_document, check_snapshot_document, load_json_strict

# file name -> (top-level key, the command that writes it, required)
SNAPSHOT_FILES: dict[str, tuple[str, str, bool]] = {
    "findings.json": ("Findings", "aws securityhub get-findings", True),
    "security-groups.json": ("SecurityGroups", "aws ec2 describe-security-groups", True),
    "network-interfaces.json": (
        "NetworkInterfaces",
        "aws ec2 describe-network-interfaces",
        True,
    ),
    "flow-logs.json": ("FlowLogs", "aws ec2 describe-flow-logs", True),
    "instances.json": ("Reservations", "aws ec2 describe-instances", False),
    "db-instances.json": ("DBInstances", "aws rds describe-db-instances", False),
    "security-group-rules.json": (
        "SecurityGroupRules",
        "aws ec2 describe-security-group-rules",
        False,
    ),
    "managed-prefix-lists.json": ("PrefixLists", "aws ec2 describe-managed-prefix-lists", False),
}


@dataclass(frozen=True)
class Snapshot:
    root: Path
    findings: tuple[Finding, ...]
    inventories: dict[tuple[str, str], Inventory] = field(default_factory=dict)
    flow_log_dirs: tuple[Path, ...] = ()
    # When it was taken (naive UTC): `collected_at` of collect-report.json (written by
    # `sgharden collect`; a hand-made AWS CLI dump has none), and the newest `UpdatedAt` of its
    # findings, a moment it cannot have been taken before.
    collected_at: datetime | None = None
    findings_updated: datetime | None = None

    def inventory(self, account_id: str, region: str) -> Inventory | None:
        return self.inventories.get((account_id, region))

    def all_interfaces(self) -> list[Interface]:
        return [eni for inv in self.inventories.values() for eni in inv.interfaces.values()]

    def all_groups(self) -> list[SecurityGroup]:
        return [g for inv in self.inventories.values() for g in inv.security_groups.values()]

    def all_flow_logs(self) -> list[FlowLog]:
        return [fl for inv in self.inventories.values() for fl in inv.flow_logs]


def read_cli_json(path: Path, key: str, command: str) -> list[dict[str, Any]]:
    """The list under `key` in the JSON output of `command`, or a one-line SnapshotError."""
    try:
        document = load_json_strict(path)
    except FileNotFoundError:
        raise SnapshotError(
            f"{path}: missing", hint=f"write it with `{command} --output json > {path.name}`"
        ) from None
    # the one point where a snapshot file meets the schema layer (sgharden.schema)
    if key == "Findings":
        check_findings_document(path, document, command)
        return finding_records(document)
    check_snapshot_document(path, key, document, command)
    return list(document[key])


def _tags(items: list[dict[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(t.get("Key", "")), str(t.get("Value", ""))) for t in items or [])


def _group(raw: dict[str, Any], account_id: str, region: str) -> SecurityGroup:
    gid = raw["GroupId"]
    return SecurityGroup(
        group_id=gid,
        group_name=raw.get("GroupName", ""),
        vpc_id=raw.get("VpcId"),
        owner_id=str(raw.get("OwnerId", account_id)),
        account_id=account_id,
        region=region,
        description=raw.get("Description", ""),
        ingress=tuple(rules_from_ip_permissions(gid, raw.get("IpPermissions", []), False)),
        egress=tuple(rules_from_ip_permissions(gid, raw.get("IpPermissionsEgress", []), True)),
        tags=_tags(raw.get("Tags")),
    )


def _with_rule_ids(group: SecurityGroup, sg_rules: list[dict[str, Any]]) -> SecurityGroup:
    """Attach SecurityGroupRuleId (and descriptions) from describe-security-group-rules."""
    by_key = {}
    for raw in sg_rules:
        if raw.get("GroupId") != group.group_id:
            continue
        rule = Rule.from_ec2(raw, group.group_id)
        by_key[rule.key()] = rule

    def attach(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        out = []
        for r in rules:
            known = by_key.get(r.key())
            out.append(
                Rule(**{**r.__dict__, "rule_id": known.rule_id}) if known and known.rule_id else r
            )
        return tuple(out)

    return SecurityGroup(
        **{**group.__dict__, "ingress": attach(group.ingress), "egress": attach(group.egress)}
    )


def _interface(raw: dict[str, Any], account_id: str, region: str) -> Interface:
    privates = raw.get("PrivateIpAddresses") or []
    primary = [p["PrivateIpAddress"] for p in privates if p.get("Primary")]
    others = [p["PrivateIpAddress"] for p in privates if not p.get("Primary")]
    if not primary and raw.get("PrivateIpAddress"):
        primary = [raw["PrivateIpAddress"]]
        others = [o for o in others if o != primary[0]]
    association = raw.get("Association") or {}
    attachment = raw.get("Attachment") or {}
    return Interface(
        interface_id=raw["NetworkInterfaceId"],
        account_id=str(raw.get("OwnerId") or account_id),
        region=region,
        vpc_id=raw.get("VpcId"),
        subnet_id=raw.get("SubnetId"),
        group_ids=tuple(g["GroupId"] for g in raw.get("Groups", [])),
        private_ips=tuple(primary + others),
        ipv6_addresses=tuple(a["Ipv6Address"] for a in raw.get("Ipv6Addresses", [])),
        public_ip=association.get("PublicIp"),
        instance_id=attachment.get("InstanceId"),
        interface_type=raw.get("InterfaceType", "interface"),
        requester_managed=bool(raw.get("RequesterManaged", False)),
        description=raw.get("Description", ""),
        status=raw.get("Status", ""),
        attach_time=str(attachment["AttachTime"]) if attachment.get("AttachTime") else None,
    )


def flow_log_from_cli(raw: dict[str, Any], account_id: str, region: str) -> FlowLog:
    """A FlowLog from one entry of describe-flow-logs output (the snapshot's and the live API's)."""
    options = raw.get("DestinationOptions") or {}
    return FlowLog(
        flow_log_id=raw["FlowLogId"],
        resource_id=raw.get("ResourceId", ""),
        account_id=account_id,
        region=region,
        log_format=raw.get("LogFormat", ""),
        destination_type=raw.get("LogDestinationType", "cloud-watch-logs"),
        destination=raw.get("LogDestination") or raw.get("LogGroupName", ""),
        traffic_type=raw.get("TrafficType", "ALL"),
        max_aggregation_interval=int(raw.get("MaxAggregationInterval", 600)),
        file_format=options.get("FileFormat", "plain-text"),
        hive_compatible=bool(options.get("HiveCompatiblePartitions", False)),
        per_hour_partition=bool(options.get("PerHourPartition", False)),
        creation_time=str(raw["CreationTime"]) if raw.get("CreationTime") else None,
        status=raw.get("FlowLogStatus", "ACTIVE"),
        deliver_logs_status=str(raw.get("DeliverLogsStatus") or "SUCCESS"),
        deliver_logs_error=str(raw.get("DeliverLogsErrorMessage") or ""),
        tags=_tags(raw.get("Tags")),
    )


def _instances(reservations: list[dict[str, Any]], account_id: str, region: str) -> list[Instance]:
    out = []
    for reservation in reservations:
        for raw in reservation.get("Instances", []):
            enis = raw.get("NetworkInterfaces", [])
            name = next((t["Value"] for t in raw.get("Tags", []) if t.get("Key") == "Name"), "")
            out.append(
                Instance(
                    instance_id=raw["InstanceId"],
                    account_id=str(reservation.get("OwnerId") or account_id),
                    region=region,
                    vpc_id=raw.get("VpcId"),
                    public_ip=raw.get("PublicIpAddress"),
                    interface_ids=tuple(e["NetworkInterfaceId"] for e in enis),
                    group_ids=tuple(g["GroupId"] for g in raw.get("SecurityGroups", [])),
                    state=(raw.get("State") or {}).get("Name", ""),
                    name=name,
                )
            )
    return out


def _db(raw: dict[str, Any], account_id: str, region: str) -> DbInstance:
    endpoint = raw.get("Endpoint") or {}
    return DbInstance(
        identifier=raw["DBInstanceIdentifier"],
        account_id=account_id,
        region=region,
        vpc_id=(raw.get("DBSubnetGroup") or {}).get("VpcId"),
        publicly_accessible=bool(raw.get("PubliclyAccessible", False)),
        group_ids=tuple(g["VpcSecurityGroupId"] for g in raw.get("VpcSecurityGroups", [])),
        engine=raw.get("Engine", ""),
        port=endpoint.get("Port") or raw.get("DbInstancePort"),
        endpoint=endpoint.get("Address"),
        arn=raw.get("DBInstanceArn", ""),
    )


def _prefix_lists(directory: Path) -> dict[str, PrefixList]:
    path = directory / "managed-prefix-lists.json"
    if not path.exists():
        return {}
    key, command, _ = SNAPSHOT_FILES["managed-prefix-lists.json"]
    out: dict[str, PrefixList] = {}
    for raw in read_cli_json(path, key, command):
        pl_id = str(raw["PrefixListId"])  # an id by the schema's grammar: safe in a path
        entries_path = path_under(directory, "prefix-list-entries", f"{pl_id}.json")
        cidrs: tuple[str, ...] = ()
        if entries_path.exists():
            entries = read_cli_json(
                entries_path, "Entries", "aws ec2 get-managed-prefix-list-entries"
            )
            cidrs = tuple(e["Cidr"] for e in entries)
        out[pl_id] = PrefixList(pl_id, raw.get("PrefixListName", ""), cidrs)
    return out


def _account_region(directory: Path, root: Path) -> tuple[str, str] | None:
    rel = directory.relative_to(root).parts
    if len(rel) == 2 and is_id("account", rel[0]) and is_id("region", rel[1]):
        return rel[0], rel[1]
    return None


def _guess_account_region(directory: Path) -> tuple[str, str]:
    """For a single-set snapshot: take account/region from the groups' OwnerId and ENIs' AZ."""
    groups = read_cli_json(
        directory / "security-groups.json",
        "SecurityGroups",
        SNAPSHOT_FILES["security-groups.json"][1],
    )
    enis = read_cli_json(
        directory / "network-interfaces.json",
        "NetworkInterfaces",
        SNAPSHOT_FILES["network-interfaces.json"][1],
    )
    account = next((str(g["OwnerId"]) for g in groups if g.get("OwnerId")), "")
    region = ""
    for e in enis:
        az = e.get("AvailabilityZone", "")
        if az:
            region = az[:-1] if az[-1].isalpha() else az
            break
    return account, region


def load_inventory(directory: Path, account_id: str, region: str) -> Inventory:
    def rows(name: str) -> list[dict[str, Any]]:
        key, command, required = SNAPSHOT_FILES[name]
        path = directory / name
        if not path.exists() and not required:
            return []
        return read_cli_json(path, key, command)

    sg_rules = rows("security-group-rules.json")
    groups = {}
    for raw in rows("security-groups.json"):
        group = _group(raw, account_id, region)
        groups[group.group_id] = _with_rule_ids(group, sg_rules) if sg_rules else group
    interfaces = {}
    for raw in rows("network-interfaces.json"):
        eni = _interface(raw, account_id, region)
        interfaces[eni.interface_id] = eni
    flow_logs = tuple(flow_log_from_cli(r, account_id, region) for r in rows("flow-logs.json"))
    instances = {i.instance_id: i for i in _instances(rows("instances.json"), account_id, region)}
    dbs = {d.identifier: d for d in (_db(r, account_id, region) for r in rows("db-instances.json"))}
    prefix_lists = _prefix_lists(directory)
    return Inventory(
        account_id=account_id,
        region=region,
        security_groups=groups,
        interfaces=interfaces,
        flow_logs=flow_logs,
        instances=instances,
        db_instances=dbs,
        prefix_lists=prefix_lists,
    )


def load_snapshot(root: Path | str) -> Snapshot:
    """Read a snapshot directory (single set, or one set per `<account>/<region>/`)."""
    root = Path(root)
    set_dirs = _set_dirs(root)
    findings: list[Finding] = []
    updated: list[datetime] = []
    inventories: dict[tuple[str, str], Inventory] = {}
    flow_dirs: list[Path] = []
    top_findings = root / "findings.json"
    if top_findings.exists() and set_dirs[0][0] != root:
        findings.extend(_findings(top_findings, updated))
    for directory, ar in set_dirs:
        account, region = ar if ar else _guess_account_region(directory)
        findings_path = directory / "findings.json"
        # a set's findings.json may be left out only when the findings sit once at the top:
        # without it, the plan would be empty and look like "nothing to do"
        if findings_path.exists() or directory == root or not top_findings.exists():
            findings.extend(_findings(findings_path, updated))
        inv = load_inventory(directory, account, region)
        inventories[(account, region)] = inv
        if (directory / "flow-logs").is_dir():
            flow_dirs.append(directory / "flow-logs")
    needing = in_scope(findings, _NEEDED_BY.values())  # once: per set, it was 150 x 35,000
    for directory, ar in set_dirs:
        _refuse_missing_needed(directory, ar or _guess_account_region(directory), needing)
    return Snapshot(
        root,
        tuple(findings),
        inventories,
        tuple(flow_dirs),
        collected_at=_collected_at(root / COLLECT_REPORT),
        findings_updated=max(updated, default=None),
    )


def _set_dirs(root: Path) -> list[tuple[Path, tuple[str, str] | None]]:
    """The snapshot's sets: the top folder (account/region guessed) and `<account>/<region>/`."""
    if not root.is_dir():
        raise SnapshotError(
            f"{root}: not a directory", hint="give the folder `sgharden collect` wrote"
        )
    set_dirs: list[tuple[Path, tuple[str, str] | None]] = []
    if (root / "security-groups.json").exists():
        set_dirs.append((root, None))
    for path in sorted(root.glob("*/*/security-groups.json")):
        ar = _account_region(path.parent, root)
        if ar:
            set_dirs.append((path.parent, ar))
    if not set_dirs:
        raise SnapshotError(
            f"{root}: no security-groups.json here or in <account-id>/<region>/ folders",
            hint="write the snapshot with `sgharden collect --out DIR` or see the README's layout",
        )
    return set_dirs


@dataclass(frozen=True)
class SnapshotPart:
    """One `<account>/<region>/` set of a snapshot, read on its own (`load_part`)."""

    directory: Path
    account_id: str
    region: str


def snapshot_parts(root: Path | str) -> tuple[SnapshotPart, ...] | None:
    """The `<account>/<region>/` sets of a snapshot laid out as `collect` writes it (each set with
    its own findings.json), in the order `load_snapshot` reads them; None for any other layout
    (a set at the top, findings once at the top), which only `load_snapshot` reads."""
    root = Path(root)
    set_dirs = _set_dirs(root)
    if (root / "findings.json").exists() or any(ar is None for _, ar in set_dirs):
        return None
    return tuple(SnapshotPart(d, *ar) for d, ar in set_dirs if ar is not None)


def part_interfaces(part: SnapshotPart) -> list[Interface]:
    """The ENIs of one set (network-interfaces.json), without the rest of its inventory."""
    key, command, _ = SNAPSHOT_FILES["network-interfaces.json"]
    rows = read_cli_json(part.directory / "network-interfaces.json", key, command)
    return [_interface(raw, part.account_id, part.region) for raw in rows]


def load_part(root: Path | str, part: SnapshotPart) -> Snapshot:
    """One set as a Snapshot of its own: its findings and inventory, checked as `load_snapshot`
    checks them (`collected_at` is left out: read it once with `snapshot_collected_at`)."""
    updated: list[datetime] = []
    findings = _findings(part.directory / "findings.json", updated)
    where = (part.account_id, part.region)
    inventory = load_inventory(part.directory, *where)
    _refuse_missing_needed(part.directory, where, in_scope(findings, _NEEDED_BY.values()))
    flow_dir = part.directory / "flow-logs"
    return Snapshot(
        Path(root),
        tuple(findings),
        {where: inventory},
        (flow_dir,) if flow_dir.is_dir() else (),
        findings_updated=max(updated, default=None),
    )


def snapshot_collected_at(root: Path | str) -> datetime | None:
    """When the snapshot was taken, from its collect report (None without one)."""
    return _collected_at(Path(root) / COLLECT_REPORT)


COLLECT_REPORT = "collect-report.json"  # written by aws/collect.py


def _collected_at(path: Path) -> datetime | None:
    """`collected_at` of the collect report, when the snapshot has one (one-line error if bad)."""
    if not path.is_file():
        return None
    document = load_json_strict(path)
    value = document.get("collected_at") if isinstance(document, dict) else None
    if value is None:
        return None
    try:
        return parse(str(value))
    except ValueError:
        raise SnapshotError(
            f"{path}: collected_at {value!r} is not an ISO 8601 time like 2026-10-22T00:00:00Z",
            hint="fix the value, or remove the file to leave the snapshot's time unknown",
        ) from None


# optional file -> the control whose findings cannot be judged without it
_NEEDED_BY = {"instances.json": "EC2.9", "db-instances.json": "RDS.2"}


def _refuse_missing_needed(directory: Path, where: tuple[str, str], scoped: list[Finding]) -> None:
    """An optional file left out while this set's findings (`scoped`: in_scope) need it: refused,
    naming the file. Without it the findings would drop out of the plan, which would read as
    "nothing to do"."""
    for name, control in _NEEDED_BY.items():
        if (directory / name).exists():
            continue
        needing = sorted(
            f.resource_id
            for f in scoped
            if f.control == control and (f.account_id, f.region) == where
        )
        if needing:
            _, command, _ = SNAPSHOT_FILES[name]
            raise SnapshotError(
                f"{directory / name}: missing, and {len(needing)} {control} finding(s) need it "
                f"({', '.join(needing[:3])}{', …' if len(needing) > 3 else ''})",
                hint=f"write it with `{command} --output json > {name}` (or `sgharden collect`)",
            )


def _findings(path: Path, updated: list[datetime] | None = None) -> list[Finding]:
    """The file's findings; the newest `UpdatedAt` among them is appended to `updated`."""
    key, command, _ = SNAPSHOT_FILES["findings.json"]
    out = []
    newest: datetime | None = None
    for raw in read_cli_json(path, key, command):
        parsed = parse_finding(raw)
        if parsed is not None:
            out.append(parsed)
            moment = _moment_or_none(raw.get("UpdatedAt"))
            if moment is not None and (newest is None or moment > newest):
                newest = moment
    if updated is not None and newest is not None:
        updated.append(newest)
    return out


def _moment_or_none(value: Any) -> datetime | None:
    # UpdatedAt only bounds when the snapshot was taken: one that does not read is no bound
    try:
        return parse(value) if isinstance(value, str) else None
    except ValueError:
        return None
