"""A rule's evidence: the real sources, the probes, per-day counts and raw sample records.

The numbers equal what `sql/evidence.sql` returns for the rule's interfaces, protocol, ports,
window and remote addresses, so a reviewer can re-run the query on the workspace and get them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from sgharden.analysis.connections import Connection, Thresholds, Window
from sgharden.analysis.matching import peer_ranges
from sgharden.analysis.verdicts import probe_family, split_verdict
from sgharden.model import Inventory, Rule
from sgharden.moments import iso
from sgharden.plan.model import Evidence, ProbeFamily, Source
from sgharden.resources import query

# (interface_id, protocol, service_port, remote_addr): the key flow_samples is kept by
SampleKey = tuple[str, int, int | None, str]


@dataclass(frozen=True)
class EvidenceSpec:
    """A plan line whose evidence SQL computes (sql/plan_evidence*.sql) from `plan_matches`:
    everything rule `rule_id` let in, or (protocol and port_key set) its real use on that port.
    """

    rule_id: int
    protocol: int | None = None
    port_key: int | None = None  # service port, -1 for protocols without ports


def sample_order(c: Connection) -> tuple[int, str, int, int, str]:
    """Which connections' raw records a line shows first: the busiest, then by key."""
    return (
        -c.connections,
        c.interface_id,
        c.protocol,
        -1 if c.service_port is None else c.service_port,
        c.remote_addr,
    )


def sample_keys(connections: Iterable[Connection], sample_size: int) -> list[Connection]:
    """The connections whose records are a line's sample: top real ones, then top probes."""
    conns = list(connections)
    real = sorted((c for c in conns if not c.is_probe), key=sample_order)[:sample_size]
    probes = sorted((c for c in conns if c.is_probe), key=sample_order)[:sample_size]
    return real + probes


def _key_rank(c: Connection) -> tuple[int, str, int, int]:
    # which of a source's keys speaks for it: the busiest (sql/plan_evidence.sql orders alike)
    return (
        -c.connections,
        c.interface_id,
        c.protocol,
        -1 if c.service_port is None else c.service_port,
    )


def _by_source(conns: Iterable[Connection], top: int) -> tuple[int, tuple[Source, ...]]:
    """(distinct sources, the `top` busiest with their totals); only those are formatted."""
    per: dict[str, list[Any]] = {}
    for c in conns:
        s = per.get(c.remote_addr)
        if s is None:
            per[c.remote_addr] = [c.connections, c.bytes, c.first_seen, c.last_seen, c]
        else:
            s[0] += c.connections
            s[1] += c.bytes
            if c.first_seen < s[2]:
                s[2] = c.first_seen
            if c.last_seen > s[3]:
                s[3] = c.last_seen
            if _key_rank(c) < _key_rank(s[4]):
                s[4] = c
    ranked = heapq.nsmallest(top, per.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    return len(per), tuple(
        Source(
            address, v[0], v[1], iso(v[2]), iso(v[3]), **split_verdict(v[4].is_probe, v[4].verdict)
        )
        for address, v in ranked
    )


def probe_families(probes: Iterable[Connection]) -> tuple[ProbeFamily, ...]:
    """Probe sources by family (analysis/verdicts.py), each source in the family of its busiest
    key (the key whose reason the evidence shows), largest family first; sql/plan_probe_families.sql
    computes the same."""
    per: dict[str, list[Any]] = {}
    for c in probes:
        s = per.get(c.remote_addr)
        if s is None:
            per[c.remote_addr] = [c.connections, c]
        else:
            s[0] += c.connections
            if _key_rank(c) < _key_rank(s[1]):
                s[1] = c
    families: dict[str, list[int]] = {}
    for connections, busiest in per.values():
        entry = families.setdefault(probe_family(busiest.verdict), [0, 0])
        entry[0] += 1
        entry[1] += connections
    return family_list(families)


def family_list(families: Mapping[str, list[int]]) -> tuple[ProbeFamily, ...]:
    ordered = sorted(families.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    return tuple(ProbeFamily(f, n, c) for f, (n, c) in ordered)


def rule_evidence(
    connections: Iterable[Connection],
    samples: Mapping[SampleKey, list[str]],
    top: int = 20,
    sample_size: int = 5,
) -> Evidence:
    conns = list(connections)
    real = [c for c in conns if not c.is_probe]
    probes = [c for c in conns if c.is_probe]
    real_count, real_sources = _by_source(real, top)
    probe_count, probe_sources = _by_source(probes, top)
    days: dict[str, list[int]] = {}
    for c in conns:
        slot = 1 if c.is_probe else 0
        for day, n in c.daily:
            entry = days.get(day)
            if entry is None:
                entry = days[day] = [0, 0]
            entry[slot] += n
    ordered = sample_keys(conns, sample_size)
    picked: list[str] = []
    for c in ordered:
        for record in samples.get((c.interface_id, c.protocol, c.service_port, c.remote_addr), []):
            if len(picked) < sample_size and record not in picked:
                picked.append(record)
        if len(picked) >= sample_size:
            break
    return Evidence(
        connections=sum(c.connections for c in real),
        packets=sum(c.packets for c in real),
        bytes=sum(c.bytes for c in real),
        source_count=real_count,
        sources=real_sources,
        first_seen=iso(min((c.first_seen for c in real), default=None)),
        last_seen=iso(max((c.last_seen for c in real), default=None)),
        probe_source_count=probe_count,
        probe_connections=sum(c.connections for c in probes),
        probe_sources=probe_sources,
        probe_families=probe_families(probes),
        daily=tuple((day, v[0], v[1]) for day, v in sorted(days.items())),
        sample=tuple(picked),
    )


def fetch_samples(
    con: duckdb.DuckDBPyConnection, keys: Iterable[SampleKey], window: Window
) -> dict[SampleKey, list[str]]:
    """Raw records kept at ingest (flow_samples) for the given connection keys."""
    wanted = set(keys)
    if not wanted:
        return {}
    interfaces = sorted({k[0] for k in wanted})
    remotes = sorted({k[3] for k in wanted})
    rows = con.execute(
        query("evidence_samples"),
        {"interfaces": interfaces, "remotes": remotes, "start": window.start, "end": window.end},
    ).fetchall()
    out: dict[SampleKey, list[str]] = {}
    for interface_id, protocol, port, remote, record in rows:
        key = (interface_id, int(protocol), None if port is None else int(port), remote)
        if key in wanted:
            out.setdefault(key, []).append(record)
    return out


def evidence_params(
    rule: Rule,
    interfaces: Iterable[str],
    window: Window,
    thresholds: Thresholds,
    inventory: Inventory,
) -> dict[str, Any]:
    """The parameters of sql/evidence.sql that reproduce a rule's evidence."""
    ranged = rule.protocol in (6, 17)
    lo, hi = rule.port_range()
    return {
        "interfaces": sorted(interfaces),
        "protocol": rule.protocol,
        "from_port": lo if ranged else None,
        "to_port": hi if ranged else None,
        "ranges": peer_ranges(rule, inventory),
        "start": window.start,
        "end": window.end,
        **thresholds.as_params(),
    }


def query_evidence(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of sql/evidence.sql (one per remote address and real/probe)."""
    cur = con.execute(query("evidence"), params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
