"""When a `needs-more-data` group will be ready, in words a user acts on.

"With complete coverage the plan would revoke N" was misleading (it counted rules that would
stay, and a rule's use on an interface nobody recorded is unknown, not zero). What a user needs
is what is missing, how long until it is not, and the command that starts the clock.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass

from sgharden.analysis.coverage import Coverage
from sgharden.analysis.peer_seen import PeerSeenUse
from sgharden.model import Inventory, Rule
from sgharden.moments import iso

_S3_ARN = re.compile(r"arn:aws[a-z-]*:s3:::(?P<path>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?)")


@dataclass(frozen=True)
class Readiness:
    enis_to_cover: tuple[str, ...]
    days_to_go: float  # from now, if flow logs start today and deliver without gaps
    missing: tuple[str, ...]
    enable_command: str | None
    seen_by_peers: tuple[PeerSeenUse, ...] = ()

    def line(self) -> str:
        parts = ["not ready: " + "; ".join(self.missing)]
        if self.seen_by_peers:
            shown = ", ".join(u.text() for u in self.seen_by_peers[:5])
            more = len(self.seen_by_peers) - 5
            parts.append(
                "seen from the other side (flow logs of peer ENIs in the VPC, a lower bound: "
                f"the internet and unlogged peers are not seen): {shown}"
                + (f" and {more} more" if more > 0 else "")
            )
        days = f"{self.days_to_go:g} day(s) of complete flow logs"
        if self.enis_to_cover:
            parts.append(
                f"ready after {days} on {', '.join(self.enis_to_cover)} from when their flow "
                f"logs start (start them: {self.enable_command}), then run propose again"
            )
        else:
            parts.append(f"ready after {days} more, then run propose again")
        parts.append("nothing is changed until then")
        return "; ".join(parts)

    def seen_on(self, rule: Rule) -> str:
        """What peers' logs show on this rule's ports, for the rule's evidence ("" when nothing):
        the recorded data's "no real use" is not the whole story of an uncovered ENI."""
        seen = [u for u in self.seen_by_peers if rule.allows_port(u.protocol, u.port)]
        if not seen:
            return ""
        return "; seen from the other side (peer ENIs' flow logs, a lower bound): " + ", ".join(
            u.text() for u in seen
        )


def _share_without_late_starts(coverage: Coverage) -> float:
    """The worst ENI's share of the window in gaps other than a late start's."""
    hours = max(coverage.window.hours, 1)
    per_eni: dict[str, int] = {}
    late = {(eni, start) for eni, start, _ in coverage.late_starts()}
    for g in coverage.gaps:
        if g.kind == "not-recording" and (g.interface_id, g.end) in late:
            continue
        per_eni[g.interface_id] = per_eni.get(g.interface_id, 0) + g.hours
    return max(per_eni.values(), default=0) / hours


def destination(inventory: Inventory | None) -> str | None:
    """Where the account/region's existing S3 flow logs deliver (a new log there is read by the
    same ingest), as `flow-logs enable --destination` takes it."""
    for fl in inventory.flow_logs if inventory else ():
        if fl.destination_type == "s3" and fl.status == "ACTIVE":
            m = _S3_ARN.fullmatch(fl.destination)
            if m:
                return "s3://" + m.group("path")
    return None


def readiness(
    coverage: Coverage,
    inventory: Inventory | None,
    min_window_days: float,
    max_gap_share: float,
    snapshot_root: str | None = None,
    seen_by_peers: tuple[PeerSeenUse, ...] = (),
) -> Readiness:
    missing: list[str] = []
    to_go = 0.0
    uncovered = tuple(coverage.uncovered_enis)
    if uncovered:
        missing.append(
            f"{len(uncovered)} of {len(coverage.enis)} ENI(s) have no flow-log data in the "
            "window, so their use is unknown (not zero)"
        )
        to_go = max(to_go, min_window_days)
    days = coverage.window_days
    if coverage.enis and days < min_window_days:
        missing.append(f"the window is {days:g} of the {min_window_days:g} days needed")
        to_go = max(to_go, min_window_days - days)
    late = coverage.late_starts()
    for eni, start, recorded in late:
        # days count from when the ENI could first be recorded, not from the window's start
        missing.append(
            f"{eni} was attached, or its flow log created, after the window's start: recorded "
            f"only from {iso(start)}, {recorded:.1f} of the {min_window_days:g} days needed"
        )
        to_go = max(to_go, min_window_days - recorded)
    gap_share = coverage.gap_share
    if late:  # the hours before a late start are counted above, not as gaps
        gap_share = _share_without_late_starts(coverage)
    if gap_share > max_gap_share:
        gap_days = gap_share * days
        needed = gap_days / max_gap_share if max_gap_share > 0 else math.inf
        missing.append(
            f"the worst ENI misses {gap_share:.1%} of the window (limit {max_gap_share:.1%})"
        )
        to_go = max(to_go, needed - days)
    command = None
    if uncovered:
        snap = shlex.quote(snapshot_root) if snapshot_root else "SNAPSHOT"
        dest = destination(inventory) or "s3://BUCKET/PREFIX"
        command = f"sgharden flow-logs enable --snapshot {snap} --destination {shlex.quote(dest)}"
    return Readiness(uncovered, math.ceil(to_go * 10) / 10, tuple(missing), command, seen_by_peers)
