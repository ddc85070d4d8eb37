"""What a `sgharden.plan/v1` document may say: its schema id, the group statuses, the resource
actions, and how times are written. The writer (write.py), the reader (read.py) and triage take
them from here, so that the three cannot disagree (docs/plan-schema.md is the contract)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sgharden.model import Rule
from sgharden.moments import iso as iso  # how a plan writes times: re-exported for the writer

SCHEMA = "sgharden.plan/v1"


class GroupStatus(StrEnum):
    READY = "ready"
    NEEDS_MORE_DATA = "needs-more-data"
    # a world-open rule on a risky port whose real sources do not fit the limits: a person chooses
    # among the alternatives the plan names (prefix list, Session Manager, private connectivity)
    NEEDS_DECISION = "needs-decision"
    NO_CHANGE = "no-change"


class ResourceAction(StrEnum):
    REMOVE_PUBLIC_IP = "remove-public-ip"
    KEEP_PUBLIC_IP = "keep-public-ip"
    DISABLE_PUBLIC_ACCESS = "disable-public-access"
    KEEP_PUBLIC_ACCESS = "keep-public-access"
    NEEDS_MORE_DATA = "needs-more-data"
    # a risk acceptance in force (sgharden.toml) keeps the resource as it is (acceptance.py)
    ACCEPTED_RISK = "accepted-risk"


READY = GroupStatus.READY.value
NEEDS_MORE_DATA = GroupStatus.NEEDS_MORE_DATA.value
NEEDS_DECISION = GroupStatus.NEEDS_DECISION.value
NO_CHANGE = GroupStatus.NO_CHANGE.value
# the order the reader names them in its error message
GROUP_STATUSES = (READY, NEEDS_MORE_DATA, NEEDS_DECISION, NO_CHANGE)
RESOURCE_ACTIONS = tuple(a.value for a in ResourceAction)
# actions that change something; the `keep-*` ones only document why nothing changes
CHANGING_ACTIONS = (
    ResourceAction.REMOVE_PUBLIC_IP.value,
    ResourceAction.DISABLE_PUBLIC_ACCESS.value,
)


@dataclass(frozen=True)
class GroupHeader:
    """What a plan says a security group is: the writer (write.GroupPlan) and the reader
    (read.PlanGroup) both start from it and add the coverage and rules in their own types."""

    group_id: str
    group_name: str
    vpc_id: str | None
    account_id: str
    region: str
    controls: tuple[str, ...]
    findings: tuple[str, ...]
    status: str


def proposed_rules(
    current: Iterable[Rule], revoked: Iterable[Rule], authorized: Iterable[Rule]
) -> list[Rule]:
    """A group's rules once a plan is applied: current - revoked + authorized (no duplicates)."""
    gone = {r.key() for r in revoked}
    kept = [r for r in current if r.key() not in gone]
    have = {r.key() for r in kept}
    return kept + [r for r in authorized if r.key() not in have]
