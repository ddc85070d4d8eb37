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

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sgharden.awsids import expected, is_id, path_under
from sgharden.errors import SnapshotError
from sgharden.findings import finding_records, parse_finding
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

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


@dataclass(frozen=True)
class Snapshot:
    root: Path
    findings: tuple[Finding, ...]
    inventories: dict[tuple[str, str], Inventory] = field(default_factory=dict)
    flow_log_dirs: tuple[Path, ...] = ()

    def inventory(self, account_id: str, region: str) -> Inventory | None:
        return self.inventories.get((account_id, region))

    def all_interfaces(self) -> list[Interface]:
        return [eni for inv in self.inventories.values() for eni in inv.interfaces.values()]

    def all_groups(self) -> list[SecurityGroup]:
        return [g for inv in self.inventories.values() for g in inv.security_groups.values()]

    def all_flow_logs(self) -> list[FlowLog]:
        return [fl for inv in self.inventories.values() for fl in inv.flow_logs]


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"duplicate key {duplicates[0]!r}")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json_strict(path: Path) -> Any:
    """JSON as RFC 8259 has it: no NaN/Infinity, no duplicate keys (which one would win is not
    said), numbers that fit a float; any fault is a one-line SnapshotError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise SnapshotError(f"{path}: a directory, expected a JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        raise SnapshotError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise SnapshotError(f"{path}: nested too deeply to be AWS CLI output") from None
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read ({exc.strerror})") from None


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is out of range")
    return value


def read_cli_json(path: Path, key: str, command: str) -> list[dict[str, Any]]:
    """The list under `key` in the JSON output of `command`, or a one-line SnapshotError."""
    try:
        document = load_json_strict(path)
    except FileNotFoundError:
        raise SnapshotError(
            f"{path}: missing", hint=f"write it with `{command} --output json > {path.name}`"
        ) from None
    if key == "Findings":
        if not isinstance(document, (dict, list)):
            raise SnapshotError(f'{path}: expected {{"Findings": [...]}} from `{command}`')
        return finding_records(document)
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        found = sorted(document)[:5] if isinstance(document, dict) else type(document).__name__
        raise SnapshotError(
            f'{path}: expected {{"{key}": [...]}} (the output of `{command}`), found {found}'
        )
    for index, item in enumerate(document[key]):
        if not isinstance(item, dict):
            raise SnapshotError(f"{path.name}: {key}[{index}]: expected an object")
    return list(document[key])


_PEERS = {
    "IpRanges": ("CidrIp", None),
    "Ipv6Ranges": ("CidrIpv6", None),
    "UserIdGroupPairs": ("GroupId", "security group"),
    "PrefixListIds": ("PrefixListId", "prefix list"),
}


def _port(value: object) -> bool:
    return type(value) is int and -1 <= value <= 65535


def check_group(raw: dict[str, Any], where: str) -> None:
    """One group of describe-security-groups against what the analysis relies on; a fault is a
    SnapshotError naming the JSON path (`where` is `file: SecurityGroups[i]`)."""

    def fail(path: str, what: str) -> None:
        raise SnapshotError(f"{where}.{path}: {what}")

    if "GroupId" not in raw:
        fail("GroupId", "missing")
    if not is_id("security group", raw["GroupId"]):
        fail("GroupId", f"expected {expected('security group')}")
    for side in ("IpPermissions", "IpPermissionsEgress"):
        perms = raw.get(side, [])
        if not isinstance(perms, list):
            fail(side, "expected a list")
        for i, perm in enumerate(perms):
            at = f"{side}[{i}]"
            if not isinstance(perm, dict):
                fail(at, "expected an object")
            proto = perm.get("IpProtocol")
            if proto is None:
                fail(f"{at}.IpProtocol", "missing")
            if not isinstance(proto, str) or not re.fullmatch(
                r"-1|tcp|udp|icmp|icmpv6|\d{1,3}", proto
            ):
                fail(f"{at}.IpProtocol", "expected -1, tcp, udp, icmp, icmpv6 or a number 0-255")
            if proto != "-1":
                for name in ("FromPort", "ToPort"):
                    if name in perm and not _port(perm[name]):
                        fail(f"{at}.{name}", "expected an integer -1..65535")
            for list_key, (peer_key, kind) in _PEERS.items():
                entries = perm.get(list_key, [])
                if not isinstance(entries, list):
                    fail(f"{at}.{list_key}", "expected a list")
                for j, entry in enumerate(entries):
                    path = f"{at}.{list_key}[{j}]"
                    if not isinstance(entry, dict):
                        fail(path, "expected an object")
                    if peer_key not in entry:
                        fail(f"{path}.{peer_key}", "missing")
                    value = entry[peer_key]
                    if kind is None:
                        ok = isinstance(value, str) and _is_network(value)
                        if not ok:
                            fail(f"{path}.{peer_key}", "expected a CIDR block")
                    elif not is_id(kind, value):
                        fail(f"{path}.{peer_key}", f"expected {expected(kind)}")
                    desc = entry.get("Description")
                    if desc is not None and not isinstance(desc, str):
                        fail(f"{path}.Description", "expected a string")


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return "%" not in value and value.isascii()


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
        pl_id = str(raw.get("PrefixListId"))
        if not is_id("prefix list", raw.get("PrefixListId")):
            raise SnapshotError(
                f"managed-prefix-lists.json: PrefixLists[{len(out)}].PrefixListId: "
                f"expected {expected('prefix list')}"
            )
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
    if len(rel) == 2 and _ACCOUNT.match(rel[0]) and _REGION.match(rel[1]):
        return rel[0], rel[1]
    return None


def _guess_account_region(directory: Path) -> tuple[str, str]:
    """For a single-set snapshot: take account/region from the groups' OwnerId and ENIs' AZ."""
    groups = read_cli_json(directory / "security-groups.json", "SecurityGroups", "")
    enis = read_cli_json(directory / "network-interfaces.json", "NetworkInterfaces", "")
    account = next((str(g["OwnerId"]) for g in groups if g.get("OwnerId")), "")
    region = ""
    for e in enis:
        az = e.get("AvailabilityZone", "")
        if az:
            region = az[:-1] if az[-1].isalpha() else az
            break
    return account, region


def _check_time(path: Path, ident: str, text: str | None) -> None:
    """CreationTime / AttachTime decide which hours are gaps (analysis/coverage.py): one clear
    line here rather than an internal error there."""
    if text is None:
        return
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SnapshotError(
            f"{path}: {ident}: {text!r} is not an ISO 8601 time",
            hint="write the file with `sgharden collect` or the AWS CLI's JSON output",
        ) from None


def load_inventory(directory: Path, account_id: str, region: str) -> Inventory:
    def rows(name: str) -> list[dict[str, Any]]:
        key, command, required = SNAPSHOT_FILES[name]
        path = directory / name
        if not path.exists() and not required:
            return []
        return read_cli_json(path, key, command)

    sg_rules = rows("security-group-rules.json")
    groups = {}
    for index, raw in enumerate(rows("security-groups.json")):
        check_group(raw, f"security-groups.json: SecurityGroups[{index}]")
        group = _group(raw, account_id, region)
        if group.group_id in groups:
            raise SnapshotError(
                f"security-groups.json: SecurityGroups[{index}].GroupId: "
                f"{group.group_id} appears twice"
            )
        groups[group.group_id] = _with_rule_ids(group, sg_rules) if sg_rules else group
    with _shape_errors(directory, "network-interfaces.json"):
        interfaces = {}
        for raw in rows("network-interfaces.json"):
            eni = _interface(raw, account_id, region)
            _check_time(directory / "network-interfaces.json", eni.interface_id, eni.attach_time)
            interfaces[eni.interface_id] = eni
    with _shape_errors(directory, "flow-logs.json"):
        flow_logs = tuple(flow_log_from_cli(r, account_id, region) for r in rows("flow-logs.json"))
    for fl in flow_logs:
        _check_time(directory / "flow-logs.json", fl.flow_log_id, fl.creation_time)
    with _shape_errors(directory, "instances.json"):
        instances = {
            i.instance_id: i for i in _instances(rows("instances.json"), account_id, region)
        }
    with _shape_errors(directory, "db-instances.json"):
        dbs = {
            d.identifier: d for d in (_db(r, account_id, region) for r in rows("db-instances.json"))
        }
    with _shape_errors(directory, "managed-prefix-lists.json"):
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


@contextmanager
def _shape_errors(directory: Path, name: str) -> Iterator[None]:
    """A file whose objects lack a field or hold the wrong type for it: one line naming the file
    (the files other than security-groups.json are not yet checked path by path)."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise SnapshotError(
            f"{directory / name}: not the shape `{SNAPSHOT_FILES[name][1]}` writes ({what})"
        ) from None


def load_snapshot(root: Path | str) -> Snapshot:
    """Read a snapshot directory (single set, or one set per `<account>/<region>/`)."""
    root = Path(root)
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
    findings: list[Finding] = []
    inventories: dict[tuple[str, str], Inventory] = {}
    flow_dirs: list[Path] = []
    top_findings = root / "findings.json"
    if top_findings.exists() and set_dirs[0][0] != root:
        findings.extend(_findings(top_findings))
    for directory, ar in set_dirs:
        account, region = ar if ar else _guess_account_region(directory)
        findings_path = directory / "findings.json"
        # a set's findings.json may be left out only when the findings sit once at the top:
        # without it, the plan would be empty and look like "nothing to do"
        if findings_path.exists() or directory == root or not top_findings.exists():
            findings.extend(_findings(findings_path))
        inv = load_inventory(directory, account, region)
        inventories[(account, region)] = inv
        if (directory / "flow-logs").is_dir():
            flow_dirs.append(directory / "flow-logs")
    return Snapshot(root, tuple(findings), inventories, tuple(flow_dirs))


def _findings(path: Path) -> list[Finding]:
    key, command, _ = SNAPSHOT_FILES["findings.json"]
    out = []
    for raw in read_cli_json(path, key, command):
        parsed = parse_finding(raw)
        if parsed is not None:
            out.append(parsed)
    return out
