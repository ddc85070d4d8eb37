"""`sgharden promote PLAN`: phase 2 of a staged rollout, the revokes, group by group.

Order: the plan file must be the one staged (`fingerprint.plan_fingerprint`); every staged group's live
rules are re-read and any drift refuses the whole promotion (nothing changed), as does a staged rule
gone missing. Then each group is judged on its soak (`soak.soak_status`): a group soaked less than
`min_soak_days`, or with a real source since the stage admitted only by a rule to be revoked, is not
promoted and is named with its sources (exit 5); the others are, independently. `--refresh` writes a
plan that adds a narrow rule per blocking source, for review, and changes nothing in AWS.

The revokes are backed up first (`sgharden rollback <backup>` puts the wide rules back and leaves
the staged ones); a failure stops at once and names that command.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from botocore.exceptions import ClientError

from sgharden.act import live
from sgharden.act.apply import (
    ApplyResult,
    ChangeFailed,
    GroupChange,
    backup_document,
    ec2_for,
    group_change,
    write_backup,
)
from sgharden.act.stage import refuse_drift
from sgharden.atomic_write import write_atomically
from sgharden.aws.clients import AwsContext
from sgharden.change.soak import GroupSoak, SoakSource, soak_status
from sgharden.change.stage_record import staged_groups
from sgharden.errors import InputError, SafetyError
from sgharden.moments import iso
from sgharden.plan.read import Plan
from sgharden.render.rule_text import rule_text
from sgharden.snapshot import Snapshot

IAM_ACTIONS = (
    "ec2:DescribeSecurityGroupRules",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
)


@dataclass
class PromoteResult:
    soaks: list[GroupSoak] = field(default_factory=list)
    promoted: list[GroupChange] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # promoted before: nothing left to revoke
    backup: Path | None = None
    refreshed_plan: Path | None = None
    done: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[GroupSoak]:
        return [s for s in self.soaks if not s.ready and s.group_id not in self.already]


def promote(
    plan: Plan,
    ctx: AwsContext,
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    *,
    stage_dir: Path,
    min_soak_days: int,
    only_groups: tuple[str, ...] = (),
    refresh: Path | None = None,
    now: datetime | None = None,
    confirm: Callable[[list[str]], bool] = lambda lines: True,
    progress: Callable[[str], None] = lambda line: None,
) -> PromoteResult:
    if min_soak_days < 1:
        raise InputError(
            f"--min-soak-days {min_soak_days}: at least 1 day", hint="the default is 7 days"
        )
    staged = staged_groups(plan, stage_dir)
    if only_groups:
        missing = [g for g in only_groups if g not in staged]
        if missing:
            raise InputError(f"{', '.join(missing)}: not staged from {plan.path.name}")
        staged = {g: s for g, s in staged.items() if g in only_groups}
    changes: list[GroupChange] = []
    extra: dict[str, list[str]] = {}
    for gid in sorted(staged):
        group = plan.group(gid)
        ec2 = ec2_for(ctx, group.account_id, group.region)
        change = group_change(plan, group, live.live_rules(ec2, gid))
        changes.append(change)
        if change.to_authorize:
            extra[gid] = [f"staged rule missing: {rule_text(r)}" for r in change.to_authorize]
    refuse_drift(plan, changes, extra)
    moment = now or datetime.now(UTC)
    result = PromoteResult()
    result.soaks = soak_status(
        con, plan, snapshot, staged, moment.astimezone(UTC).replace(tzinfo=None), min_soak_days
    )
    result.already = [c.group.group_id for c in changes if not c.to_revoke]
    if refresh is not None:
        result.refreshed_plan = write_refreshed_plan(plan, result.refused, refresh, moment)
        return result  # for review: never applied here
    ready = {s.group_id for s in result.soaks if s.ready}
    todo = [c for c in changes if c.group.group_id in ready and c.to_revoke]
    if not todo:
        return result
    lines = [
        f"{c.group.group_id} ({c.group.group_name}): - revoke {rule_text(r)} ({r.rule_id})"
        for c in todo
        for r in c.to_revoke
    ]
    if not confirm(lines):
        raise SafetyError("not confirmed: nothing changed")
    # the backup's "before" is the staged state: rolling it back restores the wide rules only
    backup_changes = [replace(c, to_authorize=()) for c in todo]
    result.backup = write_backup(
        backup_document(plan, ApplyResult(groups=backup_changes), moment), stage_dir, moment
    )
    progress(f"backup of the rules to restore: {result.backup}")
    for c in todo:
        ec2 = ec2_for(ctx, c.group.account_id, c.group.region)
        try:
            live.revoke(ec2, list(c.to_revoke))
        except ClientError as exc:
            raise ChangeFailed(
                f"{c.group.group_id} in {c.group.account_id}/{c.group.region}: {exc}; stopped "
                f"(promoted so far: {len(result.promoted)} group(s); the others keep the wide rules)",
                hint=f"undo what was done with `sgharden rollback {result.backup}`",
            ) from None
        result.promoted.append(c)
        for r in c.to_revoke:
            result.done.append(f"{c.group.group_id}: revoked {rule_text(r)}")
            progress(result.done[-1])
    return result


def _host_rule(source: SoakSource, group_id: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "IsEgress": False,
        "IpProtocol": {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}.get(
            source.protocol, str(source.protocol)
        ),
        "FromPort": source.port if source.port is not None else -1,
        "ToPort": source.port if source.port is not None else -1,
    }
    if ":" in source.remote_addr:
        rule["CidrIpv6"] = f"{source.remote_addr}/128"
    else:
        rule["CidrIpv4"] = f"{source.remote_addr}/32"
    return rule


def write_refreshed_plan(plan: Plan, blocked: list[GroupSoak], out: Path, now: datetime) -> Path:
    """The plan plus one host rule per real source the soak found admitted only by a wide rule.

    Each added rule's evidence is the soak's; the group gets a warning saying so. Its
    `generated_at` is new, so the rules it adds name it; staging it soaks again.
    """
    document = copy.deepcopy(plan.raw)
    document["generated_at"] = iso(now)
    by_id = {g["group_id"]: g for g in document["groups"]}
    for soak in blocked:
        group = by_id[soak.group_id]
        have = {json.dumps(_peer(r), sort_keys=True) for r in group.get("authorize", [])}
        added = 0
        for source in sorted(soak.only_revoked, key=lambda s: (s.port or -1, s.remote_addr)):
            rule = _host_rule(source, soak.group_id)
            if json.dumps(_peer(rule), sort_keys=True) in have:
                continue
            have.add(json.dumps(_peer(rule), sort_keys=True))
            group.setdefault("authorize", []).append(
                {
                    **rule,
                    "reason": f"real source seen during the soak since {iso(soak.started_at)}",
                    "evidence": {
                        "connections": source.connections,
                        "bytes": source.bytes,
                        "source_count": 1,
                        "sources": [
                            {
                                "address": source.remote_addr,
                                "connections": source.connections,
                                "bytes": source.bytes,
                                "first_seen": iso(source.first_seen),
                                "last_seen": iso(source.last_seen),
                            }
                        ],
                        "first_seen": iso(source.first_seen),
                        "last_seen": iso(source.last_seen),
                    },
                }
            )
            added += 1
        if added:
            group.setdefault("warnings", []).append(
                f"refreshed by promote: {added} rule(s) added for real sources seen during the "
                "soak that only a rule to be revoked admitted; review them"
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, json.dumps(document, indent=2) + "\n")
    return out


def _peer(rule: dict[str, Any]) -> dict[str, Any]:
    keys = ("IsEgress", "IpProtocol", "FromPort", "ToPort", "CidrIpv4", "CidrIpv6")
    return {k: rule.get(k) for k in keys}
