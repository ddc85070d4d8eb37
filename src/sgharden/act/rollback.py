"""`sgharden rollback BACKUP.json`: put back exactly the rules (and resource settings) a backup saved.

Re-authorizes the revoked rules first (with their original descriptions), then revokes the rules the
change added — the same no-gap order as apply. Only rules the change touched are acted on; a rule
someone added since is left alone and reported. Every step looks at the live state first, so a
re-run (or a rollback of a half-done apply) does only what is still missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sgharden.act import live
from sgharden.act.apply import BACKUP_SCHEMA
from sgharden.aws.clients import AwsContext
from sgharden.errors import InputError, SafetyError
from sgharden.model import Rule
from sgharden.render.rule_text import rule_text

IAM_ACTIONS = (
    "ec2:DescribeSecurityGroupRules",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DescribeAddresses",
    "ec2:AssociateAddress",
    "ec2:ModifyNetworkInterfaceAttribute",
    "rds:DescribeDBInstances",
    "rds:ModifyDBInstance",
)


@dataclass
class RollbackResult:
    done: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)


def load_backup(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such backup", hint="`sgharden apply` prints where it saved it"
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("schema") != BACKUP_SCHEMA:
        raise InputError(
            f"{path}: schema: expected {BACKUP_SCHEMA!r}, found {document.get('schema') if isinstance(document, dict) else None!r}"
        )
    for i, group in enumerate(document.get("groups", [])):
        for key in ("group_id", "rules_before", "revoked", "authorized"):
            if key not in group:
                raise InputError(f"{path}: groups[{i}].{key}: missing")
    return document


def _rules(items: list[dict[str, Any]], group_id: str) -> list[Rule]:
    return [Rule.from_ec2(item, group_id) for item in items]


def rollback(
    backup_path: Path, ctx: AwsContext, progress: Any = lambda line: None
) -> RollbackResult:
    document = load_backup(backup_path)
    result = RollbackResult()
    for group in document.get("groups", []):
        gid = group["group_id"]
        ec2 = ctx.client(
            "ec2", region=group.get("region") or None, account_id=group.get("account_id") or None
        )
        current = live.by_key(live.live_rules(ec2, gid))
        before = _rules(group["rules_before"], gid)
        before_keys = {r.key() for r in before}
        added_keys = {r.key() for r in _rules(group["authorized"], gid)}
        # restore every rule that existed before (the revoked ones, and any removed since),
        # without the rule id: AWS gives re-created rules new ids
        missing = [
            Rule(**{**r.__dict__, "rule_id": None}) for r in before if r.key() not in current
        ]
        extra = [r for k, r in current.items() if k not in before_keys and k in added_keys]
        try:
            live.authorize(ec2, missing)
            result.done.extend(f"{gid}: restored {rule_text(r)}" for r in missing)
            live.revoke(ec2, extra)
            result.done.extend(f"{gid}: removed {rule_text(r)}" for r in extra)
        except ClientError as exc:
            raise SafetyError(
                f"{gid}: rollback stopped: {exc}",
                hint=f"re-run `sgharden rollback {backup_path}` once fixed",
            ) from None
        result.left_alone.extend(
            f"{gid}: {rule_text(r)} ({r.rule_id}) was not added by this change"
            for k, r in current.items()
            if k not in before_keys and k not in added_keys
        )
    for resource in document.get("resources", []):
        try:
            line = _restore_resource(ctx, resource)
        except ClientError as exc:
            # AWS refused (the address released since, no permission...): a safety stop like a
            # group's, not an internal error
            raise SafetyError(
                f"{resource.get('resource_id')}: rollback stopped: {exc}",
                hint=f"re-run `sgharden rollback {backup_path}` once fixed",
            ) from None
        if line:
            result.done.append(line)
    for line in result.done:
        progress(line)
    return result


def _restore_resource(ctx: AwsContext, resource: dict[str, Any]) -> str | None:
    before = resource.get("before") or {}
    region, account = resource.get("region") or None, resource.get("account_id") or None
    if resource.get("action") == "disable-public-access":
        if not before.get("publicly_accessible"):
            return None
        rds = ctx.client("rds", region=region, account_id=account)
        db = rds.describe_db_instances(DBInstanceIdentifier=resource["resource_id"])["DBInstances"][
            0
        ]
        if db.get("PubliclyAccessible"):
            return None
        rds.modify_db_instance(
            DBInstanceIdentifier=resource["resource_id"],
            PubliclyAccessible=True,
            ApplyImmediately=True,
        )
        return f"{resource['resource_id']}: public access restored"
    if resource.get("action") == "remove-public-ip" and before.get("public_ip"):
        ec2 = ctx.client("ec2", region=region, account_id=account)
        if before.get("allocation_id"):
            found = ec2.describe_addresses(AllocationIds=[before["allocation_id"]])["Addresses"]
            if found and found[0].get("AssociationId"):
                return None
            ec2.associate_address(
                AllocationId=before["allocation_id"], NetworkInterfaceId=before["interface_id"]
            )
            return f"{resource['resource_id']}: Elastic IP {before['public_ip']} re-associated"
        ec2.modify_network_interface_attribute(
            NetworkInterfaceId=before["interface_id"], AssociatePublicIpAddress=True
        )
        return f"{resource['resource_id']}: a public IPv4 address re-enabled (a new address: the old one was released)"
    return None
