"""A narrowed rule keeps the human context of the rule it replaces (offline, plan_small)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sgharden.plan.read import parse_plan
from sgharden.render.awscli import new_rules
from sgharden.render.rule_text import DESCRIPTION_MAX

PLAN = Path(__file__).resolve().parent / "fixtures" / "plan_small" / "plan.json"
WEB = "sg-0a0000000000000aa"


def web_with(descriptions: dict[str, str]) -> Any:
    doc = json.loads(PLAN.read_text())
    web = next(g for g in doc["groups"] if g["group_id"] == WEB)
    for rule in web["revoke"]:
        if rule["SecurityGroupRuleId"] in descriptions:
            rule["Description"] = descriptions[rule["SecurityGroupRuleId"]]
    plan = parse_plan(doc, PLAN)
    return plan, plan.group(WEB)


def test_a_narrowed_rule_keeps_the_original_description_with_the_marker() -> None:
    plan, web = web_with({"sgr-00000000000000001": "SSH (temporary, incident 4711)"})
    ssh = [r for r in new_rules(plan, web) if r.from_port == 22]
    assert ssh and all(
        r.description == f"SSH (temporary, incident 4711) ({plan.label})" for r in ssh
    )


def test_a_long_original_is_cut_not_the_marker() -> None:
    plan, web = web_with({"sgr-00000000000000001": "x" * 300})
    (first, *_) = [r for r in new_rules(plan, web) if r.from_port == 22]
    assert first.description is not None and len(first.description) == DESCRIPTION_MAX
    assert first.description.endswith(f" ({plan.label})")


def test_two_different_originals_are_not_guessed_between() -> None:
    plan, web = web_with(
        {"sgr-00000000000000001": "SSH for ops", "sgr-00000000000000005": "SSH for the vendor"}
    )
    for rule in new_rules(plan, web):
        assert rule.description is not None and rule.description.startswith(plan.label)
