"""How a rule is written for people (the only writer of that wording), and its AWS description."""

from __future__ import annotations

import re

from sgharden.model import Rule

# EC2 accepts these characters in a rule description, up to 255 of them.
_DESCRIPTION_CHARS = re.compile(r"[^a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]")
DESCRIPTION_MAX = 255


def rule_description(plan_label: str, reason: str) -> str:
    """`sgharden plan <generated_at>: <reason>`, in EC2's charset and length."""
    text = _DESCRIPTION_CHARS.sub("_", f"{plan_label}: {reason}" if reason else plan_label)
    return text[:DESCRIPTION_MAX]


def kept_description(original: str, plan_label: str) -> str:
    """A narrowed rule keeps the human context of the rule it replaces ("SSH (temporary, incident
    4711)"), with the plan's marker appended; the original is what gets cut at EC2's 255."""
    marker = f" ({plan_label})"
    text = _DESCRIPTION_CHARS.sub("_", original.strip())
    return text[: DESCRIPTION_MAX - len(marker)] + _DESCRIPTION_CHARS.sub("_", marker)


def narrowed_from(rule: Rule, revoked: list[Rule]) -> str | None:
    """The description of the revoked rule `rule` narrows (same direction, protocol and ports),
    when exactly one such description exists."""
    found = {
        r.description.strip()
        for r in revoked
        if r.description
        and r.description.strip()
        and r.is_egress == rule.is_egress
        and r.protocol == rule.protocol
        and r.port_range() == rule.port_range()
    }
    return found.pop() if len(found) == 1 else None


def ports_text(rule: Rule) -> str:
    if rule.protocol == -1:
        return "all traffic"
    proto = rule.ip_protocol if not rule.ip_protocol.isdigit() else f"protocol {rule.ip_protocol}"
    if rule.protocol in (1, 58):
        if rule.from_port in (None, -1):
            return f"{proto} all"
        return f"{proto} type {rule.from_port}" + (
            f" code {rule.to_port}" if rule.to_port not in (None, -1) else ""
        )
    lo, hi = rule.port_range()
    if (lo, hi) == (0, 65535):
        return f"{proto} all ports"
    return f"{proto} {lo}" if lo == hi else f"{proto} {lo}-{hi}"


def direction_text(rule: Rule) -> str:
    return "egress" if rule.is_egress else "ingress"


def rule_text(rule: Rule) -> str:
    """`ingress tcp 22 from 0.0.0.0/0`: the one wording of a rule, in every output for people."""
    preposition = "to" if rule.is_egress else "from"
    return f"{direction_text(rule)} {ports_text(rule)} {preposition} {rule.peer}"
