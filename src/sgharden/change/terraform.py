"""Terraform for a group's change: `aws_vpc_security_group_ingress_rule` / `_egress_rule` resources.

For a team that manages the group in Terraform: paste the new rules, delete the revoked ones (they
are listed as comments, since Terraform has no resource for "this rule must not exist").
"""

from __future__ import annotations

import re

from sgharden.change.awscli import new_rules
from sgharden.change.rules import rule_text
from sgharden.model import Rule
from sgharden.planfile import Plan, PlanGroup

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
    return name if name[0].isalpha() else f"r_{name}"


_HCL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _hcl_char(char: str) -> str:
    # HCL knows only \n \r \t \" \\ \uNNNN \UNNNNNNNN (not JSON's \b, \f or surrogate pairs);
    # everything outside printable ASCII is written as a code point so the file stays plain ASCII
    if char in _HCL_ESCAPES:
        return _HCL_ESCAPES[char]
    code = ord(char)
    if 0x20 <= code < 0x7F:
        return char
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _hcl_string(text: str) -> str:
    # a quoted HCL string is a template: `${` and `%{` are written `$${` and `%%{` to stay literal
    body = "".join(_hcl_char(c) for c in text)
    return '"' + body.replace("${", "$${").replace("%{", "%%{") + '"'


def rule_block(rule: Rule) -> list[str]:
    kind = "egress" if rule.is_egress else "ingress"
    lines = [f'resource "aws_vpc_security_group_{kind}_rule" "{_name(rule)}" {{']
    lines.append(f"  security_group_id = {_hcl_string(rule.group_id)}")
    lines.append(f"  ip_protocol       = {_hcl_string(rule.ip_protocol)}")
    if rule.protocol != -1:
        lines.append(
            f"  from_port         = {rule.from_port if rule.from_port is not None else -1}"
        )
        lines.append(f"  to_port           = {rule.to_port if rule.to_port is not None else -1}")
    lines.append(f"  {_PEER_ARGUMENT[rule.peer_kind]:<17} = {_hcl_string(rule.peer)}")
    if rule.description:
        lines.append(f"  description       = {_hcl_string(rule.description)}")
    lines.append("}")
    return lines


def change_tf(plan: Plan, group: PlanGroup) -> str:
    out = [
        f"# {plan.label}: {group.group_id} ({group.group_name}) in {group.account_id}/{group.region}",
        "# New rules: add these resources.",
        "",
    ]
    for rule in new_rules(plan, group):
        out.extend(rule_block(rule))
        out.append("")
    if group.revoke:
        out.append("# Rules to remove: delete the resources (or inline rules) that declare these.")
        for pr in group.revoke:
            out.append(
                f"#   {rule_text(pr.rule)}" + (f"  ({pr.rule.rule_id})" if pr.rule.rule_id else "")
            )
        out.append("")
    return "\n".join(out)
