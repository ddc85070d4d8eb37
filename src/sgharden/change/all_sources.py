"""Every source of every inbound rule of a plan, read back from the workspace at ticket time.

The plan carries only the top N sources per rule (`settings.top_sources`): a world-open HTTPS
rule can have millions of remote addresses, and the plan is the file a reviewer diffs and signs.
`evidence.csv` must still list all of them, so the ticket re-runs `sql/evidence.sql` (the query
the plan's evidence is defined by) per rule on the workspace the plan was made from. The totals
must equal the plan's (sources, connections, probe sources, probe connections): if a later
ingest changed the window's data, the workspace no longer backs this plan and is refused rather
than letting evidence.csv silently disagree with TICKET.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from sgharden.analysis.evidence import query_evidence
from sgharden.errors import InputError
from sgharden.moments import iso
from sgharden.plan.read import Plan, PlanGroup, PlanRule
from sgharden.render.rule_text import rule_text
from sgharden.resources import query

# rule key: (group_id, change, rule text) as evidence.csv names a rule
RuleKey = tuple[str, str, str]


@dataclass(frozen=True)
class SourceRow:
    address: str
    is_probe: bool
    connections: int
    bytes: int
    first_seen: str | None
    last_seen: str | None


@dataclass(frozen=True)
class AllSources:
    """Per rule, every remote address the workspace holds for it (real ones first, then probes,
    busiest first: the order of sql/evidence.sql)."""

    workspace: str
    rules: dict[RuleKey, tuple[SourceRow, ...]]
    # per rule, real use by (ISO weekday 1-7, UTC hour 0-23) -> connections (sql/evidence_week.sql)
    weeks: dict[RuleKey, dict[tuple[int, int], int]] = field(default_factory=dict)

    def of(self, key: RuleKey) -> tuple[SourceRow, ...] | None:
        return self.rules.get(key)

    def week(self, key: RuleKey) -> dict[tuple[int, int], int] | None:
        return self.weeks.get(key)


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return iso(moment)
    return str(moment)


def _rows(raw: list[dict[str, Any]]) -> tuple[SourceRow, ...]:
    return tuple(
        SourceRow(
            address=str(r["remote_addr"]),
            is_probe=bool(r["is_probe"]),
            connections=int(r["connections"] or 0),
            bytes=int(r["bytes"] or 0),
            first_seen=_iso(r["first_seen"]),
            last_seen=_iso(r["last_seen"]),
        )
        for r in raw
    )


def _check(
    plan: Plan, group: PlanGroup, text: str, pr: PlanRule, rows: tuple[SourceRow, ...]
) -> None:
    real = [r for r in rows if not r.is_probe]
    probes = [r for r in rows if r.is_probe]
    found = (len(real), sum(r.connections for r in real), len(probes))
    found_probe_conns = sum(r.connections for r in probes)
    ev = pr.evidence
    wanted = (ev.source_count, ev.connections, ev.probe_source_count)
    if found != wanted or found_probe_conns != ev.probe_connections:
        raise InputError(
            f"{plan.path}: {group.group_id} rule '{text}': the workspace holds "
            f"{found[0]} source(s) / {found[1]} connection(s) / {found[2]} probe source(s) for "
            f"the plan's window, the plan says {wanted[0]} / {wanted[1]} / {wanted[2]}",
            hint="ticket with the workspace the plan was made from (--workspace), "
            "or run `sgharden propose` again on this one",
        )


def read_all_sources(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    groups: list[PlanGroup],
    parameters: Callable[[PlanGroup], list[dict[str, Any]] | None],
    workspace: str,
) -> AllSources:
    """All sources of the groups' inbound rules. `parameters(group)` gives each rule's
    sql/evidence.sql parameters (None: cannot be computed, e.g. without the snapshot)."""
    out: dict[RuleKey, tuple[SourceRow, ...]] = {}
    weeks: dict[RuleKey, dict[tuple[int, int], int]] = {}
    for group in groups:
        items = parameters(group)
        if items is None:
            continue
        by_key = {
            (change, rule_text(pr.rule)): pr
            for change, rules in (
                ("revoke", group.revoke),
                ("authorize", group.authorize),
                ("keep", group.keep),
            )
            for pr in rules
        }
        for item in items:
            key = (item["change"], item["rule"])
            rows = _rows(query_evidence(con, item["parameters"]))
            if key in by_key:
                _check(plan, group, item["rule"], by_key[key], rows)
            full_key = (group.group_id, item["change"], item["rule"])
            out[full_key] = rows
            cells = con.execute(query("evidence_week"), item["parameters"]).fetchall()
            weeks[full_key] = {(int(d), int(h)): int(n) for d, h, n in cells}
    return AllSources(workspace, out, weeks)
