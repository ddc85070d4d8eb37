"""analysis/rule_use.py asked directly (issue 16, round 5: written for mutation testing).

The SQL engine's connections, fetched source by source for a world-open rule's ports
(`rule_sources`), must be the very connections the Python reference reads (`observed_connections`),
field by field: the daily counts, the verdict, the first and last moments, the counters. The world
is tests/test_use_rules.py's (real DuckDB, filled by `ingest`).
"""

from __future__ import annotations

from test_planner import World, ingress
from test_use_rules import ENI, PROBE, by_peer, loaded, sql_uses
from test_use_rules import world as world  # the fixture

from sgharden.analysis.connections import Window, observed_connections
from sgharden.analysis.evidence import EvidenceSpec
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.rule_use import rule_sources, view_evidence
from sgharden.analysis.use import SqlUse
from sgharden.plan.model import Evidence


def reference(world: World) -> dict[tuple[int, int | None, str], object]:
    """(protocol, port, remote) -> the Python engine's connection."""
    con, snapshot, _, window = loaded(world)
    conns = observed_connections(
        con, snapshot, window.start, window.end, PlannerOptions().thresholds, interfaces=[ENI]
    )
    return {(c.protocol, c.service_port, c.remote_addr): c for c in conns if not c.is_probe}


def test_a_narrowed_ports_connections_are_the_python_engines_field_by_field(
    world: World,
) -> None:
    expected = reference(world)
    _, uses = sql_uses(world)
    _, use = by_peer(uses, "tcp", "0.0.0.0/0")
    got = {}
    for port in use.ports.values():
        assert port.connections is not None
        got.update({(c.protocol, c.service_port, c.remote_addr): c for c in port.connections})
    assert set(got) == {(6, 8080, "198.51.100.4"), (6, 8080, "10.0.1.11"), (6, 8090, "10.0.1.12")}
    for key, conn in got.items():
        assert conn == expected[key], key
    internet = got[(6, 8080, "198.51.100.4")]
    # three days apart: the daily counts name those days
    assert [n for _, n in internet.daily] == [1, 1, 1]
    assert internet.remote_family == 4 and internet.interface_id == ENI
    assert internet.first_seen < internet.last_seen
    assert got[(6, 8080, "10.0.1.11")].connections == 2


def test_a_portless_world_open_rules_connections_are_the_python_engines(world: World) -> None:
    expected = reference(world)
    _, uses = sql_uses(world)
    _, use = by_peer(uses, "icmp", "0.0.0.0/0")
    (conn,) = use.ports[(1, None)].connections or []
    assert conn == expected[(1, None, "10.0.1.14")]


def test_rule_sources_with_nothing_asked_is_empty_without_a_query(world: World) -> None:
    con, _, _, window = loaded(world)
    # no working set was built on this connection: a query would fail
    assert rule_sources(con, [], [], window) == {}  # type: ignore[arg-type]


def engine_of(world: World) -> tuple[SqlUse, int, Window]:
    """The SQL engine (its working set built) and the id of the world-open tcp rule."""
    con, _, targets, window = loaded(world)
    engine = SqlUse(con, targets, window, PlannerOptions())  # type: ignore[arg-type]
    ids = [i for (_, rule), i in engine.rule_ids.items() if rule.ip_protocol == "tcp"]
    rule_id = min(ids)  # the first tcp rule: 8000-8100 from 0.0.0.0/0
    return engine, rule_id, window


def test_rule_sources_gives_a_rules_probes_without_any_bucket(world: World) -> None:
    engine, rule_id, window = engine_of(world)
    assert rule_sources(engine.con, [], [rule_id], window) == {rule_id: ([], {PROBE})}


def test_rule_sources_gives_a_buckets_connections_without_the_probes(world: World) -> None:
    engine, rule_id, window = engine_of(world)
    got = rule_sources(engine.con, [(rule_id, 6, 8090)], [], window)
    (conns, probes) = got[rule_id]
    assert probes == set()
    assert [(c.service_port, c.remote_addr) for c in conns] == [(8090, "10.0.1.12")]


def test_a_port_views_evidence_is_that_ports_only(world: World) -> None:
    engine, rule_id, window = engine_of(world)
    p8080, p8090 = EvidenceSpec(rule_id, 6, 8080), EvidenceSpec(rule_id, 6, 8090)
    got = view_evidence(engine.con, [p8080, p8090, p8080], window, 10, 5)
    assert list(got) == [p8080, p8090]  # each view once
    assert [s.address for s in got[p8090].sources] == ["10.0.1.12"]
    assert got[p8090].connections == 1 and got[p8090].probe_sources == ()
    assert sorted(s.address for s in got[p8080].sources) == ["10.0.1.11", "198.51.100.4"]
    assert got[p8080].probe_source_count == 0  # a port's view is its real users; the probes
    whole = view_evidence(engine.con, [EvidenceSpec(rule_id)], window, 10, 5)[EvidenceSpec(rule_id)]
    assert whole.source_count == 3  # are the whole rule's
    assert [s.address for s in whole.probe_sources] == [PROBE]


def test_the_evidence_of_a_view_that_let_nothing_in_is_empty(world: World) -> None:
    world.groups[0]["IpPermissions"].append(ingress(3389, "0.0.0.0/0"))
    engine, _, window = engine_of(world)
    (unused,) = [i for (_, rule), i in engine.rule_ids.items() if rule.from_port == 3389]
    spec = EvidenceSpec(unused)
    assert view_evidence(engine.con, [spec], window, 10, 5) == {spec: Evidence()}
    assert view_evidence(engine.con, [], window, 10, 5) == {}


def test_a_view_with_real_users_and_no_probe_has_empty_probe_evidence(world: World) -> None:
    engine, _, window = engine_of(world)
    (private_443,) = [i for (_, rule), i in engine.rule_ids.items() if rule.from_port == 443]
    spec = EvidenceSpec(private_443)
    evidence = view_evidence(engine.con, [spec], window, 10, 5)[spec]
    assert evidence.source_count == 2
    assert (evidence.probe_source_count, evidence.probe_sources, evidence.probe_families) == (
        0,
        (),
        (),
    )
    assert [n for _, n, _ in evidence.daily] == [4, 1]
