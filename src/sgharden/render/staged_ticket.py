"""The staged variant of a group's ticket: two phases as scripts, Terraform and a runbook.

Phase 1 only adds the new rules (nothing can be cut); the soak criterion decides; phase 2 only
revokes. Each phase has its own rollback. Shell and HCL go through the same quoting as `apply.sh`
and `change.tf` (`awscli._permission_command`, `terraform.rule_block`).
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

from sgharden.atomic_write import write_atomically
from sgharden.change.soak import DEFAULT_MIN_SOAK_DAYS
from sgharden.plan.read import Plan, PlanGroup
from sgharden.render import awscli, terraform
from sgharden.render.rule_text import rule_text
from sgharden.render.stage import _md

STAGED_FILES = (
    "stage1-apply.sh",
    "stage1-rollback.sh",
    "stage2-apply.sh",
    "stage2-rollback.sh",
    "change.stage1.tf",
    "change.stage2.tf",
    "STAGED.md",
)


def stage1_commands(plan: Plan, group: PlanGroup, rollback: bool = False) -> list[str]:
    lines = []
    for rule in awscli.new_rules(plan, group):
        lines.append(f"# {'remove' if rollback else 'authorize'} {rule_text(rule)}")
        lines.append(
            awscli._permission_command(
                "revoke" if rollback else "authorize",
                replace(rule, description=None) if rollback else rule,
                group.region,
            )
        )
    return lines


def stage2_commands(group: PlanGroup, rollback: bool = False) -> list[str]:
    lines = []
    for pr in group.revoke:
        lines.append(f"# {'restore' if rollback else 'revoke'} {rule_text(pr.rule)}")
        lines.append(
            awscli._permission_command(
                "authorize" if rollback else "revoke",
                pr.rule if rollback else replace(pr.rule, description=None),
                group.region,
            )
        )
    return lines


def stage1_tf(plan: Plan, group: PlanGroup) -> str:
    out = [
        f"# {plan.label}: {group.group_id} staged rollout, first apply: add these resources only;",
        "# keep the wide rules in your configuration until the soak says the group is ready.",
        "",
    ]
    for rule in awscli.new_rules(plan, group):
        out.extend(terraform.rule_block(rule))
        out.append("")
    return "\n".join(out)


def stage2_tf(plan: Plan, group: PlanGroup) -> str:
    out = [
        f"# {plan.label}: {group.group_id} staged rollout, second apply (after the soak):",
        "# delete the resources (or inline rules) that declare these, keep change.stage1.tf's.",
    ]
    out.extend(
        f"#   {rule_text(pr.rule)}" + (f"  ({pr.rule.rule_id})" if pr.rule.rule_id else "")
        for pr in group.revoke
    )
    return "\n".join(out) + "\n"


def runbook(plan: Plan, group: PlanGroup) -> str:
    q = shlex.quote
    gid = q(group.group_id)
    return "\n".join(
        [
            f"# Staged rollout of `{group.group_id}` {_md(group.group_name)}",
            "",
            "## Phase 1: add the narrow rules (cuts nothing)",
            "",
            "```sh",
            f"sgharden apply plan.json --stage --group {gid} --backup-dir stages/",
            "# or: sh stage1-apply.sh   (Terraform: change.stage1.tf)",
            "```",
            "",
            "Rollback of phase 1: `sgharden rollback stages/backup-<time>.json` (the backup the "
            "stage printed), or `sh stage1-rollback.sh`.",
            "",
            "## Soak criterion",
            "",
            f"At least {DEFAULT_MIN_SOAK_DAYS} days (`--min-soak-days`), and no real source since "
            "the stage admitted only by a rule to be revoked — one connection of a weekly job is "
            "enough to block. Probes do not block. Check with:",
            "",
            "```sh",
            "sgharden stage status plan.json FLOW_LOGS... --snapshot snapshot/ --stage-dir stages/",
            "```",
            "",
            "## Phase 2: revoke the wide rules",
            "",
            "```sh",
            f"sgharden promote plan.json FLOW_LOGS... --snapshot snapshot/ --stage-dir stages/ --group {gid}",
            "# or, once the soak says ready: sh stage2-apply.sh   (Terraform: change.stage2.tf)",
            "```",
            "",
            "Rules revoked in phase 2:",
            "",
            *[f"- `{rule_text(pr.rule)}`" for pr in group.revoke],
            "",
            "Rollback of phase 2: `sgharden rollback stages/backup-<time>.json` (the backup "
            "promote printed), or `sh stage2-rollback.sh`; the staged rules stay.",
            "",
        ]
    )


def write_staged(plan: Plan, group: PlanGroup, folder: Path) -> None:
    scripts = {
        "stage1-apply.sh": stage1_commands(plan, group),
        "stage1-rollback.sh": stage1_commands(plan, group, rollback=True),
        "stage2-apply.sh": stage2_commands(group),
        "stage2-rollback.sh": stage2_commands(group, rollback=True),
    }
    for name, lines in scripts.items():
        path = folder / name
        write_atomically(path, awscli.script(plan, lines), mode=0o755)
    write_atomically(folder / "change.stage1.tf", stage1_tf(plan, group))
    write_atomically(folder / "change.stage2.tf", stage2_tf(plan, group))
    write_atomically(folder / "STAGED.md", runbook(plan, group))
