"""`flow-logs enable|status|disable`: VPC Flow Logs on the interfaces behind the in-scope findings.

Targets come from a snapshot (`sgharden collect`): every ENI of a flagged security group, and the
ENIs of flagged instances and DB instances. Each ENI gets one flow log with every field the analysis
reads; an existing flow log (on the ENI, its subnet or its VPC, whoever made it) is reused when its
format suffices. Only flow logs tagged `sgharden:managed=true` are ever deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sgharden.aws.clients import AwsContext
from sgharden.edge_reports import (
    Delivery,
    Destination,
    DisableOutcome,
    EnableOutcome,
    EnableReport,
    StatusRow,
)
from sgharden.errors import InputError
from sgharden.flowlogs.sufficiency import (
    ANALYSIS_FIELDS,
    LOG_FORMAT,
    is_sufficient,
    missing_fields,
)
from sgharden.model import FlowLog
from sgharden.snapshot import flow_log_from_cli
from sgharden.targets import InterfaceTarget as Target
from sgharden.targets import covering

AGGREGATION_INTERVAL = 60  # seconds; the finest VPC Flow Logs offers
MANAGED_TAG = "sgharden:managed"
CONTROLS_TAG = "sgharden:controls"
SERVES_TAG = "sgharden:serves"
TAG_VALUE_LIMIT = 256
DEFAULT_MIN_DAYS = 14

ENABLE_IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "sts:AssumeRole",
    "ec2:DescribeFlowLogs",
    "ec2:CreateFlowLogs",
    "ec2:CreateTags",  # tags given at creation (TagSpecifications) need it
    "logs:CreateLogDelivery",  # required of the caller for S3 and CloudWatch destinations
    "logs:DeleteLogDelivery",
    "iam:PassRole",  # --destination cloudwatch: pass --role-arn to the service
)
STATUS_IAM_ACTIONS = ("sts:GetCallerIdentity", "sts:AssumeRole", "ec2:DescribeFlowLogs")
DISABLE_IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "sts:AssumeRole",
    "ec2:DescribeFlowLogs",
    "ec2:DeleteFlowLogs",
    "logs:DeleteLogDelivery",
)
# Actions AWS checks while authorising another call, never called as an API by sgharden.
AUTHORIZATION_ONLY = frozenset(
    {"ec2:CreateTags", "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "iam:PassRole"}
)

RESOURCE_FILTER_VALUES = 100


# --- live state ----------------------------------------------------------------------------------


def _group_by_set(items: Iterable[Target]) -> dict[tuple[str, str], list[Target]]:
    out: dict[tuple[str, str], list[Target]] = {}
    for t in items:
        out.setdefault((t.account_id, t.region), []).append(t)
    return out


def live_flow_logs(
    aws: AwsContext, account_id: str, region: str, resource_ids: Iterable[str]
) -> list[FlowLog]:
    """The flow logs now on the given ENIs/subnets/VPCs of one account/region."""
    ec2 = aws.client("ec2", region=region, account_id=account_id)
    wanted = sorted(set(resource_ids))
    out: list[FlowLog] = []
    paginator = ec2.get_paginator("describe_flow_logs")
    for start in range(0, len(wanted), RESOURCE_FILTER_VALUES):
        chunk = wanted[start : start + RESOURCE_FILTER_VALUES]
        for page in paginator.paginate(Filters=[{"Name": "resource-id", "Values": chunk}]):
            out += [flow_log_from_cli(raw, account_id, region) for raw in page.get("FlowLogs", [])]
    return out


def _scopes(set_targets: list[Target]) -> set[str]:
    ids: set[str] = set()
    for t in set_targets:
        ids |= {t.interface.interface_id, t.interface.subnet_id or "", t.interface.vpc_id or ""}
    return ids - {""}


def _error(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return str(error.get("Code", "Unknown")), str(error.get("Message", ""))
    return type(exc).__name__, str(exc)


def _failed_call(exc: Exception) -> str:
    """'AssumeRole: AccessDenied: ...' — which call failed, and how."""
    code, message = _error(exc)
    operation = getattr(exc, "operation_name", "") or "call"
    return f"{operation}: {code}: {message}"


# --- enable --------------------------------------------------------------------------------------


def _clip(values: Iterable[str]) -> str:
    text = ",".join(values)
    return text if len(text) <= TAG_VALUE_LIMIT else text[: TAG_VALUE_LIMIT - 3] + "..."


def _tags(target: Target) -> list[dict[str, str]]:
    return [
        {"Key": MANAGED_TAG, "Value": "true"},
        {"Key": CONTROLS_TAG, "Value": _clip(target.controls)},
        {"Key": SERVES_TAG, "Value": _clip(target.serves)},
        {"Key": "Name", "Value": f"sgharden {target.interface_id}"},
    ]


@dataclass
class EnablePlan:
    """What `enable` will do, decided from the live flow logs before anything is created."""

    reused: list[EnableOutcome] = field(default_factory=list)
    to_create: list[Target] = field(default_factory=list)
    failed: list[EnableOutcome] = field(default_factory=list)

    def cost_driver(self) -> str:
        """What the bill scales with, said before anything is created."""
        return (
            f"cost driver: {len(self.to_create)} ENIs to log (of {len(self.to_create) + len(self.reused)}"
            f" targets; {len(self.reused)} already logged), traffic type ALL, aggregation interval "
            f"{AGGREGATION_INTERVAL}s, {len(ANALYSIS_FIELDS)} fields a record; the cost grows with "
            "the records and bytes delivered"
        )


def plan_enable(aws: AwsContext, all_targets: list[Target]) -> EnablePlan:
    """Split targets into reused (a sufficient flow log exists), to create, and failed lookups."""
    plan = EnablePlan()
    for (account_id, region), set_targets in _group_by_set(all_targets).items():
        try:
            existing = live_flow_logs(aws, account_id, region, _scopes(set_targets))
        except (ClientError, BotoCoreError) as exc:
            plan.failed += [
                EnableOutcome(t, "failed", detail=_failed_call(exc)) for t in set_targets
            ]
            continue
        for t in set_targets:
            good = [fl for fl in covering(existing, t.interface) if is_sufficient(fl)]
            if not good:
                plan.to_create.append(t)
                continue
            fl = good[0]
            owner = "sgharden" if (MANAGED_TAG, "true") in fl.tags else "not sgharden"
            detail = f"existing flow log on {fl.resource_id} ({owner}) has every field"
            plan.reused.append(EnableOutcome(t, "reused", fl.flow_log_id, detail))
    return plan


def apply_enable(
    aws: AwsContext, plan: EnablePlan, destination: Destination, *, dry_run: bool = False
) -> EnableReport:
    """Create the planned flow logs, one ENI a call so one failing is reported and the rest go on.
    With `dry_run`, every CreateFlowLogs is sent with DryRun=True (proves the permissions)."""
    report = EnableReport(destination, dry_run, [*plan.reused, *plan.failed])
    for t in plan.to_create:
        report.outcomes.append(_create_one(aws, t, destination, dry_run))
    return report


def _create_one(
    aws: AwsContext, t: Target, destination: Destination, dry_run: bool
) -> EnableOutcome:
    try:
        ec2 = aws.client("ec2", region=t.region, account_id=t.account_id)
        response = ec2.create_flow_logs(
            DryRun=dry_run,
            ResourceType="NetworkInterface",
            ResourceIds=[t.interface_id],
            TrafficType="ALL",
            LogFormat=LOG_FORMAT,
            MaxAggregationInterval=AGGREGATION_INTERVAL,
            TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": _tags(t)}],
            **destination.create_arguments(),
        )
    except ClientError as exc:
        code, message = _error(exc)
        if dry_run and code == "DryRunOperation":
            return EnableOutcome(t, "would-create", detail=f"to {destination.describe()}")
        return EnableOutcome(t, "failed", detail=f"{code}: {message}")
    except BotoCoreError as exc:
        return EnableOutcome(t, "failed", detail=f"{type(exc).__name__}: {exc}")
    for problem in response.get("Unsuccessful", []):
        error = problem.get("Error", {})
        return EnableOutcome(t, "failed", detail=f"{error.get('Code')}: {error.get('Message')}")
    ids = response.get("FlowLogIds", [])
    return EnableOutcome(t, "created", ids[0] if ids else "", f"to {destination.describe()}")


# --- status --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceDelivery:
    """What `sgharden ingest` has stored so far: hours per ENI, objects per flow log."""

    per_interface: dict[str, Delivery] = field(default_factory=dict)
    objects_per_flow_log: dict[str, int] = field(default_factory=dict)


def workspace_delivery(
    workspace: Path | str | None, interface_ids: list[str], flow_log_ids: list[str]
) -> WorkspaceDelivery:
    """Hours, records and objects already ingested into the workspace (empty if there is none)."""
    if workspace is None or not Path(workspace).exists():
        return WorkspaceDelivery()
    import duckdb

    from sgharden.resources import query

    try:
        con = duckdb.connect(str(workspace), read_only=True)
    except duckdb.Error as exc:
        raise InputError(f"{workspace}: cannot open the workspace ({exc})") from None
    try:
        hours = con.execute(query("interface_delivery"), {"interface_ids": interface_ids})
        hour_rows = hours.fetchall()
        objects = con.execute(query("flow_log_objects"), {"flow_log_ids": flow_log_ids})
        object_rows = objects.fetchall()
    except duckdb.CatalogException as exc:
        raise InputError(
            f"{workspace}: not an sgharden workspace ({exc})",
            hint="give the file `sgharden ingest` wrote",
        ) from None
    finally:
        con.close()
    return WorkspaceDelivery(
        {
            str(eni): Delivery(int(n_hours), int(records or 0), first, last)
            for eni, n_hours, records, first, last in hour_rows
        },
        {str(fl_id): int(n_objects) for fl_id, n_objects, _records in object_rows},
    )


def status(
    aws: AwsContext,
    all_targets: list[Target],
    *,
    workspace: Path | str | None = None,
    min_days: float = DEFAULT_MIN_DAYS,
) -> list[StatusRow]:
    """Per target ENI: its flow log now, whether the format suffices, data delivered, days to go."""
    live: dict[tuple[str, str], list[FlowLog]] = {}
    errors: dict[tuple[str, str], str] = {}
    for key, set_targets in _group_by_set(all_targets).items():
        try:
            live[key] = live_flow_logs(aws, key[0], key[1], _scopes(set_targets))
        except (ClientError, BotoCoreError) as exc:
            errors[key] = _failed_call(exc)
    flow_log_ids = [fl.flow_log_id for fls in live.values() for fl in fls]
    stored = workspace_delivery(workspace, [t.interface_id for t in all_targets], flow_log_ids)
    rows = []
    for t in all_targets:
        key = (t.account_id, t.region)
        found = covering(live.get(key, []), t.interface)
        best = next((fl for fl in found if is_sufficient(fl)), found[0] if found else None)
        got = stored.per_interface.get(t.interface_id, Delivery())
        if best is not None:
            objects = stored.objects_per_flow_log.get(best.flow_log_id, 0)
            got = Delivery(got.hours, got.records, got.first_hour, got.last_hour, objects)
        rows.append(
            StatusRow(
                target=t,
                flow_log=best,
                sufficient=bool(best and is_sufficient(best)),
                missing=missing_fields(best) if best else ANALYSIS_FIELDS,
                delivery=got,
                # The window counts data delivered, not time since creation: a flow log that
                # delivers nothing (bucket policy, KMS) must not look ready.
                days_needed=max(0.0, min_days - got.days),
                error=errors.get(key, ""),
            )
        )
    return rows


# --- disable -------------------------------------------------------------------------------------


def disable(
    aws: AwsContext, sets: Iterable[tuple[str, str]], *, dry_run: bool = False
) -> list[DisableOutcome]:
    """Delete the flow logs tagged sgharden:managed=true in each account/region; nothing else."""
    outcomes: list[DisableOutcome] = []
    for account_id, region in sorted(set(sets)):
        try:
            ec2 = aws.client("ec2", region=region, account_id=account_id)
            managed = [
                flow_log_from_cli(raw, account_id, region)
                for page in ec2.get_paginator("describe_flow_logs").paginate(
                    Filters=[{"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}]
                )
                for raw in page.get("FlowLogs", [])
            ]
        except (ClientError, BotoCoreError) as exc:
            outcomes.append(DisableOutcome(account_id, region, "", "", "failed", _failed_call(exc)))
            continue
        # The server filters by tag; check again so that nothing untagged is ever deleted.
        for fl in [f for f in managed if (MANAGED_TAG, "true") in f.tags]:
            outcomes.append(_delete_one(ec2, fl, dry_run))
    return outcomes


def _delete_one(ec2: Any, fl: FlowLog, dry_run: bool) -> DisableOutcome:
    base = (fl.account_id, fl.region, fl.flow_log_id, fl.resource_id)
    try:
        response = ec2.delete_flow_logs(DryRun=dry_run, FlowLogIds=[fl.flow_log_id])
    except ClientError as exc:
        code, message = _error(exc)
        if dry_run and code == "DryRunOperation":
            return DisableOutcome(*base, "would-delete")
        return DisableOutcome(*base, "failed", f"{code}: {message}")
    except BotoCoreError as exc:
        return DisableOutcome(*base, "failed", f"{type(exc).__name__}: {exc}")
    for problem in response.get("Unsuccessful", []):
        error = problem.get("Error", {})
        return DisableOutcome(*base, "failed", f"{error.get('Code')}: {error.get('Message')}")
    return DisableOutcome(*base, "deleted")
