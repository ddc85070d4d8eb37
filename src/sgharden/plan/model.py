"""What a plan says, as frozen values: the one model the writer (write.py: the analysis' plan)
serialises with `to_dict()` and the reader (read.py: a plan JSON validated) builds back, so that a
field exists once. docs/plan-schema.md is the JSON contract these `to_dict()`s write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sgharden.moments import iso


@dataclass(frozen=True)
class Gap:
    """Hours [start, end) in which one interface's flow log recorded nothing the plan can use."""

    interface_id: str
    start: datetime  # naive UTC, on the hour
    end: datetime
    kind: str  # not-recording | no-delivery | skipdata

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    def to_dict(self) -> dict[str, Any]:
        return {
            "interface_id": self.interface_id,
            "start": iso(self.start),
            "end": iso(self.end),
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Coverage:
    """A group's flow-log coverage as the plan states it (analysis/coverage.py measures it)."""

    enis: tuple[str, ...] = ()
    uncovered_enis: tuple[str, ...] = ()
    gaps: tuple[Gap, ...] = ()
    window_days: float | None = None  # None: a plan that does not say
    gap_share: float | None = None
    quiet: tuple[str, ...] = ()  # interfaces whose log was healthy but recorded nothing

    def to_dict(self) -> dict[str, Any]:
        return {
            "enis": list(self.enis),
            "uncovered_enis": list(self.uncovered_enis),
            "gaps": [g.to_dict() for g in self.gaps],
            "window_days": None if self.window_days is None else round(self.window_days, 3),
            "gap_share": None if self.gap_share is None else round(self.gap_share, 6),
            "quiet": list(self.quiet),
        }


@dataclass(frozen=True)
class Source:
    """One remote address's use of a rule over the window, and the classifier's verdict on it."""

    address: str
    connections: int
    bytes: int
    first_seen: str | None  # ISO 8601, as the plan writes it
    last_seen: str | None
    verdict: str = ""  # real | probe | scanner (analysis/verdicts.py); "" in older plans
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "connections": self.connections,
            "bytes": self.bytes,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "verdict": self.verdict,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ProbeFamily:
    """How many of a rule's probe sources (and their connections) one classifier rule judged
    (analysis/verdicts.PROBE_FAMILIES, or "other")."""

    family: str
    sources: int
    connections: int

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "sources": self.sources, "connections": self.connections}


@dataclass(frozen=True)
class Evidence:
    """What was observed for one rule over the window (empty for rules nobody used). Both rule-use
    engines (analysis/evidence.py, analysis/rule_use.py) build it; tickets and reports read it."""

    connections: int = 0
    packets: int = 0
    bytes: int = 0
    source_count: int = 0
    sources: tuple[Source, ...] = ()  # the busiest `top_sources`
    first_seen: str | None = None
    last_seen: str | None = None
    probe_source_count: int = 0
    probe_connections: int = 0
    probe_sources: tuple[Source, ...] = ()
    # every probe source of the window by family, largest first (older plans: empty)
    probe_families: tuple[ProbeFamily, ...] = ()
    daily: tuple[tuple[str, int, int], ...] = ()  # (YYYY-MM-DD, connections, probe connections)
    sample: tuple[str, ...] = ()  # raw flow-log records kept at ingest
    # how `connections` were counted (analysis/counted_by.py); older plans: None
    counted_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "packets": self.packets,
            "bytes": self.bytes,
            "source_count": self.source_count,
            "sources": [s.to_dict() for s in self.sources],
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "probes": {
                "source_count": self.probe_source_count,
                "connections": self.probe_connections,
                "sources": [s.to_dict() for s in self.probe_sources],
                "families": [f.to_dict() for f in self.probe_families],
            },
            "daily": [
                {"day": day, "connections": n, "probe_connections": probe_n}
                for day, n, probe_n in self.daily
            ],
            "sample": list(self.sample),
            "counted_by": self.counted_by,
        }
