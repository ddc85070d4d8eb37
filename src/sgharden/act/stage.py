"""Staged rollout, phase 1: `sgharden apply PLAN --stage` only authorizes.

A security group has no audit mode, but rules only add access: adding a group's narrow rules next to
its wide one can cut nothing. The stage record then says what was added (with the rule ids AWS gave
them), when, from which plan file, and where the backup is, so `stage status` can soak the change
on flow logs and `promote` can revoke the wide rules later (`act/promote.py`).

Same safety as `apply`: drift refused before anything changes, the rule quota checked at the peak
(old + new rules stay together for the whole soak), the backup written first, a re-run does nothing.
`sgharden rollback <backup>` of a stage removes exactly the added rules (its backup revokes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sgharden.act import live
from sgharden.act.apply import (
    ApplyResult,
    ChangeFailed,
    GroupChange,
    backup_document,
    ec2_for,
    group_change,
    rule_json,
    write_backup,
)
from sgharden.atomic_write import write_atomically
from sgharden.aws.clients import AwsContext
from sgharden.change.stage_record import STAGE_SCHEMA
from sgharden.change.verdict import DEFAULT_RULE_LIMIT
from sgharden.change.verdict import quota_families as _families
from sgharden.errors import SafetyError
from sgharden.model import Rule
from sgharden.moments import iso, stamp
from sgharden.plan.fingerprint import plan_fingerprint
from sgharden.plan.read import Plan
from sgharden.render.rule_text import rule_text

IAM_ACTIONS = (
    "ec2:DescribeSecurityGroupRules",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
)


def refuse_drift(plan: Plan, changes: list[GroupChange], extra: dict[str, list[str]]) -> None:
    drifted = {c.group.group_id: list(c.drift) + extra.get(c.group.group_id, []) for c in changes}
    details = "; ".join(f"{gid}: " + ", ".join(d) for gid, d in drifted.items() if d)
    if details:
        raise SafetyError(
            f"refused, nothing changed: the live rules differ from the plan {plan.path.name}: {details}",
            hint="make a new snapshot and plan (`sgharden collect`, `sgharden propose`)",
        )


def peak_over_quota(change: GroupChange, rule_limit: int) -> list[str]:
    """Rules per group and direction, per address family, with the new rules next to the old."""
    counts: dict[tuple[bool, int], int] = {}
    for r in (*change.live, *change.to_authorize):
        for family in _families(r):
            counts[(r.is_egress, family)] = counts.get((r.is_egress, family), 0) + 1
    return [
        f"{n} {'egress' if egress else 'ingress'} IPv{family} rules during the soak, limit {rule_limit}"
        for (egress, family), n in sorted(counts.items())
        if n > rule_limit
    ]


@dataclass
class StageResult:
    groups: list[GroupChange] = field(default_factory=list)
    backup: Path | None = None
    record: Path | None = None
    done: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not any(c.to_authorize for c in self.groups)


def stage_plan(
    plan: Plan,
    ctx: AwsContext,
    *,
    only_groups: tuple[str, ...] = (),
    backup_dir: Path,
    rule_limit: int = DEFAULT_RULE_LIMIT,
    confirm: Callable[[list[str]], bool] = lambda lines: True,
    progress: Callable[[str], None] = lambda line: None,
) -> StageResult:
    result = StageResult()
    for group in plan.groups_to_change(only_groups):
        ec2 = ec2_for(ctx, group.account_id, group.region)
        full = group_change(plan, group, live.live_rules(ec2, group.group_id))
        result.groups.append(replace(full, to_revoke=()))  # phase 1 revokes nothing
    refuse_drift(plan, result.groups, {})
    over = {c.group.group_id: peak_over_quota(c, rule_limit) for c in result.groups}
    if any(over.values()):
        details = "; ".join(f"{gid}: {', '.join(o)}" for gid, o in over.items() if o)
        raise SafetyError(
            f"refused, nothing changed: the rule quota would be exceeded: {details}",
            hint="ask AWS for a higher quota (and pass --rule-limit), or apply without --stage",
        )
    if result.nothing_to_do:
        return result
    lines = [
        f"{c.group.group_id} ({c.group.group_name}): + authorize {rule_text(r)}"
        for c in result.groups
        for r in c.to_authorize
    ]
    if not confirm([*lines, "(phase 1 of a staged rollout: nothing is revoked now)"]):
        raise SafetyError("not confirmed: nothing changed")
    now = datetime.now(UTC)
    backup = write_backup(
        backup_document(plan, ApplyResult(groups=result.groups), now), backup_dir, now
    )
    result.backup = backup
    progress(f"backup of the rules to restore: {backup}")
    added: dict[str, list[Rule]] = {}
    for c in result.groups:
        if not c.to_authorize:
            continue
        ec2 = ec2_for(ctx, c.group.account_id, c.group.region)
        try:
            live.authorize(ec2, list(c.to_authorize))
        except ClientError as exc:
            raise ChangeFailed(
                f"{c.group.group_id} in {c.group.account_id}/{c.group.region}: {exc}; stopped "
                "(nothing is revoked in phase 1: every group keeps its old access)",
                hint=f"undo what was done with `sgharden rollback {backup}`",
            ) from None
        # AWS names the new rules only once they exist: read their ids back
        now_live = live.by_key(live.live_rules(ec2, c.group.group_id))
        added[c.group.group_id] = [now_live.get(r.key(), r) for r in c.to_authorize]
        for r in c.to_authorize:
            result.done.append(f"{c.group.group_id}: authorized {rule_text(r)}")
            progress(result.done[-1])
    result.record = write_stage_record(plan, result, added, backup, now, backup_dir)
    return result


def write_stage_record(
    plan: Plan,
    result: StageResult,
    added: dict[str, list[Rule]],
    backup: Path,
    now: datetime,
    stage_dir: Path,
) -> Path:
    document = {
        "schema": STAGE_SCHEMA,
        "plan": str(plan.path.resolve()),
        "plan_fingerprint": plan_fingerprint(plan.path),
        "plan_generated_at": plan.generated_at,
        "backup": str(backup.resolve()),
        "started_at": iso(now),
        "groups": [
            {
                "group_id": c.group.group_id,
                "account_id": c.group.account_id,
                "region": c.group.region,
                "added": [rule_json(r) for r in added.get(c.group.group_id, [])],
                "to_revoke": [rule_json(r) for r in c.live if r.key() in _revoke_keys(c)],
            }
            for c in result.groups
            if c.group.group_id in added
        ],
    }
    stage_dir.mkdir(parents=True, exist_ok=True)
    path = stage_dir / f"stage-{stamp(now)}.json"
    write_atomically(path, json.dumps(document, indent=2) + "\n")
    return path


def _revoke_keys(change: GroupChange) -> set[tuple[Any, ...]]:
    return {pr.rule.key() for pr in change.group.revoke}
