"""Live state read from AWS for apply, rollback and dry-run: the rules of a group as `Rule`s."""

from __future__ import annotations

from typing import Any

from sgharden.model import Rule


def live_rules(ec2: Any, group_id: str) -> list[Rule]:
    """describe-security-group-rules for one group, every page."""
    rules = []
    paginator = ec2.get_paginator("describe_security_group_rules")
    for page in paginator.paginate(Filters=[{"Name": "group-id", "Values": [group_id]}]):
        for raw in page.get("SecurityGroupRules", []):
            if raw.get("GroupId", group_id) == group_id:
                rules.append(Rule.from_ec2(raw, group_id))
    return rules


def by_key(rules: list[Rule]) -> dict[tuple[Any, ...], Rule]:
    return {r.key(): r for r in rules}


def authorize(ec2: Any, rules: list[Rule], dry_run: bool = False) -> None:
    """One call per direction; each rule carries its own description."""
    for egress in (False, True):
        chosen = [r for r in rules if r.is_egress == egress]
        if not chosen:
            continue
        call = (
            ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
        )
        call(
            GroupId=chosen[0].group_id,
            IpPermissions=[r.to_ip_permission() for r in chosen],
            DryRun=dry_run,
        )


def revoke(ec2: Any, rules: list[Rule], dry_run: bool = False) -> None:
    """By rule id when known (exact), else by permission."""
    for egress in (False, True):
        chosen = [r for r in rules if r.is_egress == egress]
        if not chosen:
            continue
        call = ec2.revoke_security_group_egress if egress else ec2.revoke_security_group_ingress
        with_ids = [r.rule_id for r in chosen if r.rule_id]
        without = [r for r in chosen if not r.rule_id]
        if with_ids:
            call(GroupId=chosen[0].group_id, SecurityGroupRuleIds=with_ids, DryRun=dry_run)
        if without:
            perms = [
                Rule(**{**r.__dict__, "description": None}).to_ip_permission() for r in without
            ]
            call(GroupId=chosen[0].group_id, IpPermissions=perms, DryRun=dry_run)
