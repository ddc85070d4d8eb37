"""Who a ready group's change shuts out: the per-group line "shuts out N scanner sources; none was
a real user" (docs/planner.md "Who the change shuts out").

Counted over every (protocol, port, remote address) the group's revoked ingress rules let in
during the window, against the group's rules once the plan is applied (kept + authorized):
- a scanner source: counted as a probe or scanner on a revoked rule, real on none of them, and
  no longer admitted on the port it used;
- a real source cut off: real on a revoked rule and no longer admitted. The safety invariant says
  a ready plan has none; the line says so from the numbers, not from the invariant.
Both engines compute it alike: the Python one from its matched connections, the SQL one from
`plan_matches` (sql/plan_revoked_keys.sql).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from sgharden.analysis.connections import Connection
from sgharden.analysis.matching import compile_rule, rule_allows
from sgharden.model import Inventory, Rule
from sgharden.resources import query

# (protocol, service port or None, remote address, is_probe)
RevokedKey = tuple[int, int | None, str, bool]


@dataclass(frozen=True)
class ShutOut:
    scanner_sources: int
    real_sources: int  # real sources of the revoked rules
    real_sources_cut: int  # of them, no longer admitted by the group's rules after the change

    @property
    def line(self) -> str:
        if self.real_sources_cut:
            return (
                f"shuts out {self.scanner_sources} scanner source(s) and "
                f"{self.real_sources_cut} real source(s): review before applying"
            )
        kept = f"its {self.real_sources} real source(s) keep their access through the new rules"
        if not self.scanner_sources:
            if not self.real_sources:
                return "shuts out no source: nothing reached the revoked rules in the window"
            return f"shuts out no source: {kept}"
        line = f"shuts out {self.scanner_sources} scanner source(s); none was a real user"
        return f"{line}; {kept}" if self.real_sources else line

    def to_dict(self) -> dict[str, object]:
        return {
            "scanner_sources": self.scanner_sources,
            "real_sources": self.real_sources,
            "real_sources_cut": self.real_sources_cut,
            "line": self.line,
        }


def shut_out(keys: Iterable[RevokedKey], proposed: Iterable[Rule], inventory: Inventory) -> ShutOut:
    """Who the change shuts out, from what the revoked rules let in (`keys`) and the rules the
    group keeps or gains (`proposed`, ingress only)."""
    rules = [compile_rule(r, inventory) for r in proposed if not r.is_egress]
    cache: dict[tuple[int, int | None, str], bool] = {}

    def admitted(protocol: int, port: int | None, address: str) -> bool:
        key = (protocol, port, address)
        if key not in cache:  # as matching.rule_allows, each rule compiled once
            cache[key] = any(
                r.allows_port(protocol, port) and r.covers(address, inventory) for r in rules
            )
        return cache[key]

    real: set[str] = set()
    real_cut: set[str] = set()
    probes_out: set[str] = set()
    for protocol, port, address, is_probe in keys:
        if is_probe:
            if not admitted(protocol, port, address):
                probes_out.add(address)
        else:
            real.add(address)
            if not admitted(protocol, port, address):
                real_cut.add(address)
    return ShutOut(len(probes_out - real), len(real), len(real_cut))


def sql_revoked_keys(con: duckdb.DuckDBPyConnection, rule_ids: list[int]) -> list[RevokedKey]:
    """What the rules `rule_ids` of plan_matches let in (sql/plan_revoked_keys.sql)."""
    if not rule_ids:
        return []
    rows = con.execute(query("plan_revoked_keys"), {"rules": rule_ids}).fetchall()
    return [
        (int(p), None if port is None else int(port), addr, bool(probe))
        for p, port, addr, probe in rows
    ]


def python_revoked_keys(
    connections: Iterable[Connection], revoked: Iterable[Rule], inventory: Inventory
) -> list[RevokedKey]:
    """What the revoked ingress rules let in, from connections (the Python engine)."""
    rules = [r for r in revoked if not r.is_egress]
    return sorted(
        {
            (c.protocol, c.service_port, c.remote_addr, c.is_probe)
            for c in connections
            if any(
                rule_allows(r, c.protocol, c.service_port, c.remote_addr, inventory) for r in rules
            )
        },
        key=lambda k: (k[0], -1 if k[1] is None else k[1], k[2], k[3]),
    )
