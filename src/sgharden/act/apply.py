"""`sgharden apply`: the plan's changes made in AWS, safely.

Order of work, all groups at once:
1. re-read every group's live rules and refuse (changing nothing) if any drifted from the plan;
2. compute what is left to do — nothing on a re-run after success (idempotent);
3. ask for confirmation; 4. write the backup (exact rules to restore, with their ids);
5. per group, authorize the new rules, then revoke the old ones — a failure in between leaves the
   group with more access than planned, never less, and the error names the rollback command.

Drift, for a group the plan says to change (the plan's `keep` + `revoke` are the rules it was made
from): a kept rule missing, a live rule the plan does not know, or a revoked rule gone while the new
rules are not all in place (someone else changed it; re-running after our own apply is fine).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sgharden.act import live
from sgharden.atomic_write import write_atomically
from sgharden.aws.clients import AwsContext
from sgharden.errors import InputError, SafetyError
from sgharden.model import Rule
from sgharden.moments import iso, stamp
from sgharden.plan.read import Plan, PlanGroup, PlanResource
from sgharden.render.awscli import new_rules, resource_commands
from sgharden.render.rule_text import rule_text

BACKUP_SCHEMA = "sgharden.backup/v1"
DEFAULT_BACKUP_DIR = "sgharden-backups"

# IAM actions each part of `apply` calls; tests check them against the calls made.
GROUP_IAM_ACTIONS = (
    "ec2:DescribeSecurityGroupRules",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
)
RESOURCE_IAM_ACTIONS = (
    "ec2:DescribeInstances",
    "ec2:DescribeAddresses",
    "ec2:DisassociateAddress",
    "ec2:ModifyNetworkInterfaceAttribute",
    "rds:DescribeDBInstances",
    "rds:ModifyDBInstance",
)
NOTE_IAM_ACTIONS = ("securityhub:BatchUpdateFindings",)
IAM_ACTIONS = GROUP_IAM_ACTIONS + RESOURCE_IAM_ACTIONS + NOTE_IAM_ACTIONS


class ChangeFailed(SafetyError):
    """An AWS call failed half-way; what was done is consistent and the backup can undo it."""


@dataclass(frozen=True)
class GroupChange:
    group: PlanGroup
    live: tuple[Rule, ...]
    to_authorize: tuple[Rule, ...]
    to_revoke: tuple[Rule, ...]  # the live rules, with their ids
    drift: tuple[str, ...]

    @property
    def needed(self) -> bool:
        return bool(self.to_authorize or self.to_revoke)


def group_change(plan: Plan, group: PlanGroup, live_rules: list[Rule]) -> GroupChange:
    live_by_key = live.by_key(live_rules)
    wanted_new = new_rules(plan, group)
    keep_keys = {pr.rule.key() for pr in group.keep}
    revoke_keys = {pr.rule.key() for pr in group.revoke}
    new_keys = {r.key() for r in wanted_new}
    all_new_present = new_keys <= set(live_by_key)
    drift = []
    for pr in group.keep:
        if pr.rule.key() not in live_by_key:
            drift.append(f"kept rule missing: {rule_text(pr.rule)}")
    for pr in group.revoke:
        if pr.rule.key() not in live_by_key and not all_new_present:
            drift.append(f"rule to revoke already gone: {rule_text(pr.rule)}")
    for key, rule in live_by_key.items():
        if key not in keep_keys | revoke_keys | new_keys:
            drift.append(f"rule not in the plan: {rule_text(rule)} ({rule.rule_id or 'no id'})")
    return GroupChange(
        group=group,
        live=tuple(live_rules),
        to_authorize=tuple(r for r in wanted_new if r.key() not in live_by_key),
        to_revoke=tuple(
            live_by_key[k] for k in (pr.rule.key() for pr in group.revoke) if k in live_by_key
        ),
        drift=tuple(drift),
    )


@dataclass(frozen=True)
class ResourceChange:
    resource: PlanResource
    before: dict[str, Any]
    needed: bool
    note: str = ""


@dataclass
class ApplyResult:
    groups: list[GroupChange] = field(default_factory=list)
    resources: list[ResourceChange] = field(default_factory=list)
    printed_commands: list[str] = field(default_factory=list)
    backup: Path | None = None
    done: list[str] = field(default_factory=list)
    noted_findings: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not any(g.needed for g in self.groups) and not any(r.needed for r in self.resources)


def ec2_for(ctx: AwsContext, account_id: str, region: str) -> Any:
    return ctx.client("ec2", region=region or None, account_id=account_id or None)


def read_resource(ctx: AwsContext, resource: PlanResource) -> ResourceChange:
    region, account = resource.region or None, resource.account_id or None
    if resource.action == "remove-public-ip":
        ec2 = ctx.client("ec2", region=region, account_id=account)
        reservations = ec2.describe_instances(InstanceIds=[resource.resource_id])["Reservations"]
        instance = reservations[0]["Instances"][0]
        interfaces = sorted(
            instance.get("NetworkInterfaces", []),
            key=lambda e: (e.get("Attachment") or {}).get("DeviceIndex", 0),
        )
        wanted = resource.evidence.get("interface_id")
        eni = next((e for e in interfaces if e["NetworkInterfaceId"] == wanted), None) or (
            interfaces[0] if interfaces else None
        )
        association = (eni or {}).get("Association") or {}
        public_ip = association.get("PublicIp") or instance.get("PublicIpAddress")
        before: dict[str, Any] = {
            "interface_id": eni["NetworkInterfaceId"] if eni else None,
            "public_ip": public_ip,
        }
        if public_ip:
            addresses = ec2.describe_addresses(
                Filters=[{"Name": "public-ip", "Values": [public_ip]}]
            )
            for address in addresses.get("Addresses", []):
                before["allocation_id"] = address.get("AllocationId")
                before["association_id"] = address.get("AssociationId")
        return ResourceChange(resource, before, needed=bool(public_ip))
    if resource.action == "disable-public-access":
        rds = ctx.client("rds", region=region, account_id=account)
        db = rds.describe_db_instances(DBInstanceIdentifier=resource.resource_id)["DBInstances"][0]
        accessible = bool(db.get("PubliclyAccessible"))
        return ResourceChange(resource, {"publicly_accessible": accessible}, needed=accessible)
    return ResourceChange(resource, {}, needed=False)


def change_resource(ctx: AwsContext, change: ResourceChange) -> str:
    resource = change.resource
    region, account = resource.region or None, resource.account_id or None
    if resource.action == "remove-public-ip":
        ec2 = ctx.client("ec2", region=region, account_id=account)
        if change.before.get("association_id"):
            ec2.disassociate_address(AssociationId=change.before["association_id"])
            return (
                f"disassociated Elastic IP {change.before['public_ip']} from {resource.resource_id}"
            )
        ec2.modify_network_interface_attribute(
            NetworkInterfaceId=change.before["interface_id"], AssociatePublicIpAddress=False
        )
        return f"removed the public IPv4 {change.before['public_ip']} of {change.before['interface_id']}"
    rds = ctx.client("rds", region=region, account_id=account)
    rds.modify_db_instance(
        DBInstanceIdentifier=resource.resource_id, PubliclyAccessible=False, ApplyImmediately=True
    )
    return f"disabled public access to {resource.resource_id}"


def rule_json(rule: Rule) -> dict[str, Any]:
    return {"GroupId": rule.group_id, **rule.to_ec2()}


def backup_document(plan: Plan, result: ApplyResult, now: datetime) -> dict[str, Any]:
    return {
        "schema": BACKUP_SCHEMA,
        "plan": str(plan.path),
        "plan_generated_at": plan.generated_at,
        "created_at": iso(now),
        "groups": [
            {
                "group_id": c.group.group_id,
                "account_id": c.group.account_id,
                "region": c.group.region,
                "rules_before": [rule_json(r) for r in c.live],
                "revoked": [rule_json(r) for r in c.to_revoke],
                "authorized": [rule_json(r) for r in c.to_authorize],
            }
            for c in result.groups
            if c.needed
        ],
        "resources": [
            {
                "resource_id": c.resource.resource_id,
                "action": c.resource.action,
                "control": c.resource.control,
                "account_id": c.resource.account_id,
                "region": c.resource.region,
                "before": c.before,
            }
            for c in result.resources
            if c.needed
        ],
    }


def write_backup(document: dict[str, Any], backup_dir: Path, now: datetime) -> Path:
    backup_dir.mkdir(parents=True, exist_ok=True)
    path = backup_dir / f"backup-{stamp(now)}.json"
    # whole and on disk (fsynced) before the first rule changes, or an error and nothing changed;
    # the mode is the umask's, as for the plan and snapshot that hold the same rules
    write_atomically(path, json.dumps(document, indent=2) + "\n")
    return path


def summary_lines(result: ApplyResult) -> list[str]:
    lines = []
    for c in result.groups:
        if not c.needed:
            lines.append(f"{c.group.group_id}: already as planned, nothing to do")
            continue
        lines.append(
            f"{c.group.group_id} ({c.group.group_name}) in {c.group.account_id}/{c.group.region}:"
        )
        lines.extend(f"  + authorize {rule_text(r)}" for r in c.to_authorize)
        lines.extend(f"  - revoke    {rule_text(r)} ({r.rule_id})" for r in c.to_revoke)
    for rc in result.resources:
        state = "will change" if rc.needed else "already done"
        lines.append(f"{rc.resource.resource_id}: {rc.resource.action} ({state})")
    return lines


def note_findings(ctx: AwsContext, plan: Plan, result: ApplyResult, text: str) -> int:
    """BatchUpdateFindings: a note naming the plan, and workflow NOTIFIED, on the findings closed."""
    by_region: dict[tuple[str, str], list[str]] = {}
    for c in result.groups:
        for fid in c.group.findings:
            by_region.setdefault((c.group.account_id, c.group.region), []).append(fid)
    for rc in result.resources:
        for fid in rc.resource.raw.get("findings") or ():
            by_region.setdefault((rc.resource.account_id, rc.resource.region), []).append(str(fid))
    count = 0
    for (account, region), ids in by_region.items():
        hub = ctx.client("securityhub", region=region or None, account_id=account or None)
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            response = hub.batch_update_findings(
                FindingIdentifiers=[
                    {"Id": fid, "ProductArn": product_arn(fid, region)} for fid in chunk
                ],
                Note={"Text": f"{plan.label}: {text}"[:512], "UpdatedBy": "sgharden"},
                Workflow={"Status": "NOTIFIED"},
            )
            count += len(response.get("ProcessedFindings", []))
            for failed in response.get("UnprocessedFindings", []):
                result.warnings.append(
                    f"finding {failed.get('FindingIdentifier', {}).get('Id')}: {failed.get('ErrorMessage')}"
                )
    return count


def product_arn(finding_id: str, region: str) -> str:
    """Security Hub's own product ARN, in the finding's region (the ids of control findings)."""
    parts = finding_id.split(":")
    finding_region = parts[3] if len(parts) > 3 and parts[3] else region
    partition = parts[1] if len(parts) > 1 and parts[1] else "aws"
    return f"arn:{partition}:securityhub:{finding_region}::product/aws/securityhub"


def check_workspace(plan: Plan, workspace: Path) -> None:
    """Refuse (exit 3) a plan whose window's flow-log data in `workspace` is not the data it was
    made from (records added, changed or gone since `propose`), before any AWS call."""
    from sgharden.plan.fingerprint import check_plan_against_workspace
    from sgharden.workspace import open_workspace

    con = open_workspace(workspace, read_only=True)
    try:
        check_plan_against_workspace(plan, con, f"the workspace {workspace}")
    finally:
        con.close()


def apply_plan(
    plan: Plan,
    ctx: AwsContext,
    *,
    only_groups: tuple[str, ...] = (),
    include_resources: bool = False,
    backup_dir: Path = Path(DEFAULT_BACKUP_DIR),
    note: str | None = None,
    confirm: Callable[[list[str]], bool] = lambda lines: True,
    progress: Callable[[str], None] = lambda line: None,
) -> ApplyResult:
    result = ApplyResult()
    for gid in only_groups:
        chosen = plan.group(gid)
        if not chosen.has_changes:
            why = {
                "needs-more-data": "it needs more data",
                "needs-decision": "it needs a decision among the alternatives it names",
            }.get(chosen.status, "it has no change")
            raise InputError(
                f"{plan.path}: {gid} is {chosen.status}: the plan changes nothing on it ({why})",
                hint="see its warnings in the plan or the ticket report",
            )
    for group in plan.groups_to_change(only_groups):
        ec2 = ec2_for(ctx, group.account_id, group.region)
        result.groups.append(group_change(plan, group, live.live_rules(ec2, group.group_id)))
    drifted = [c for c in result.groups if c.drift]
    if drifted:
        details = "; ".join(f"{c.group.group_id}: " + ", ".join(c.drift) for c in drifted)
        raise SafetyError(
            f"refused, nothing changed: the live rules differ from the plan {plan.path.name}: {details}",
            hint="make a new snapshot and plan (`sgharden collect`, `sgharden propose`)",
        )
    if not only_groups:
        for resource in plan.resources:
            if not resource.has_changes:
                continue
            if include_resources:
                result.resources.append(read_resource(ctx, resource))
            else:
                result.printed_commands.extend(
                    [
                        f"# {resource.control} {resource.action} {resource.resource_id}",
                        *resource_commands(resource),
                    ]
                )
    if result.nothing_to_do:
        return result
    if not confirm(summary_lines(result)):
        raise SafetyError("not confirmed: nothing changed")
    now = datetime.now(UTC)
    backup = write_backup(backup_document(plan, result, now), backup_dir, now)
    result.backup = backup
    progress(f"backup of the rules to restore: {backup}")
    rollback_hint = f"undo what was done with `sgharden rollback {backup}`"
    for c in result.groups:
        if not c.needed:
            continue
        ec2 = ec2_for(ctx, c.group.account_id, c.group.region)
        try:
            live.authorize(ec2, list(c.to_authorize))
            result.done.extend(
                f"{c.group.group_id}: authorized {rule_text(r)}" for r in c.to_authorize
            )
            live.revoke(ec2, list(c.to_revoke))
            result.done.extend(f"{c.group.group_id}: revoked {rule_text(r)}" for r in c.to_revoke)
        except ClientError as exc:
            raise ChangeFailed(
                f"{c.group.group_id} in {c.group.account_id}/{c.group.region}: {exc}; stopped "
                f"(done so far: {len(result.done)} change(s); the group keeps at least its old access)",
                hint=rollback_hint,
            ) from None
        for line in result.done[-(len(c.to_authorize) + len(c.to_revoke)) :]:
            progress(line)
    for rc in result.resources:
        if not rc.needed:
            continue
        try:
            line = change_resource(ctx, rc)
        except ClientError as exc:
            raise ChangeFailed(
                f"{rc.resource.resource_id}: {exc}; stopped", hint=rollback_hint
            ) from None
        result.done.append(line)
        progress(line)
    if note:
        try:
            result.noted_findings = note_findings(ctx, plan, result, note)
        except ClientError as exc:
            result.warnings.append(f"the change is done, but the findings were not updated: {exc}")
    return result
