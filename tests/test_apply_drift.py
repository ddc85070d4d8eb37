"""apply's decision before it touches AWS, one case per test (issue 16: mutants of change/apply.py
that no test caught). `group_change` compares a group's live rules with the plan: any drift refuses
the whole apply, and what is left to do must be exactly the plan's change, nothing more, nothing
twice. Pure functions: the live rules are given, as `live.live_rules` would read them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from change_world import FIXTURE

from sgharden.act.apply import (
    ApplyResult,
    GroupChange,
    ResourceChange,
    backup_document,
    group_change,
    product_arn,
    summary_lines,
    write_backup,
)
from sgharden.model import Rule
from sgharden.plan.read import Plan, PlanGroup, load_plan
from sgharden.render.awscli import new_rules
from sgharden.render.rule_text import rule_text

WEB = "sg-0a0000000000000aa"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(FIXTURE / "plan.json")


def web(plan: Plan) -> PlanGroup:
    return plan.group(WEB)


def live(rules: list[Rule], prefix: str = "sgr-live") -> list[Rule]:
    """Rules as AWS lists them: with ids of their own (never the plan's)."""
    return [replace(r, rule_id=f"{prefix}{i}") for i, r in enumerate(rules)]


def as_planned(group: PlanGroup) -> list[Rule]:
    return live([pr.rule for pr in group.keep + group.revoke])


def test_the_plan_sample_has_what_these_tests_need(plan: Plan) -> None:
    g = web(plan)
    assert len(g.keep) >= 2 and len(g.revoke) >= 2 and len(g.authorize) >= 2


def test_live_rules_as_planned_give_the_plans_change_with_the_live_ids(plan: Plan) -> None:
    g = web(plan)
    rules = as_planned(g)
    change = group_change(plan, g, rules)
    assert change.drift == ()
    assert change.live == tuple(rules)
    assert change.to_authorize == tuple(new_rules(plan, g))
    assert all(r.description and plan.label in r.description for r in change.to_authorize)
    # revoked by the live rule (its id), not the plan's copy
    revoked = {r.key(): r for r in rules[len(g.keep) :]}
    assert change.to_revoke == tuple(revoked[pr.rule.key()] for pr in g.revoke)
    assert all(r.rule_id and r.rule_id.startswith("sgr-live") for r in change.to_revoke)
    assert change.needed


def test_a_kept_rule_missing_is_drift(plan: Plan) -> None:
    g = web(plan)
    rules = as_planned(g)
    gone = rules.pop(1)  # the second kept rule: every kept rule is checked, not just the first
    change = group_change(plan, g, rules)
    assert change.drift == (f"kept rule missing: {_text(gone)}",)


def test_a_rule_the_plan_does_not_know_is_drift_and_named_by_its_id(plan: Plan) -> None:
    g = web(plan)
    stranger = Rule(WEB, False, "tcp", 9999, 9999, cidr_ipv4="10.9.9.9/32", rule_id="sgr-x")
    change = group_change(plan, g, [*as_planned(g), stranger])
    assert change.drift == (f"rule not in the plan: {_text(stranger)} (sgr-x)",)
    no_id = replace(stranger, rule_id=None)
    assert group_change(plan, g, [*as_planned(g), no_id]).drift == (
        f"rule not in the plan: {_text(no_id)} (no id)",
    )


def test_a_rule_to_revoke_gone_before_the_new_rules_exist_is_drift(plan: Plan) -> None:
    g = web(plan)
    rules = as_planned(g)
    second_revoked = rules.pop(len(g.keep) + 1)
    change = group_change(plan, g, rules)
    assert change.drift == (f"rule to revoke already gone: {_text(second_revoked)}",)
    # one new rule in place is not all of them: still someone else's change
    partly = group_change(plan, g, [*rules, *live(new_rules(plan, g)[:1], "sgr-new")])
    assert partly.drift == (f"rule to revoke already gone: {_text(second_revoked)}",)


def test_after_a_half_done_apply_only_the_rest_is_left(plan: Plan) -> None:
    # every new rule authorized, one old rule revoked, then a failure: a re-run finishes the job
    g = web(plan)
    rules = as_planned(g)
    rules.pop(len(g.keep))
    added = live(new_rules(plan, g), "sgr-new")
    change = group_change(plan, g, [*rules, *added])
    assert change.drift == ()
    assert change.to_authorize == ()
    assert [r.key() for r in change.to_revoke] == [pr.rule.key() for pr in g.revoke[1:]]
    assert change.needed


def test_after_a_finished_apply_nothing_is_left(plan: Plan) -> None:
    g = web(plan)
    done = [*live([pr.rule for pr in g.keep]), *live(new_rules(plan, g), "sgr-new")]
    change = group_change(plan, g, done)
    assert change.drift == () and change.to_authorize == () and change.to_revoke == ()
    assert not change.needed
    result = ApplyResult(groups=[change])
    assert result.nothing_to_do
    assert summary_lines(result) == [f"{WEB}: already as planned, nothing to do"]


def test_only_what_needs_doing_is_needed(plan: Plan) -> None:
    g = web(plan)
    authorize_only = GroupChange(g, (), tuple(new_rules(plan, g)), (), ())
    revoke_only = GroupChange(g, (), (), tuple(as_planned(g)), ())
    assert authorize_only.needed and revoke_only.needed
    resource = plan.resources[0]
    assert ApplyResult(resources=[ResourceChange(resource, {}, needed=False)]).nothing_to_do
    assert not ApplyResult(resources=[ResourceChange(resource, {}, needed=True)]).nothing_to_do
    assert not ApplyResult(groups=[revoke_only]).nothing_to_do


def test_the_backup_holds_exactly_what_rollback_needs(plan: Plan, tmp_path: Path) -> None:
    g = web(plan)
    change = group_change(plan, g, as_planned(g))
    idle = GroupChange(plan.group("sg-0b0000000000000bb"), (), (), (), ())  # already done
    resource = plan.resources[1]
    result = ApplyResult(
        groups=[change, idle],
        resources=[
            ResourceChange(resource, {"publicly_accessible": True}, needed=True),
            ResourceChange(plan.resources[0], {}, needed=False),
        ],
    )
    now = datetime(2026, 12, 1, 2, 3, 4, 567891, tzinfo=UTC)
    doc = backup_document(plan, result, now)
    assert doc["schema"] == "sgharden.backup/v1"
    assert doc["created_at"] == "2026-12-01T02:03:04Z"
    assert doc["plan_generated_at"] == plan.generated_at
    assert doc["plan"] == str(plan.path)
    assert [x["group_id"] for x in doc["groups"]] == [WEB]  # groups with nothing to do left out
    saved = doc["groups"][0]
    assert (saved["account_id"], saved["region"]) == (g.account_id, g.region)
    assert saved["rules_before"] == [{"GroupId": WEB, **r.to_ec2()} for r in change.live]
    assert saved["revoked"] == [{"GroupId": WEB, **r.to_ec2()} for r in change.to_revoke]
    assert saved["authorized"] == [{"GroupId": WEB, **r.to_ec2()} for r in change.to_authorize]
    assert doc["resources"] == [
        {
            "resource_id": resource.resource_id,
            "action": resource.action,
            "control": resource.control,
            "account_id": resource.account_id,
            "region": resource.region,
            "before": {"publicly_accessible": True},
        }
    ]
    path = write_backup(doc, tmp_path / "new" / "dir", now)
    assert path == tmp_path / "new" / "dir" / "backup-20261201T020304567891Z.json"
    assert path.read_text(encoding="utf-8").endswith("}\n")


def test_the_summary_lists_every_change_before_confirmation(plan: Plan) -> None:
    g = web(plan)
    change = group_change(plan, g, as_planned(g))
    resources = [
        ResourceChange(plan.resources[0], {}, needed=True),
        ResourceChange(plan.resources[1], {}, needed=False),
    ]
    lines = summary_lines(ApplyResult(groups=[change], resources=resources))
    assert lines[0] == f"{WEB} ({g.group_name}) in {g.account_id}/{g.region}:"
    assert lines[1 : 1 + len(change.to_authorize)] == [
        f"  + authorize {_text(r)}" for r in change.to_authorize
    ]
    assert lines[1 + len(change.to_authorize) : -2] == [
        f"  - revoke    {_text(r)} ({r.rule_id})" for r in change.to_revoke
    ]
    assert lines[-2:] == [
        f"{plan.resources[0].resource_id}: {plan.resources[0].action} (will change)",
        f"{plan.resources[1].resource_id}: {plan.resources[1].action} (already done)",
    ]


def test_findings_are_noted_under_security_hubs_product_in_their_own_region() -> None:
    fid = "arn:aws-cn:securityhub:cn-north-1:111122223333:subscription/x/finding/abc"
    assert product_arn(fid, "us-east-1") == (
        "arn:aws-cn:securityhub:cn-north-1::product/aws/securityhub"
    )
    # an id that is no ARN: the group's region and the commercial partition
    assert (
        product_arn("abc", "eu-west-1") == "arn:aws:securityhub:eu-west-1::product/aws/securityhub"
    )
    assert product_arn("arn::securityhub::x", "eu-west-1") == (
        "arn:aws:securityhub:eu-west-1::product/aws/securityhub"
    )


def _text(rule: Rule) -> str:
    return rule_text(rule)


def test_every_group_that_needs_a_change_is_summarised(plan: Plan) -> None:
    # a group with nothing left to do first must not hide the groups after it
    done = GroupChange(plan.group("sg-0b0000000000000bb"), (), (), (), ())
    g = web(plan)
    lines = summary_lines(ApplyResult(groups=[done, group_change(plan, g, as_planned(g))]))
    assert lines[0] == "sg-0b0000000000000bb: already as planned, nothing to do"
    assert lines[1] == f"{WEB} ({g.group_name}) in {g.account_id}/{g.region}:"


def test_a_second_backup_goes_beside_the_first(tmp_path: Path) -> None:
    first = write_backup({"n": 1}, tmp_path / "b", datetime(2026, 12, 1, tzinfo=UTC))
    second = write_backup({"n": 2}, tmp_path / "b", datetime(2026, 12, 2, tzinfo=UTC))
    assert first != second and first.exists() and second.exists()


def test_product_arns_of_short_or_odd_finding_ids() -> None:
    hub = "::product/aws/securityhub"
    assert product_arn("arn:aws:securityhub", "eu-west-1") == f"arn:aws:securityhub:eu-west-1{hub}"
    assert (
        product_arn("arn:aws:securityhub:eu-west-2", "x") == f"arn:aws:securityhub:eu-west-2{hub}"
    )
    assert product_arn("arn:aws-cn", "cn-north-1") == f"arn:aws-cn:securityhub:cn-north-1{hub}"


def test_a_re_run_on_a_group_that_keeps_nothing_is_not_drift(plan: Plan) -> None:
    # every old rule revoked, only the new ones live: exactly the new rules, no more
    g = replace(web(plan), keep=())
    change = group_change(plan, g, live(new_rules(plan, g), "sgr-new"))
    assert change.drift == () and not change.needed
