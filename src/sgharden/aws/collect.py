# Over ~400 lines: one read-only pass per account/region sharing one client set.
"""`collect`: read the in-scope Security Hub findings and the inventory around them into a snapshot.

Read-only. Findings come from each Security Hub region asked for (the aggregation region alone is
enough when cross-region aggregation is on); the inventory of each finding's account and region is
read with that account's assumed role. One account/region failing is recorded as a `CollectFailure`
and the others go on. The snapshot is written in the layout of `sgharden.snapshot`, one set per
`DIR/<account-id>/<region>/`, as the AWS CLI would print it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sgharden.atomic_write import write_atomically
from sgharden.aws.clients import AwsContext
from sgharden.awsids import expected, is_id, path_under
from sgharden.edge_reports import CollectFailure, CollectResult
from sgharden.errors import CREDENTIAL_HINTS, AwsAccessError
from sgharden.findings import IN_SCOPE_CONTROLS, LEGACY_GENERATOR_IDS, in_scope, parse_finding
from sgharden.model import Finding
from sgharden.moments import iso

# Every API call `collect` makes, as IAM actions. tests/test_collect.py checks this against the
# calls recorded during an end-to-end run; docs/aws.md lists it.
COLLECT_IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "sts:AssumeRole",
    "securityhub:GetFindings",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeInstances",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeManagedPrefixLists",
    "ec2:GetManagedPrefixListEntries",
    "rds:DescribeDBInstances",
)

# Per-standard generator ids of the FSBP standard (older findings without Compliance.SecurityControlId
# name the control only there); CIS and PCI ids come from `findings.LEGACY_GENERATOR_IDS`.
FSBP_GENERATOR_PREFIX = "aws-foundational-security-best-practices/v/1.0.0/"
# GetFindings takes up to 20 values per filter attribute (API reference); ask in chunks this size.
FILTER_VALUES_PER_CALL = 20
# Filter values per EC2 Describe* call (well under EC2's limit of 200).
EC2_FILTER_VALUES = 100
FINDINGS_PAGE_SIZE = 100

REPORT_FILE = "collect-report.json"

# AWS error codes -> what is missing, said once for the user.
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure"}
_NOT_ENABLED = {"InvalidAccessException"}
_OPT_IN = {"OptInRequired"}


def _hint(code: str, stage: str, account_id: str, region: str, role_name: str | None) -> str:
    if code in _NOT_ENABLED:
        return (
            f"Security Hub is not enabled in {region} for this account: enable it, or read the "
            "findings from the aggregation region (--region)"
        )
    if code in _OPT_IN:
        return f"{region} is an opt-in region not enabled for account {account_id}: enable it or leave it out"
    if stage == "assume-role":
        return (
            f"check that role {role_name!r} exists in account {account_id} and trusts the caller "
            "(or leave the account out with --accounts)"
        )
    if code in CREDENTIAL_HINTS:
        return CREDENTIAL_HINTS[code]
    if code in _DENIED:
        return "grant the IAM actions listed in docs/aws.md (collect) to the role used for this account"
    return "retry later; if it persists, rerun with --debug and report it"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def _failure(
    exc: Exception, account_id: str, region: str, stage: str, role_name: str | None
) -> CollectFailure:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")) or str(exc)
    else:
        code, message = type(exc).__name__, str(exc)
    return CollectFailure(
        account_id, region, stage, code, message, _hint(code, stage, account_id, region, role_name)
    )


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def generator_ids(controls: Iterable[str]) -> list[str]:
    """The legacy generator ids (FSBP, CIS, PCI) whose findings stand for `controls`."""
    out: list[str] = []
    for control in controls:
        out.append(FSBP_GENERATOR_PREFIX + control)
        out.extend(LEGACY_GENERATOR_IDS.get(control, []))
    return out


def finding_filters(controls: list[str]) -> list[dict[str, Any]]:
    """The GetFindings filter sets to ask: by consolidated control id, then by legacy generator id.

    Security Hub ANDs different fields, so "control id OR generator id" takes separate calls.
    """

    def equals(values: list[str]) -> list[dict[str, str]]:
        return [{"Value": v, "Comparison": "EQUALS"} for v in values]

    common = {"RecordState": equals(["ACTIVE"]), "ComplianceStatus": equals(["FAILED"])}
    filters = [
        {**common, "ComplianceSecurityControlId": equals(chunk)}
        for chunk in _chunks(controls, FILTER_VALUES_PER_CALL)
    ]
    filters += [
        {**common, "GeneratorId": equals(chunk)}
        for chunk in _chunks(generator_ids(controls), FILTER_VALUES_PER_CALL)
    ]
    return filters


def read_findings(aws: AwsContext, region: str, controls: list[str]) -> list[dict[str, Any]]:
    """The raw in-scope findings Security Hub in `region` returns (deduplicated by Id).

    The server-side filters keep the transfer small on AWS; the same test is applied client-side
    because not every endpoint honours them (moto ignores Filters).
    """
    client = aws.client("securityhub", region=region)
    paginator = client.get_paginator("get_findings")
    seen: dict[str, dict[str, Any]] = {}
    for filters in finding_filters(controls):
        pages = paginator.paginate(
            Filters=filters, PaginationConfig={"PageSize": FINDINGS_PAGE_SIZE}
        )
        for page in pages:
            for raw in page.get("Findings", []):
                seen.setdefault(str(raw.get("Id")), raw)
    parsed = [f for f in (parse_finding(r) for r in seen.values()) if f is not None]
    # `in_scope` collapses duplicates; the snapshot keeps every id, duplicates included.
    wanted = {fid for kept in in_scope(parsed, controls) for fid in kept.all_ids}
    return [raw for fid, raw in seen.items() if fid in wanted]


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def _by_filter(
    client: Any, operation: str, key: str, name: str, values: Iterable[str]
) -> list[dict[str, Any]]:
    """Describe* by one filter over many values, in chunks; an empty value list asks nothing."""
    items: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(set(values)), EC2_FILTER_VALUES):
        items += _paginate(client, operation, key, Filters=[{"Name": name, "Values": chunk}])
    return items


@dataclass
class InventorySet:
    """The snapshot files of one account/region, as AWS CLI JSON documents."""

    findings: list[dict[str, Any]]
    documents: dict[str, dict[str, Any]]
    prefix_list_entries: dict[str, dict[str, Any]]
    # (what was left out, the error): the set is still written, without that part.
    omissions: list[tuple[str, ClientError]] = field(default_factory=list)


def read_inventory(
    aws: AwsContext,
    account_id: str,
    region: str,
    findings: list[Finding],
    raws: list[dict[str, Any]],
) -> InventorySet:
    """Everything around the flagged resources of one account/region: their VPCs' groups, rules,
    ENIs, instances, DB instances, flow logs and the prefix lists the rules use."""
    ec2 = aws.client("ec2", region=region, account_id=account_id)
    rds = aws.client("rds", region=region, account_id=account_id)
    group_ids = {f.resource_id for f in findings if f.resource_type == "AwsEc2SecurityGroup"}
    instance_ids = {f.resource_id for f in findings if f.resource_type == "AwsEc2Instance"}
    db_ids = {f.resource_id for f in findings if f.resource_type == "AwsRdsDbInstance"}

    # Filters, not ids: a resource deleted since its finding must not fail the whole call.
    flagged_groups = _by_filter(
        ec2, "describe_security_groups", "SecurityGroups", "group-id", group_ids
    )
    flagged_reservations = _by_filter(
        ec2, "describe_instances", "Reservations", "instance-id", instance_ids
    )
    omissions: list[tuple[str, ClientError]] = []
    try:
        all_dbs: list[dict[str, Any]] | None = _paginate(
            rds, "describe_db_instances", "DBInstances"
        )
    except ClientError as exc:
        if db_ids or _code(exc) not in _DENIED:
            raise
        # Only context when no DB is flagged: leave db-instances.json out rather than fail.
        omissions.append(("db-instances.json", exc))
        all_dbs = None
    vpcs = {g["VpcId"] for g in flagged_groups if g.get("VpcId")}
    vpcs |= {
        i["VpcId"] for r in flagged_reservations for i in r.get("Instances", []) if i.get("VpcId")
    }
    vpcs |= {
        (d.get("DBSubnetGroup") or {}).get("VpcId", "")
        for d in all_dbs or []
        if d.get("DBInstanceIdentifier") in db_ids
    } - {""}

    groups = _by_filter(ec2, "describe_security_groups", "SecurityGroups", "vpc-id", vpcs)
    known = {g["GroupId"] for g in groups}
    groups += [g for g in flagged_groups if g["GroupId"] not in known]  # EC2-Classic / no VPC
    rules = _by_filter(
        ec2,
        "describe_security_group_rules",
        "SecurityGroupRules",
        "group-id",
        [g["GroupId"] for g in groups],
    )
    enis = _by_filter(ec2, "describe_network_interfaces", "NetworkInterfaces", "vpc-id", vpcs)
    # Groups referenced from another VPC (peering) of this account, and their members' ENIs, so
    # that a source can still be resolved to the group a rule names.
    referenced = {
        str(ref["GroupId"])
        for r in rules
        if (ref := r.get("ReferencedGroupInfo") or {}).get("GroupId")
        and str(ref.get("UserId") or account_id) == account_id
    } - {g["GroupId"] for g in groups}
    if referenced:
        groups += _by_filter(
            ec2, "describe_security_groups", "SecurityGroups", "group-id", referenced
        )
        known_enis = {e["NetworkInterfaceId"] for e in enis}
        enis += [
            e
            for e in _by_filter(
                ec2, "describe_network_interfaces", "NetworkInterfaces", "group-id", referenced
            )
            if e["NetworkInterfaceId"] not in known_enis
        ]
    reservations = _by_filter(ec2, "describe_instances", "Reservations", "vpc-id", vpcs)
    dbs = [
        d
        for d in all_dbs or []
        if d.get("DBInstanceIdentifier") in db_ids
        or (d.get("DBSubnetGroup") or {}).get("VpcId") in vpcs
    ]
    flow_logs = _paginate(ec2, "describe_flow_logs", "FlowLogs")
    pl_ids = {r["PrefixListId"] for r in rules if r.get("PrefixListId")}
    prefix_lists = _by_filter(
        ec2, "describe_managed_prefix_lists", "PrefixLists", "prefix-list-id", pl_ids
    )
    entries: dict[str, dict[str, Any]] = {}
    for pl in prefix_lists:
        pl_id = pl["PrefixListId"]
        try:
            listed = _paginate(
                ec2, "get_managed_prefix_list_entries", "Entries", PrefixListId=pl_id
            )
        except ClientError as exc:
            omissions.append((f"prefix-list-entries/{pl_id}.json", exc))
            continue
        entries[pl_id] = {"Entries": listed}
    documents = {
        "security-groups.json": {"SecurityGroups": groups},
        "security-group-rules.json": {"SecurityGroupRules": rules},
        "network-interfaces.json": {"NetworkInterfaces": enis},
        "instances.json": {"Reservations": reservations},
        "db-instances.json": {"DBInstances": dbs},
        "flow-logs.json": {"FlowLogs": flow_logs},
        "managed-prefix-lists.json": {"PrefixLists": prefix_lists},
    }
    if all_dbs is None:
        del documents["db-instances.json"]
    return InventorySet(raws, documents, entries, omissions)


def _json_default(value: Any) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        # As the AWS CLI writes botocore's datetimes (`+00:00`, not moments.iso's Z): the snapshot
        # is AWS CLI JSON, and the readers parse both (moments.parse).
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot write {type(value).__name__} to the snapshot")


def _write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, default=_json_default, sort_keys=False)
    write_atomically(path, text + "\n")


def write_set(out: Path, account_id: str, region: str, inventory: InventorySet) -> Path:
    directory = path_under(out, account_id, region)
    _write_json(directory / "findings.json", {"Findings": inventory.findings})
    for name, document in inventory.documents.items():
        _write_json(directory / name, document)
    for pl_id, document in inventory.prefix_list_entries.items():
        _write_json(path_under(directory, "prefix-list-entries", f"{pl_id}.json"), document)
    return directory


def _strip_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != "ResponseMetadata"}


# (step, done, total): what collect is reading, for a progress line (commands/collect.py)
CollectProgress = Callable[[str, int, int], None]


def _silent(step: str, done: int, total: int) -> None:
    pass


def collect(
    aws: AwsContext,
    out: Path | str,
    *,
    regions: list[str] | None = None,
    controls: list[str] | None = None,
    accounts: list[str] | None = None,
    progress: CollectProgress | None = None,
) -> CollectResult:
    """Read findings and inventory into `out`; failures per account/region are in the result.
    `progress(step, done, total)` is told before each Security Hub region and each
    account/region set, and once more when a step is done (done == total).

    Raises AwsAccessError only when no Security Hub region could be read at all.
    """
    tell = progress or _silent
    out = Path(out)
    wanted_controls = list(controls or IN_SCOPE_CONTROLS)
    hub_regions = list(dict.fromkeys(regions or [aws.default_region()]))
    result = CollectResult(out=out, findings=[])

    raws: dict[str, dict[str, Any]] = {}
    for done, region in enumerate(hub_regions):
        tell(f"findings {region}", done, len(hub_regions))
        try:
            for raw in read_findings(aws, region, wanted_controls):
                raws.setdefault(str(raw.get("Id")), _strip_metadata(raw))
            result.regions_read.append(region)
        except (ClientError, BotoCoreError) as exc:
            result.failures.append(_failure(exc, "", region, "findings", aws.role_name))
    tell("findings", len(hub_regions), len(hub_regions))
    if not result.regions_read:
        first = result.failures[0]
        # a credential fault's own message names what is wrong (the profile, the file)
        said = f": {first.message}" if first.error_code in CREDENTIAL_HINTS else ""
        raise AwsAccessError(
            f"Security Hub could not be read in {', '.join(hub_regions)} "
            f"({first.error_code}{said})",
            hint=first.hint,
        )

    parsed = {f.finding_id: f for f in (parse_finding(r) for r in raws.values()) if f}
    if accounts:
        parsed = {k: f for k, f in parsed.items() if f.account_id in set(accounts)}
    result.findings = sorted(parsed.values(), key=lambda f: (f.account_id, f.region, f.resource_id))

    per_set: dict[tuple[str, str], list[Finding]] = {}
    for finding in result.findings:
        per_set.setdefault((finding.account_id, finding.region), []).append(finding)
    for account_id, region in [k for k in per_set if not all(k)]:
        bad = per_set.pop((account_id, region))
        result.failures.append(
            CollectFailure(
                account_id,
                region,
                "inventory",
                "NoAccountOrRegion",
                f"{len(bad)} findings name no account or region (e.g. {bad[0].finding_id})",
                "they are left out of the snapshot; check the product that imported them",
            )
        )

    for account_id, region in [
        k for k in per_set if not (is_id("account", k[0]) and is_id("region", k[1]))
    ]:
        bad = per_set.pop((account_id, region))
        result.failures.append(
            CollectFailure(
                account_id,
                region,
                "inventory",
                "BadAccountOrRegion",
                f"{len(bad)} findings name an account or region that is not an AWS id "
                f"(e.g. {bad[0].finding_id}): {expected('account')}, {expected('region')}",
                "they are left out of the snapshot; check the product that imported them",
            )
        )

    out.mkdir(parents=True, exist_ok=True)
    for done, ((account_id, region), set_findings) in enumerate(sorted(per_set.items())):
        tell(f"inventory {account_id} {region}", done, len(per_set))
        stage = "assume-role"
        try:
            if account_id != aws.caller_account():
                if not aws.role_name:
                    result.failures.append(
                        CollectFailure(
                            account_id,
                            region,
                            stage,
                            "NoRole",
                            "findings of a member account, and no role to read its inventory",
                            "pass --role-name NAME (a role in each member account that trusts "
                            "the caller), or --accounts to leave it out",
                        )
                    )
                    continue
                aws.session_for(account_id)
            stage = "inventory"
            set_raws = [raws[f.finding_id] for f in set_findings]
            inventory = read_inventory(aws, account_id, region, set_findings, set_raws)
        except (ClientError, BotoCoreError) as exc:
            result.failures.append(_failure(exc, account_id, region, stage, aws.role_name))
            continue
        write_set(out, account_id, region, inventory)
        result.sets_written.append((account_id, region))
        for left_out, error in inventory.omissions:
            stage = f"inventory ({left_out} left out)"
            result.failures.append(_failure(error, account_id, region, stage, None))

    tell("inventory", len(per_set), len(per_set))
    _write_json(
        out / REPORT_FILE,
        {
            "collected_at": iso(dt.datetime.now(dt.UTC)),
            "security_hub_regions": result.regions_read,
            "controls": wanted_controls,
            "sets": [{"AccountId": a, "Region": r} for a, r in result.sets_written],
            "failures": [f.__dict__ for f in result.failures],
        },
    )
    return result
