"""analysis/use.py's two rule-use engines, asked directly (issue 16: written for mutation testing).

The planner tests compare the plans the engines make; these look at what each engine measures,
on a real DuckDB workspace filled by `ingest` from the World of tests/test_planner.py: the SQL
engine's per-port counts and their evidence queries, which ports it fetches source by source, and
the options the Python engine reads its connections with.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_planner import World, ingress

from sgharden.analysis.connections import Thresholds, Window, data_window
from sgharden.analysis.evidence import EvidenceSpec
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.use import PythonUse, RuleUse, SqlUse, use_engine
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.model import Rule
from sgharden.snapshot import Snapshot, load_snapshot
from sgharden.targets import ResourceTarget, Targets, resolve
from sgharden.workspace import open_workspace

G = "sg-00000a01"
ENI = "eni-00000a01"
LOCAL = "10.0.2.10"
PROBE = "192.0.2.9"


def loaded(world: World) -> tuple[object, Snapshot, Targets, Window]:
    snapshot = load_snapshot(world.write())
    con = open_workspace(None)
    known = {e.interface_id: e.addresses for e in snapshot.all_interfaces()}
    report = ingest(
        con, [str(p) for p in snapshot.flow_log_dirs], IngestOptions(known_addresses=known)
    )
    assert report.rejected == 0, report.rejected_objects
    window = data_window(con, sorted(known))
    assert window is not None
    return con, snapshot, resolve(snapshot), window


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    w.group(
        G,
        "app",
        [
            ingress(8000, "0.0.0.0/0", to_port=8100),  # world-open range: narrowed port by port
            ingress(-1, "0.0.0.0/0", proto="icmp", to_port=-1),  # world-open, no ports
            ingress(443, "0.0.0.0/1"),  # not world-open: counted, never narrowed
            ingress(-1, "10.0.0.0/8", proto="icmp", to_port=-1),
        ],
    )
    w.eni(ENI, LOCAL, [G])
    w.sg_finding("EC2.19", G)
    for day in (2, 5, 9):  # a returning internet user (three sessions in one hour: a burst)
        w.traffic(ENI, LOCAL, "198.51.100.4", 8080, day=day)
    w.traffic(ENI, LOCAL, "10.0.1.11", 8080, conns=2, day=3)
    w.traffic(ENI, LOCAL, "10.0.1.12", 8090, conns=1, day=5)
    w.probe(ENI, LOCAL, PROBE, 8080)
    w.traffic(ENI, LOCAL, "10.0.1.13", 443, conns=4, day=6)
    w.traffic(ENI, LOCAL, "93.184.216.34", 443, conns=1, day=7)  # internet, in 0.0.0.0/1
    w.traffic(ENI, LOCAL, "10.0.1.14", 0, protocol=1, conns=2, day=8)
    return w


def sql_uses(
    world: World, options: PlannerOptions | None = None
) -> tuple[SqlUse, dict[Rule, RuleUse]]:
    con, _, targets, window = loaded(world)
    engine = SqlUse(con, targets, window, options or PlannerOptions())  # type: ignore[arg-type]
    (target,) = targets.groups
    group = target.inventory.security_groups[G]
    _, uses = engine.group(target, group)
    assert uses is not None
    return engine, dict(uses)


def by_peer(uses: dict[Rule, RuleUse], protocol: str, peer: str) -> tuple[Rule, RuleUse]:
    (found,) = [
        (r, u) for r, u in uses.items() if r.ip_protocol == protocol and r.cidr_ipv4 == peer
    ]
    return found


def test_the_sql_engine_counts_each_port_and_points_its_evidence_at_that_port(world: World) -> None:
    engine, uses = sql_uses(world)
    rule, use = by_peer(uses, "tcp", "0.0.0.0/1")
    rule_id = engine.rule_ids[(("111122223333", "eu-west-1", G), rule)]
    assert set(use.ports) == {(6, 443)}
    p = use.ports[(6, 443)]
    assert (p.protocol, p.port, p.sources, p.internet_sources) == (6, 443, 2, 1)
    # not world-open: only counted; its line's evidence is a query on that rule and port
    assert p.connections is None and use.probe_addrs is None
    assert p.evidence == EvidenceSpec(rule_id, 6, 443)
    assert use.evidence == EvidenceSpec(rule_id)
    assert (use.real_sources, use.real_connections) == (2, 5)


def test_a_portless_protocol_is_keyed_none_and_queried_with_port_key_minus_one(
    world: World,
) -> None:
    engine, uses = sql_uses(world)
    rule, use = by_peer(uses, "icmp", "10.0.0.0/8")
    rule_id = engine.rule_ids[(("111122223333", "eu-west-1", G), rule)]
    assert set(use.ports) == {(1, None)}
    p = use.ports[(1, None)]
    assert (p.port, p.sources, p.internet_sources, p.connections) == (None, 1, 0, None)
    assert p.evidence == EvidenceSpec(rule_id, 1, -1)


def test_a_world_open_rules_ports_are_fetched_source_by_source_with_its_probes(
    world: World,
) -> None:
    _, uses = sql_uses(world)
    _, use = by_peer(uses, "tcp", "0.0.0.0/0")
    assert set(use.ports) == {(6, 8080), (6, 8090)}
    p8080, p8090 = use.ports[(6, 8080)], use.ports[(6, 8090)]
    assert (p8080.sources, p8080.internet_sources, p8090.sources) == (2, 1, 1)
    assert p8080.connections is not None and p8090.connections is not None
    assert sorted(c.remote_addr for c in p8080.connections) == ["10.0.1.11", "198.51.100.4"]
    assert [c.remote_addr for c in p8090.connections] == ["10.0.1.12"]
    assert p8080.evidence == tuple(p8080.connections)  # the line's evidence: those connections
    assert use.probe_addrs == {PROBE}
    assert (use.probe_sources, use.real_sources) == (1, 3)


def test_a_world_open_portless_rule_is_fetched_source_by_source_too(world: World) -> None:
    _, uses = sql_uses(world)
    _, use = by_peer(uses, "icmp", "0.0.0.0/0")
    p = use.ports[(1, None)]
    assert p.connections is not None
    assert [(c.protocol, c.service_port, c.remote_addr) for c in p.connections] == [
        (1, None, "10.0.1.14")
    ]
    assert use.probe_addrs == set()


def test_a_rule_that_let_nothing_in_counts_nothing(world: World) -> None:
    world.groups[0]["IpPermissions"].append(ingress(3389, "0.0.0.0/0"))
    _, uses = sql_uses(world)
    (use,) = [u for r, u in uses.items() if r.from_port == 3389]
    assert (use.real_sources, use.real_connections, use.probe_sources, use.probe_connections) == (
        0,
        0,
        0,
        0,
    )
    assert use.ports == {}


def test_a_public_single_port_rule_is_not_narrowed_but_a_range_with_a_public_port_is(
    world: World,
) -> None:
    world.groups[0]["IpPermissions"].append(ingress(8080, "0.0.0.0/0"))
    options = PlannerOptions(public_tcp_ports=(8080,))
    _, uses = sql_uses(world, options)
    single = next(
        u
        for r, u in uses.items()
        if r.cidr_ipv4 == "0.0.0.0/0" and r.from_port == 8080 == r.to_port
    )
    assert single.ports[(6, 8080)].connections is None and single.probe_addrs is None
    _, ranged = by_peer({r: u for r, u in uses.items() if r.from_port == 8000}, "tcp", "0.0.0.0/0")
    # the public port stays counted; the other port of the range is fetched source by source
    assert ranged.ports[(6, 8080)].connections is None
    assert ranged.ports[(6, 8090)].connections is not None
    assert ranged.probe_addrs == {PROBE}


def python_engine(
    world: World, options: PlannerOptions
) -> tuple[PythonUse, SqlUse, ResourceTarget]:
    con, snapshot, targets, window = loaded(world)
    py = use_engine("python", con, snapshot, targets, window, options)  # type: ignore[arg-type]
    sql = use_engine("sql", con, snapshot, targets, window, options)  # type: ignore[arg-type]
    assert isinstance(py, PythonUse) and isinstance(sql, SqlUse)
    (target,) = targets.groups
    return py, sql, target


def test_the_python_engine_reads_with_the_options_thresholds(world: World) -> None:
    # handshake-sized up to 5000 bytes in 20 packets: every 4000-byte connection is a probe now
    strict = Thresholds(probe_max_bytes_in=5000, probe_max_packets_in=20)
    py, sql, target = python_engine(world, PlannerOptions(thresholds=strict))
    conns, _ = py.group(target, target.inventory.security_groups[G])
    assert conns and all(c.is_probe for c in conns if c.protocol == 6)
    default, _, _ = python_engine(world, PlannerOptions())
    conns, _ = default.group(target, target.inventory.security_groups[G])
    assert not all(c.is_probe for c in conns if c.protocol == 6)
    assert py.resource(list(target.interfaces)) == sql.resource(list(target.interfaces))


def test_the_python_engines_resources_list_the_top_sources_only(world: World) -> None:
    py, sql, target = python_engine(world, PlannerOptions(top_sources=1))
    found = py.resource(list(target.interfaces))
    assert found["internal"].source_count == 4
    assert len(found["internal"].sources) == 1
    assert found == sql.resource(list(target.interfaces))


def test_an_unknown_engine_is_refused(world: World) -> None:
    con, snapshot, targets, window = loaded(world)
    with pytest.raises(ValueError, match="engine must be 'sql' or 'python', not 'duck'"):
        use_engine("duck", con, snapshot, targets, window, PlannerOptions())  # type: ignore[arg-type]
