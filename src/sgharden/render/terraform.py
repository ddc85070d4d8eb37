"""Terraform for a group's change: `aws_vpc_security_group_ingress_rule` / `_egress_rule` resources.

For a team that manages the group in Terraform: paste the new rules, delete the revoked ones (they
are listed as comments, since Terraform has no resource for "this rule must not exist").
"""

from __future__ import annotations

import re

from sgharden.model import Rule
from sgharden.plan.read import Plan, PlanGroup
from sgharden.render.awscli import new_rules
from sgharden.render.escape import hcl_comment, hcl_string
from sgharden.render.rule_text import rule_text

_PEER_ARGUMENT = {
    "CidrIpv4": "cidr_ipv4",
    "CidrIpv6": "cidr_ipv6",
    "ReferencedGroupId": "referenced_security_group_id",
    "PrefixListId": "prefix_list_id",
}


def _name(rule: Rule) -> str:
    ports = "all" if rule.protocol == -1 else f"{rule.from_port}_{rule.to_port}"
    raw = f"{rule.group_id}_{'egress' if rule.is_egress else 'ingress'}_{rule.ip_protocol}_{ports}_{rule.peer}"
    name = re.sub(r"[^a-zA-Z0-9_]", "_", raw).strip("_").lower()
    return name if name[:1].isalpha() else f"r_{name}"


def rule_block(rule: Rule) -> list[str]:
    kind = "egress" if rule.is_egress else "ingress"
    lines = [f'resource "aws_vpc_security_group_{kind}_rule" "{_name(rule)}" {{']
    lines.append(f"  security_group_id = {hcl_string(rule.group_id)}")
    lines.append(f"  ip_protocol       = {hcl_string(rule.ip_protocol)}")
    if rule.protocol != -1:
        lines.append(
            f"  from_port         = {int(rule.from_port) if rule.from_port is not None else -1}"
        )
        lines.append(
            f"  to_port           = {int(rule.to_port) if rule.to_port is not None else -1}"
        )
    lines.append(f"  {_PEER_ARGUMENT[rule.peer_kind]:<17} = {hcl_string(rule.peer)}")
    if rule.description:
        lines.append(f"  description       = {hcl_string(rule.description)}")
    lines.append("}")
    return lines


_INLINE_PEER = {
    "CidrIpv4": "cidr_blocks",
    "CidrIpv6": "ipv6_cidr_blocks",
    "ReferencedGroupId": "security_groups",
    "PrefixListId": "prefix_list_ids",
}


def inline_block(rule: Rule) -> list[str]:
    """An `ingress`/`egress` block of `aws_default_security_group` (its own argument names:
    lists of peers, protocol "-1" with ports 0)."""
    kind = "egress" if rule.is_egress else "ingress"
    every = rule.protocol == -1 or rule.from_port is None
    lo = 0 if every else int(rule.from_port or 0)
    hi = 0 if every else int(rule.to_port if rule.to_port is not None else lo)
    lines = [f"  {kind} {{"]
    lines.append(f"    protocol  = {hcl_string(rule.ip_protocol)}")
    lines.append(f"    from_port = {lo}")
    lines.append(f"    to_port   = {hi}")
    if rule.peer_kind == "ReferencedGroupId" and rule.peer == rule.group_id:
        lines.append("    self      = true")
    else:
        lines.append(f"    {_INLINE_PEER[rule.peer_kind]} = [{hcl_string(rule.peer)}]")
    if rule.description:
        lines.append(f"    description = {hcl_string(rule.description)}")
    lines.append("  }")
    return lines


def default_group_tf(plan: Plan, group: PlanGroup) -> str:
    """The VPC's default group as Terraform manages it: `aws_default_security_group` adopts the
    group (no import) and, on apply, removes every rule not declared in it; so the change is the
    rules that stay (kept + authorized) and nothing else. With none, the group allows nothing,
    which is what EC2.2 asks."""
    revoked = {pr.rule.key() for pr in group.revoke}
    remaining = [pr.rule for pr in group.keep if pr.rule.key() not in revoked]
    remaining.extend(new_rules(plan, group))
    out = [
        hcl_comment(f"{plan.label}: {group.group_id} in {group.account_id}/{group.region}"),
        "# The VPC's default security group: Terraform adopts it and removes every rule not",
        "# declared below. The rules it removes:",
    ]
    for pr in group.revoke:
        rule_id = f"  ({pr.rule.rule_id})" if pr.rule.rule_id else ""
        out.append(hcl_comment(f"  {rule_text(pr.rule)}{rule_id}"))
    name = re.sub(r"[^a-zA-Z0-9_]", "_", f"default_{group.vpc_id or group.group_id}").lower()
    out.append("")
    out.append(f'resource "aws_default_security_group" "{name}" {{')
    if group.vpc_id:
        out.append(f"  vpc_id = {hcl_string(group.vpc_id)}")
    for rule in remaining:
        out.extend(inline_block(rule))
    out.append("}")
    out.append("")
    return "\n".join(out)


def change_tf(plan: Plan, group: PlanGroup) -> str:
    if group.group_name == "default":  # AWS reserves the name for the VPC's default group
        return default_group_tf(plan, group)
    out = [
        # ids only (checked against AWS's grammar when read); free text such as the group name
        # stays out of comments altogether
        hcl_comment(f"{plan.label}: {group.group_id} in {group.account_id}/{group.region}"),
        "# New rules: add these resources.",
        "",
    ]
    for rule in new_rules(plan, group):
        out.extend(rule_block(rule))
        out.append("")
    if group.revoke:
        out.append("# Rules to remove: delete the resources (or inline rules) that declare these.")
        for pr in group.revoke:
            rule_id = f"  ({pr.rule.rule_id})" if pr.rule.rule_id else ""
            out.append(hcl_comment(f"  {rule_text(pr.rule)}{rule_id}"))
        out.append("")
    return "\n".join(out)
