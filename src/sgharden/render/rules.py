"""Shared wording for rules in the human formats (table, Markdown)."""

from __future__ import annotations

from typing import Any

PEER_KEYS = ("CidrIpv4", "CidrIpv6", "ReferencedGroupId", "PrefixListId")


def peer(rule: dict[str, Any]) -> str:
    return next((str(rule[k]) for k in PEER_KEYS if rule.get(k)), "?")


def ports(rule: dict[str, Any]) -> str:
    proto = str(rule["IpProtocol"])
    if proto == "-1":
        return "all"
    lo, hi = rule.get("FromPort", -1), rule.get("ToPort", -1)
    if proto in ("icmp", "icmpv6", "1", "58"):
        return f"{proto}" if lo in (-1, None) else f"{proto} {lo}/{hi}"
    span = str(lo) if lo == hi else f"{lo}-{hi}"
    return f"{proto}/{span}"


def direction(rule: dict[str, Any]) -> str:
    return "out" if rule.get("IsEgress") else "in"


def describe(rule: dict[str, Any]) -> str:
    arrow = "to" if rule.get("IsEgress") else "from"
    return f"{direction(rule)} {ports(rule)} {arrow} {peer(rule)}"
