"""Each rule's use computed in DuckDB, so that large workspaces never reach Python row by row.

The pure planner (`planner.plan_group` with connections) matches every connection in Python; that
is the reference, property-tested. Here the same facts come from SQL: the working set
(`plan_days`, `plan_keys`: the rows of connections.sql), the rules' matches (`plan_matches`), per
rule and port the counts the decisions need (`plan_rule_use`), the individual connections only
where a world-open rule must be narrowed (`plan_rule_sources`), and the evidence of whole rules
and of public ports (`plan_evidence*`). tests/test_planner.py checks both give the same plan.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import duckdb

from sgharden.analysis.connections import Connection, Thresholds, Window, floor_hour, hex_range
from sgharden.analysis.evidence import EvidenceSpec, family_list
from sgharden.analysis.matching import compile_rule, peer_ranges
from sgharden.analysis.params import id_list
from sgharden.analysis.verdicts import PROBE_FAMILIES, split_verdict
from sgharden.model import Interface, Inventory, Rule
from sgharden.plan.model import Evidence, Source
from sgharden.plan.schema import iso
from sgharden.resources import query


def prepare(
    con: duckdb.DuckDBPyConnection,
    interfaces: list[str],
    window: Window,
    thresholds: Thresholds,
    internal: Iterable[str],
) -> None:
    """Build the working set (temp tables plan_days, plan_keys) for these interfaces."""
    con.execute(
        query("plan_days"),
        {
            "interfaces": id_list(interfaces),
            "start": window.start,
            "end": window.end,
            **thresholds.as_params(),
        },
    )
    con.execute(query("plan_keys"), {"internal": [hex_range(c) for c in internal]})


def match_rules(
    con: duckdb.DuckDBPyConnection,
    rules: list[tuple[int, Rule, list[Interface], Inventory]],
) -> None:
    """Match every (rule id, rule, the group's ENIs, inventory) against the working set."""
    specs = []
    for rule_id, rule, enis, inventory in rules:
        compiled = compile_rule(rule, inventory)
        specs.append(
            {
                "rule_id": rule_id,
                "interfaces": [e.interface_id for e in enis],
                "protocol": compiled.protocol,
                "lo": compiled.lo,
                "hi": compiled.hi,
                "any_port": compiled.any_port,
                "world_family": compiled.world_family,
                "ranges": [] if compiled.world_family else peer_ranges(rule, inventory),
            }
        )
    con.execute(query("plan_matches"), {"rules": json.dumps(specs)})


def use_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Rows of plan_rule_use.sql."""
    return con.execute(query("plan_rule_use")).fetchall()


def cannot_narrow(
    con: duckdb.DuckDBPyConnection,
    buckets: list[tuple[int, int, int]],
    known: list[str],
    limits: tuple[int, int, int],
) -> set[tuple[int, int, int | None]]:
    """The (rule id, protocol, port) of `buckets` whose real sources provably do not fit in
    `limits` (max prefixes, widest IPv4 and IPv6 prefix) without reading them one by one
    (sql/plan_cannot_narrow.sql); `known`: the addresses a group reference could cover."""
    if not buckets:
        return set()
    limit, w4, w6 = limits
    param = [{"rule_id": r, "protocol": p, "port_key": k} for r, p, k in buckets]
    rows = con.execute(
        query("plan_cannot_narrow"),
        {
            "buckets": json.dumps(param),
            "known": json.dumps([_address_hex(a) for a in known]),
            "w4": w4,
            "w6": w6,
            "limit": limit,
        },
    ).fetchall()
    return {(int(r), int(p), None if k == -1 else int(k)) for r, p, k in rows}


def _address_hex(address: str) -> str:
    a = ipaddress.ip_address(address)
    return f"{int(a):0{8 if a.version == 4 else 32}x}"


def rule_sources(
    con: duckdb.DuckDBPyConnection,
    buckets: list[tuple[int, int, int]],
    rule_ids: list[int],
    window: Window,
) -> dict[int, tuple[list[Connection], set[str]]]:
    """Per rule: the real connections of the given buckets, and its probe addresses."""
    if not buckets and not rule_ids:
        return {}
    param = [{"rule_id": r, "protocol": p, "port_key": k} for r, p, k in buckets]
    rows = con.execute(
        query("plan_rule_sources"),
        {"buckets": json.dumps(param), "rules": json.dumps(rule_ids), "start": window.start},
    ).fetchall()
    first_day = floor_hour(window.start).date()
    out: dict[int, tuple[list[Connection], set[str]]] = {}
    for r in rows:
        conns, probes = out.setdefault(r[0], ([], set()))
        if r[11]:  # a probe: only its address is used (its row has no daily)
            probes.add(r[4])
        else:
            daily = tuple(
                ((first_day + timedelta(days=int(o))).isoformat(), int(n))
                for o, n in (part.split(":") for part in r[13].split(","))
            )
            conns.append(
                Connection(
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    int(r[6]),
                    int(r[7]),
                    int(r[8]),
                    r[9],
                    r[10],
                    bool(r[11]),
                    daily,
                    r[12] or "",
                )
            )
    return out


def view_evidence(
    con: duckdb.DuckDBPyConnection,
    views: Iterable[EvidenceSpec],
    window: Window,
    top: int,
    sample_size: int,
) -> dict[EvidenceSpec, Evidence]:
    """The evidence (plan-schema RULE.evidence) of each view, from SQL."""
    views = list(dict.fromkeys(views))
    if not views:
        return {}
    param = json.dumps(
        [
            {"view_id": i, "rule_id": v.rule_id, "protocol": v.protocol, "port_key": v.port_key}
            for i, v in enumerate(views)
        ]
    )
    # per (view, is_probe): that class's totals and busiest sources
    classes: dict[tuple[int, bool], Evidence] = {}
    for row in con.execute(query("plan_evidence"), {"views": param, "top": top}).fetchall():
        view_id, is_probe, conns, packets, nbytes, first, last, count, sources = row
        classes[(view_id, bool(is_probe))] = Evidence(
            connections=int(conns),
            packets=int(packets),
            bytes=int(nbytes),
            source_count=int(count),
            sources=tuple(
                Source(
                    s["address"],
                    int(s["connections"]),
                    int(s["bytes"]),
                    iso(s["first_seen"]),
                    iso(s["last_seen"]),
                    **split_verdict(bool(is_probe), s["verdict"] or ""),
                )
                for s in sources or []
            ),
            first_seen=iso(first),
            last_seen=iso(last),
        )
    markers = json.dumps(
        [{"rank": i, "family": f, "marker": m} for i, (f, m, _) in enumerate(PROBE_FAMILIES)]
    )
    families: dict[int, dict[str, list[int]]] = {}
    for view_id, family, n, conns in con.execute(
        query("plan_probe_families"), {"views": param, "markers": markers}
    ).fetchall():
        families.setdefault(view_id, {})[family] = [int(n), int(conns)]
    daily: dict[int, list[tuple[str, int, int]]] = {}
    for view_id, day, n, probe_n in con.execute(
        query("plan_evidence_daily"), {"views": param}
    ).fetchall():
        daily.setdefault(view_id, []).append((day.isoformat(), int(n), int(probe_n)))
    samples: dict[int, list[str]] = {}
    for view_id, record in con.execute(
        query("plan_evidence_samples"),
        {"views": param, "size": sample_size, "start": window.start, "end": window.end},
    ).fetchall():
        samples.setdefault(view_id, []).append(record)
    out = {}
    for i, view in enumerate(views):
        probe = classes.get((i, True), Evidence())
        out[view] = replace(
            classes.get((i, False), Evidence()),
            probe_source_count=probe.source_count,
            probe_connections=probe.connections,
            probe_sources=probe.sources,
            probe_families=family_list(families.get(i, {})),
            daily=tuple(daily.get(i, [])),
            sample=tuple(samples.get(i, [])),
        )
    return out
