"""AWS CLI commands for a change and its rollback: `apply.sh` / `rollback.sh` in a ticket.

New rules are authorized before old ones are revoked, so no moment exists when the traffic the
plan keeps is cut. Revokes name the permission (not the rule id), so the script also works when the
rule ids in the snapshot are stale; the rules' own descriptions are carried into the rollback.
"""

from __future__ import annotations

import json
from dataclasses import replace

from sgharden.errors import InputError
from sgharden.model import Rule
from sgharden.plan.read import Plan, PlanGroup, PlanResource
from sgharden.render.escape import shell_arg, shell_comment
from sgharden.render.rule_text import (
    kept_description,
    narrowed_from,
    rule_description,
    rule_text,
)

SHEBANG = "#!/bin/sh\n{comment}\nset -eu\n"


def _permission_command(verb: str, rule: Rule, region: str) -> str:
    direction = "egress" if rule.is_egress else "ingress"
    perms = json.dumps([rule.to_ip_permission()], separators=(",", ":"))
    return (
        f"aws ec2 {verb}-security-group-{direction} --region {shell_arg(region)} "
        f"--group-id {shell_arg(rule.group_id)} --ip-permissions {shell_arg(perms)}"
    )


def new_rules(plan: Plan, group: PlanGroup) -> list[Rule]:
    """The group's authorizations as they will exist in AWS: with a description naming the plan."""
    revoked = [pr.rule for pr in group.revoke]
    out = []
    for pr in group.authorize:
        original = narrowed_from(pr.rule, revoked)
        description = (
            kept_description(original, plan.label)
            if original
            else rule_description(plan.label, pr.reason)
        )
        out.append(replace(pr.rule, description=description, rule_id=None))
    return out


def apply_commands(plan: Plan, group: PlanGroup) -> list[str]:
    lines = []
    for rule in new_rules(plan, group):
        lines.append(shell_comment(f"authorize {rule_text(rule)}"))
        lines.append(_permission_command("authorize", rule, group.region))
    for pr in group.revoke:
        lines.append(shell_comment(f"revoke {rule_text(pr.rule)}"))
        lines.append(
            _permission_command("revoke", replace(pr.rule, description=None), group.region)
        )
    return lines


def rollback_commands(plan: Plan, group: PlanGroup) -> list[str]:
    """Undo `apply_commands`: re-authorize what was revoked first, then revoke what was added."""
    lines = []
    for pr in group.revoke:
        lines.append(shell_comment(f"restore {rule_text(pr.rule)}"))
        lines.append(_permission_command("authorize", pr.rule, group.region))
    for rule in new_rules(plan, group):
        lines.append(shell_comment(f"remove {rule_text(rule)}"))
        lines.append(_permission_command("revoke", replace(rule, description=None), group.region))
    return lines


def _public_interface(resource: PlanResource) -> tuple[str, str]:
    """The instance's ENI and public IP from the plan's evidence: `interfaces` (a list, as the
    planner writes it) or `interface_id` (older plans). Which of several ENIs holds the address
    is not in the plan, so a script for such an instance is refused rather than guessed."""
    ev = resource.evidence
    public_ip = ev.get("public_ip")
    enis = [str(e) for e in ev.get("interfaces") or []] or (
        [str(ev["interface_id"])] if ev.get("interface_id") else []
    )
    if not public_ip or len(enis) != 1:
        raise InputError(
            f"{resource.resource_id}: the plan's evidence names "
            f"{len(enis)} interface(s) and {'a' if public_ip else 'no'} public IP; "
            "a script needs exactly one interface and the address: re-run propose"
        )
    return enis[0], str(public_ip)


def resource_commands(resource: PlanResource, rollback: bool = False) -> list[str]:
    """EC2.9 and RDS.2 changes as shell. For EC2.9 the script finds out whether the address is an
    Elastic IP (disassociate it: the allocation is kept, so rollback can re-associate the same
    address) or an auto-assigned one (switch it off on the interface: rollback gets a new address).
    """
    region = shell_arg(resource.region or "us-east-1")
    if resource.action == "disable-public-access":
        flag = "--publicly-accessible" if rollback else "--no-publicly-accessible"
        return [
            f"aws rds modify-db-instance --region {region} "
            f"--db-instance-identifier {shell_arg(resource.resource_id)} {flag} --apply-immediately"
        ]
    if resource.action != "remove-public-ip":
        return []
    eni, public_ip = _public_interface(resource)
    eni_q, ip_q = shell_arg(str(eni)), shell_arg(str(public_ip))
    if rollback:
        return [
            f"alloc=$(aws ec2 describe-addresses --region {region} --public-ips {ip_q} "
            "--query 'Addresses[0].AllocationId' --output text 2>/dev/null || true)",
            'if [ -n "$alloc" ] && [ "$alloc" != "None" ]; then',
            f'  aws ec2 associate-address --region {region} --allocation-id "$alloc" '
            f"--network-interface-id {eni_q}",
            "else",
            f"  aws ec2 modify-network-interface-attribute --region {region} "
            f"--network-interface-id {eni_q} --associate-public-ip-address",
            "fi",
        ]
    return [
        f"assoc=$(aws ec2 describe-addresses --region {region} --public-ips {ip_q} "
        "--query 'Addresses[0].AssociationId' --output text 2>/dev/null || true)",
        'if [ -n "$assoc" ] && [ "$assoc" != "None" ]; then',
        f'  aws ec2 disassociate-address --region {region} --association-id "$assoc"',
        "else",
        f"  aws ec2 modify-network-interface-attribute --region {region} "
        f"--network-interface-id {eni_q} --no-associate-public-ip-address",
        "fi",
    ]


def script(plan: Plan, lines: list[str]) -> str:
    return (
        SHEBANG.format(
            comment=shell_comment(
                f"Generated by sgharden from {plan.label}. Stops at the first error."
            )
        )
        + "\n".join(lines)
        + "\n"
    )
