"""The plan JSON's rule dicts (table, Markdown) in the one wording render/rule_text.py writes."""

from __future__ import annotations

from typing import Any

from sgharden.model import Rule
from sgharden.render.rule_text import direction_text, ports_text, rule_text


def _rule(rule: dict[str, Any]) -> Rule:
    return Rule.from_ec2(rule)


def peer(rule: dict[str, Any]) -> str:
    return _rule(rule).peer


def ports(rule: dict[str, Any]) -> str:
    return ports_text(_rule(rule))


def direction(rule: dict[str, Any]) -> str:
    return direction_text(_rule(rule))


def describe(rule: dict[str, Any]) -> str:
    return rule_text(_rule(rule))
