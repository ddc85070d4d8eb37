"""`sgharden stage status`: what the soak of a staged rollout shows, per staged group.

The judgement is the dry-run's replay (`change/replay.py`) over the connections since the stage
started: each connection on a staged group's interfaces is matched (analysis/matching.py) against
the interface's rules now and after the revokes. Allowed after = admitted by the rules that will
remain; allowed now only = admitted only by a rule to be revoked. Probes are the `probe_like`
judgement of the connections query. A real source of the second kind blocks the promotion,
however rarely it was seen: a weekly job shows up once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from sgharden.analysis.connections import Connection
from sgharden.change.replay import replay
from sgharden.change.stage_record import StagedGroup
from sgharden.moments import iso
from sgharden.plan.read import Plan
from sgharden.snapshot import Snapshot

DEFAULT_MIN_SOAK_DAYS = 7


@dataclass(frozen=True)
class SoakSource:
    """Connections from one remote to one port of one interface since the stage."""

    interface_id: str
    protocol: int
    port: int | None
    remote_addr: str
    connections: int
    bytes: int
    first_seen: datetime
    last_seen: datetime

    @classmethod
    def of(cls, c: Connection) -> SoakSource:
        return cls(
            c.interface_id,
            c.protocol,
            c.service_port,
            c.remote_addr,
            c.connections,
            c.bytes,
            c.first_seen,
            c.last_seen,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.__dict__.items() if k not in ("first_seen", "last_seen")},
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
        }


@dataclass
class GroupSoak:
    group_id: str
    group_name: str
    started_at: datetime
    days_soaked: float
    min_soak_days: int
    covered_connections: int = 0
    covered_sources: set[str] = field(default_factory=set)
    only_revoked: list[SoakSource] = field(default_factory=list)  # real sources: the blockers
    probes_shut_out: list[SoakSource] = field(default_factory=list)
    # (YYYY-MM-DD, real connections covered by remaining rules, real connections only by a revoked)
    daily: dict[str, list[int]] = field(default_factory=dict)

    @property
    def seen_anything(self) -> bool:
        return bool(self.covered_connections or self.only_revoked or self.probes_shut_out)

    @property
    def ready(self) -> bool:
        return not self.reasons

    @property
    def reasons(self) -> list[str]:
        why = []
        if self.days_soaked < self.min_soak_days:
            why.append(f"soaked {self.days_soaked:.1f} of {self.min_soak_days} day(s)")
        if self.only_revoked:
            sources = sorted({s.remote_addr for s in self.only_revoked})
            why.append(
                f"{len(sources)} real source(s) admitted only by a rule to be revoked: "
                + ", ".join(sources)
            )
        if not self.seen_anything:
            why.append(
                "no flow record on its interfaces since the stage: are the flow logs ingested?"
            )
        return why

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "group_name": self.group_name,
            "started_at": iso(self.started_at),
            "days_soaked": round(self.days_soaked, 2),
            "min_soak_days": self.min_soak_days,
            "covered": {
                "connections": self.covered_connections,
                "sources": len(self.covered_sources),
            },
            "only_revoked_real": [s.to_dict() for s in self.only_revoked],
            "probes_shut_out": [s.to_dict() for s in self.probes_shut_out],
            "daily": [
                {"day": day, "covered": n[0], "only_revoked": n[1]}
                for day, n in sorted(self.daily.items())
            ],
            "ready": self.ready,
            "why": self.reasons
            or ["every real connection since the stage is admitted by the rules that remain"],
        }


def soak_status(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    snapshot: Snapshot,
    staged: dict[str, StagedGroup],
    now: datetime,
    min_soak_days: int = DEFAULT_MIN_SOAK_DAYS,
) -> list[GroupSoak]:
    """`now` is naive UTC; one replay per distinct stage start."""
    out: dict[str, GroupSoak] = {}
    starts = sorted({s.started_at for s in staged.values()})
    for start in starts:
        result = replay(con, plan, snapshot, window=(start, now))
        mine = {gid for gid, s in staged.items() if s.started_at == start}
        for gid in mine:
            out[gid] = GroupSoak(
                gid,
                plan.group(gid).group_name,
                start,
                (now - start).total_seconds() / 86400,
                min_soak_days,
            )
        for changed, c, allowed_after in result.judged:
            for gid in set(changed) & mine:
                soak = out[gid]
                if c.is_probe:
                    if not allowed_after:
                        soak.probes_shut_out.append(SoakSource.of(c))
                    continue
                if allowed_after:
                    soak.covered_connections += c.connections
                    soak.covered_sources.add(c.remote_addr)
                else:
                    soak.only_revoked.append(SoakSource.of(c))
                for day, n in c.daily:
                    if n:
                        soak.daily.setdefault(day, [0, 0])[0 if allowed_after else 1] += n
    return [out[gid] for gid in sorted(out)]


def status_document(soaks: list[GroupSoak], now: datetime) -> dict[str, Any]:
    return {
        "schema": "sgharden.stage-status/v1",
        "at": iso(now),
        "groups": [s.to_dict() for s in soaks],
        "ready": [s.group_id for s in soaks if s.ready],
    }
