"""A staged rollout's records read back: which groups are staged, since when, with which added
rules, from which plan file. `stage status` (change/soak.py) and `promote` (act/promote.py) both
read them; act/stage.py writes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sgharden.errors import InputError, SafetyError
from sgharden.model import Rule
from sgharden.plan.fingerprint import plan_fingerprint
from sgharden.plan.read import Plan, parse_time

STAGE_SCHEMA = "sgharden.stage/v1"


@dataclass(frozen=True)
class StagedGroup:
    """One group of a stage record: when its soak started, and the rules the stage added."""

    group_id: str
    started_at: datetime  # naive UTC, the workspace's convention
    record: Path
    backup: Path
    added: tuple[Rule, ...]


def load_stage_record(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("schema") != STAGE_SCHEMA:
        raise InputError(f"{path}: schema: expected {STAGE_SCHEMA!r}")
    for key in ("plan", "plan_fingerprint", "backup", "started_at", "groups"):
        if key not in document:
            raise InputError(f"{path}: {key}: missing")
    try:
        parse_time(str(document["started_at"]))
    except ValueError:
        raise InputError(f"{path}: started_at: not an ISO 8601 time") from None
    for i, group in enumerate(document["groups"]):
        if not isinstance(group, dict) or not isinstance(group.get("group_id"), str):
            raise InputError(f"{path}: groups[{i}].group_id: missing")
        if not isinstance(group.get("added"), list):
            raise InputError(f"{path}: groups[{i}].added: missing")
    return document


def staged_groups(plan: Plan, stage_dir: Path) -> dict[str, StagedGroup]:
    """The plan's staged groups from the records in `stage_dir` (the earliest stage of each).

    A record made from the same plan path whose fingerprint differs means the plan file changed
    since it was staged: refused, since the soak judged other rules than the ones it would revoke.
    """
    found: dict[str, StagedGroup] = {}
    changed: list[Path] = []
    wanted = plan_fingerprint(plan.path)
    for path in sorted(stage_dir.glob("stage-*.json")) if stage_dir.is_dir() else []:
        document = load_stage_record(path)
        if document["plan_fingerprint"] != wanted:
            if Path(document["plan"]) == plan.path.resolve():
                changed.append(path)
            continue
        started = parse_time(str(document["started_at"]))
        for group in document["groups"]:
            gid = group["group_id"]
            if gid in found and found[gid].started_at <= started:
                continue
            found[gid] = StagedGroup(
                gid,
                started,
                path,
                Path(document["backup"]),
                tuple(Rule.from_ec2(r, gid) for r in group["added"]),
            )
    if changed and not found:
        raise SafetyError(
            f"{plan.path}: the plan file changed since it was staged ({changed[-1].name} has "
            "another fingerprint): the soak judged other rules",
            hint="stage the new plan with `sgharden apply PLAN --stage` (it soaks again)",
        )
    if not found:
        raise InputError(
            f"{stage_dir}: no stage record of {plan.path.name}",
            hint=f"stage it first: `sgharden apply {plan.path} --stage`",
        )
    return found
