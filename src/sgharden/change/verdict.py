"""The dry-run verdict per group, as TICKET.md and report.html carry it.

A reviewer signs the ticket, not dry-run.md: the ticket must say, for its group, whether the
replay of the window cuts real use, which scanners it shuts out, and whether the group stays
under the rule quota at the peak (new rules are authorized before old ones are revoked). The
replay is the one `sgharden dry-run` makes (change/replay.py); no AWS call is made here, so the
quota is counted against the snapshot's rules (`dry-run --check-aws` counts the live ones).
"""

from __future__ import annotations

from dataclasses import dataclass

from sgharden.change.replay import ReplayResult
from sgharden.model import Rule
from sgharden.plan.read import Plan, PlanGroup
from sgharden.render.awscli import new_rules
from sgharden.snapshot import Snapshot

# EC2's default quota "Inbound or outbound rules per security group", enforced separately for IPv4
# and IPv6 rules; a rule with a referenced group or prefix list counts towards both. Declared here
# (offline) so the ticket's verdict and act/awscheck's live check count the same way.
DEFAULT_RULE_LIMIT = 60


def quota_families(rule: Rule) -> tuple[int, ...]:
    """The address families whose quota a rule counts towards."""
    if rule.cidr_ipv4 is not None:
        return (4,)
    if rule.cidr_ipv6 is not None:
        return (6,)
    return (4, 6)


@dataclass(frozen=True)
class GroupVerdict:
    group_id: str
    real_cut_connections: int
    real_cut_sources: int
    probe_connections: int
    probe_sources: int
    # (direction, address family, rules at the peak), one per pair the group has rules in
    peak_rules: tuple[tuple[str, str, int], ...]
    rule_limit: int
    replayed: int  # connections judged on this group's interfaces

    @property
    def over_quota(self) -> bool:
        return any(n > self.rule_limit for _, _, n in self.peak_rules)

    @property
    def safe(self) -> bool:
        return self.real_cut_connections == 0 and not self.over_quota

    @property
    def headline(self) -> str:
        if self.safe:
            return "safe to apply: the replay of the window cuts no real use"
        why = []
        if self.real_cut_connections:
            why.append(
                f"it would cut {self.real_cut_connections} real connection(s) from "
                f"{self.real_cut_sources} source(s)"
            )
        if self.over_quota:
            why.append(f"over the rule quota of {self.rule_limit} at the peak")
        return "NOT safe to apply: " + "; ".join(why)


def _peak(current: list[Rule], additions: list[Rule]) -> tuple[tuple[str, str, int], ...]:
    keys = {r.key() for r in current}
    counts: dict[tuple[str, str], int] = {}
    for r in current + [a for a in additions if a.key() not in keys]:
        for family in quota_families(r):
            key = ("egress" if r.is_egress else "ingress", f"IPv{family}")
            counts[key] = counts.get(key, 0) + 1
    return tuple((d, f, n) for (d, f), n in sorted(counts.items()))


def group_verdicts(
    plan: Plan,
    snapshot: Snapshot,
    result: ReplayResult,
    rule_limit: int = DEFAULT_RULE_LIMIT,
) -> dict[str, GroupVerdict]:
    """Per group with changes, its verdict from the replay `result`."""
    out = {}
    for group in plan.groups_to_change():
        denied = [d for d in result.denied if group.group_id in d.group_ids]
        real = [d for d in denied if not d.is_probe]
        probes = [d for d in denied if d.is_probe]
        inv = snapshot.inventory(group.account_id, group.region)
        sg = inv.security_groups.get(group.group_id) if inv else None
        current = list(sg.rules) if sg else [pr.rule for pr in (*group.revoke, *group.keep)]
        out[group.group_id] = GroupVerdict(
            group_id=group.group_id,
            real_cut_connections=sum(d.connections for d in real),
            real_cut_sources=len({d.remote_addr for d in real}),
            probe_connections=sum(d.connections for d in probes),
            probe_sources=len({d.remote_addr for d in probes}),
            peak_rules=_peak(current, new_rules(plan, group)),
            rule_limit=rule_limit,
            replayed=sum(1 for gids, _, _ in result.judged if group.group_id in gids),
        )
    return out


def verdict_for(verdicts: dict[str, GroupVerdict] | None, group: PlanGroup) -> GroupVerdict | None:
    return verdicts.get(group.group_id) if verdicts else None
