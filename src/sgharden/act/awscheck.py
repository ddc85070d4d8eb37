"""`dry-run --check-aws`: every change of the plan as an AWS call with DryRun=True, plus the checks
EC2 does not make on a dry run.

EC2 answers a dry run with `DryRunOperation` (would succeed) or `UnauthorizedOperation` (the caller
lacks the permission) before it validates the request, so duplicates, missing rules, unknown
referenced groups and the rule quota are checked here against live describe calls. RDS has no dry
run: the database is looked up instead.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from sgharden.act import live
from sgharden.aws.clients import AwsContext
from sgharden.change.dry_run_report import (
    INVALID,
    LACKS_PERMISSION,
    NOT_CHECKABLE,
    WOULD_SUCCEED,
    CallCheck,
)
from sgharden.change.verdict import DEFAULT_RULE_LIMIT as DEFAULT_RULE_LIMIT
from sgharden.change.verdict import quota_families as _families
from sgharden.model import Rule
from sgharden.plan.read import Plan, PlanGroup, PlanResource
from sgharden.render.awscli import new_rules
from sgharden.render.rule_text import rule_text

_DENIED = ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException")

IAM_ACTIONS = (
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeSecurityGroups",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DescribeInstances",
    "ec2:DescribeAddresses",
    "ec2:DisassociateAddress",
    "ec2:ModifyNetworkInterfaceAttribute",
    "rds:DescribeDBInstances",
)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _dry_run(call: Any, **params: Any) -> tuple[str, str]:
    try:
        call(DryRun=True, **params)
    except ClientError as exc:
        code = _code(exc)
        if code == "DryRunOperation":
            return WOULD_SUCCEED, ""
        if code in _DENIED:
            return LACKS_PERMISSION, code
        return INVALID, f"{code}: {exc.response.get('Error', {}).get('Message', '')}"
    # A real EC2 never completes a dry run; an endpoint that does is not a check.
    return NOT_CHECKABLE, "the endpoint ignored DryRun"


def check_group(plan: Plan, group: PlanGroup, ctx: AwsContext, rule_limit: int) -> list[CallCheck]:
    ec2 = ctx.client("ec2", region=group.region or None, account_id=group.account_id or None)

    def check(call: str, change: str, outcome: str, detail: str = "") -> CallCheck:
        return CallCheck(
            group.group_id, group.account_id, group.region, call, change, outcome, detail
        )

    try:
        current = live.live_rules(ec2, group.group_id)
    except ClientError as exc:
        outcome = LACKS_PERMISSION if _code(exc) in _DENIED else INVALID
        return [check("DescribeSecurityGroupRules", f"read {group.group_id}", outcome, str(exc))]
    live_keys = live.by_key(current)
    out: list[CallCheck] = []
    additions = new_rules(plan, group)
    # authorizations come first, so the peak is the live rules plus every new one
    peak = current + [r for r in additions if r.key() not in live_keys]
    counts: dict[tuple[bool, int], int] = {}
    for r in peak:
        for family in _families(r):
            counts[(r.is_egress, family)] = counts.get((r.is_egress, family), 0) + 1
    over = {key: n for key, n in counts.items() if n > rule_limit}
    referenced = sorted({r.referenced_group_id for r in additions if r.referenced_group_id})
    unknown: set[str] = set()
    for gid in referenced:
        try:
            ec2.describe_security_groups(GroupIds=[gid])
        except ClientError as exc:
            if _code(exc).startswith("InvalidGroup"):
                unknown.add(gid)
    for rule in additions:
        direction = "Egress" if rule.is_egress else "Ingress"
        call = f"AuthorizeSecurityGroup{direction}"
        change = f"authorize {rule_text(rule)}"
        if rule.key() in live_keys:
            out.append(
                check(call, change, INVALID, "duplicate rule: it already exists (apply skips it)")
            )
        elif rule.referenced_group_id in unknown:
            out.append(
                check(call, change, INVALID, f"unknown referenced group {rule.referenced_group_id}")
            )
        elif any((rule.is_egress, f) in over for f in _families(rule)):
            n = max(over.get((rule.is_egress, f), 0) for f in _families(rule))
            detail = (
                f"rule quota: {n} {'egress' if rule.is_egress else 'ingress'} rules of this address "
                f"family at the peak (new rules are added before old ones go), limit {rule_limit}"
            )
            out.append(check(call, change, INVALID, detail))
        else:
            fn = (
                ec2.authorize_security_group_egress
                if rule.is_egress
                else ec2.authorize_security_group_ingress
            )
            out.append(
                check(
                    call,
                    change,
                    *_dry_run(fn, GroupId=group.group_id, IpPermissions=[rule.to_ip_permission()]),
                )
            )
    for pr in group.revoke:
        rule = pr.rule
        direction = "Egress" if rule.is_egress else "Ingress"
        call = f"RevokeSecurityGroup{direction}"
        change = f"revoke {rule_text(rule)}"
        found = live_keys.get(rule.key())
        if found is None:
            out.append(
                check(
                    call,
                    change,
                    INVALID,
                    "no such rule in the group now (revoked already, or drift)",
                )
            )
            continue
        fn = (
            ec2.revoke_security_group_egress
            if rule.is_egress
            else ec2.revoke_security_group_ingress
        )
        params: dict[str, Any] = {"GroupId": group.group_id}
        if found.rule_id:
            params["SecurityGroupRuleIds"] = [found.rule_id]
        else:
            params["IpPermissions"] = [
                Rule(**{**rule.__dict__, "description": None}).to_ip_permission()
            ]
        out.append(check(call, change, *_dry_run(fn, **params)))
    return out


def check_resource(resource: PlanResource, ctx: AwsContext) -> list[CallCheck]:
    region, account = resource.region or None, resource.account_id or None

    def check(call: str, change: str, outcome: str, detail: str = "") -> CallCheck:
        return CallCheck(
            resource.resource_id,
            resource.account_id,
            resource.region,
            call,
            change,
            outcome,
            detail,
        )

    if resource.action == "disable-public-access":
        rds = ctx.client("rds", region=region, account_id=account)
        try:
            db = rds.describe_db_instances(DBInstanceIdentifier=resource.resource_id)[
                "DBInstances"
            ][0]
        except ClientError as exc:
            outcome = LACKS_PERMISSION if _code(exc) in _DENIED else INVALID
            return [check("DescribeDBInstances", "find the database", outcome, str(exc))]
        state = (
            "publicly accessible"
            if db.get("PubliclyAccessible")
            else "already not publicly accessible"
        )
        return [
            check(
                "ModifyDBInstance",
                "--no-publicly-accessible",
                NOT_CHECKABLE,
                f"RDS has no dry run; the database exists and is {state}",
            )
        ]
    if resource.action != "remove-public-ip":
        return []
    from sgharden.act.apply import read_resource

    try:
        change = read_resource(ctx, resource)
    except ClientError as exc:
        outcome = LACKS_PERMISSION if _code(exc) in _DENIED else INVALID
        return [check("DescribeInstances", "find the instance", outcome, str(exc))]
    if not change.needed:
        return [
            check(
                "DescribeInstances",
                "remove the public IPv4",
                INVALID,
                "the instance has no public IPv4 now",
            )
        ]
    ec2 = ctx.client("ec2", region=region, account_id=account)
    if change.before.get("association_id"):
        return [
            check(
                "DisassociateAddress",
                f"disassociate Elastic IP {change.before['public_ip']}",
                *_dry_run(ec2.disassociate_address, AssociationId=change.before["association_id"]),
            )
        ]
    return [
        check(
            "ModifyNetworkInterfaceAttribute",
            f"no public IPv4 on {change.before['interface_id']}",
            *_dry_run(
                ec2.modify_network_interface_attribute,
                NetworkInterfaceId=change.before["interface_id"],
                AssociatePublicIpAddress=False,
            ),
        )
    ]


def check_aws(
    plan: Plan,
    ctx: AwsContext,
    rule_limit: int = DEFAULT_RULE_LIMIT,
    only_groups: tuple[str, ...] = (),
) -> list[CallCheck]:
    checks: list[CallCheck] = []
    for group in plan.groups_to_change(only_groups):
        checks.extend(check_group(plan, group, ctx, rule_limit))
    if not only_groups:
        for resource in plan.resources:
            if resource.has_changes:
                checks.extend(check_resource(resource, ctx))
    return checks
