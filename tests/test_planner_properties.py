"""The planner's safety invariant over random rule sets and traffic (hypothesis).

Applying a `ready` plan (current - revoke + authorize) must never deny a connection classified as
real use, and never allow anything the current rules deny. A `needs-more-data` plan revokes
nothing, and no authorized prefix takes in a probe that was not also a real source.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from sgharden.analysis.connections import Connection, Window
from sgharden.analysis.coverage import Coverage
from sgharden.analysis.decide import plan_group
from sgharden.analysis.matching import rule_allows, rules_allow
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.shut_out import python_revoked_keys, shut_out
from sgharden.model import Interface, Inventory, PrefixList, Rule, SecurityGroup

G = "sg-target"
T = datetime(2026, 10, 1)
WINDOW = Window(T, T + timedelta(days=15))

ENIS = {
    "eni-t1": Interface("eni-t1", "1", "r", "vpc-1", "sn", (G,), ("10.0.9.1",), ("2001:db8:9::1",)),
    "eni-t2": Interface("eni-t2", "1", "r", "vpc-1", "sn", (G,), ("10.0.9.2",)),
    "eni-a1": Interface("eni-a1", "1", "r", "vpc-1", "sn", ("sg-a",), ("10.0.1.1",)),
    "eni-a2": Interface(
        "eni-a2", "1", "r", "vpc-1", "sn", ("sg-a",), ("10.0.1.2",), ("2001:db8:1::2",)
    ),
    "eni-b1": Interface("eni-b1", "1", "r", "vpc-1", "sn", ("sg-b", "sg-a"), ("10.0.2.1",)),
    "eni-b2": Interface("eni-b2", "1", "r", "vpc-1", "sn", ("sg-b",), ("10.0.2.2",)),
}
PREFIX_LISTS = {"pl-1": PrefixList("pl-1", "partners", ("203.0.113.0/25",))}
EXTERNAL = [
    *(f"198.51.100.{i}" for i in range(1, 7)),
    "203.0.113.1",
    "203.0.113.2",
    "203.0.113.200",
    "192.0.2.1",
    "192.0.2.2",
    "2001:db8::1",
    "2001:db8::2",
    "2001:db8:ff::3",
]
INTERNAL = [a for e in ENIS.values() if G not in e.group_ids for a in e.addresses]
ADDRESSES = EXTERNAL + INTERNAL
PORTS = [22, 80, 443, 3389, 5432, 8080]
# the ports used, their neighbours and the ends of the range: where a sloppy rule would leak
CHECK_PORTS = sorted(
    {q for p in PORTS for q in (p - 1, p, p + 1)} | {0, 1, 2999, 3000, 9001, 65535}
)

PEERS = [  # world-open first and twice: they are what findings are about
    {"cidr_ipv4": "0.0.0.0/0"},
    {"cidr_ipv4": "0.0.0.0/0"},
    {"cidr_ipv6": "::/0"},
    {"cidr_ipv6": "::/0"},
    {"cidr_ipv4": "198.51.100.0/24"},
    {"cidr_ipv4": "10.0.0.0/8"},
    {"cidr_ipv6": "2001:db8::/32"},
    {"referenced_group_id": "sg-a"},
    {"referenced_group_id": "sg-b"},
    {"prefix_list_id": "pl-1"},
]
PORT_RANGES = [(22, 22), (80, 80), (443, 443), (5432, 5432), (0, 65535), (3000, 9000)]


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    proto = draw(st.sampled_from(["tcp", "udp", "-1", "icmp"]))
    peer = draw(st.sampled_from(PEERS))
    if proto == "-1":
        ports: tuple[int | None, int | None] = (None, None)
    elif proto == "icmp":
        ports = (-1, -1)
    else:
        ports = draw(st.sampled_from(PORT_RANGES))
    return Rule(G, False, proto, ports[0], ports[1], **peer)


@st.composite
def connections(draw: st.DrawFn) -> Connection:
    eni = draw(st.sampled_from(["eni-t1", "eni-t2"]))
    proto = draw(st.sampled_from([6, 6, 6, 17, 1]))
    port = None if proto == 1 else draw(st.sampled_from(PORTS))
    addr = draw(st.sampled_from(ADDRESSES))
    n = draw(st.integers(1, 50))
    return Connection(
        eni,
        proto,
        port,
        addr,
        ipaddress.ip_address(addr).version,
        n,
        n * 10,
        n * 1000,
        T + timedelta(hours=1),
        T + timedelta(hours=2),
        draw(st.sampled_from([False, False, True])),
        (("2026-10-01", n),),
    )


def inventory_with(group: SecurityGroup) -> Inventory:
    others = {g: SecurityGroup(g, g, "vpc-1", "1", "1", "r") for g in ("sg-a", "sg-b")}
    return Inventory("1", "r", {G: group, **others}, dict(ENIS), (), {}, {}, PREFIX_LISTS)


def coverage(ok: bool) -> Coverage:
    enis = ("eni-t1", "eni-t2")
    return Coverage(WINDOW, enis, () if ok else ("eni-t2",), (), 0.0)


def _conn(addr: str, probe: bool, port: int = 22) -> Connection:
    return Connection("eni-t1", 6, port, addr, 4, 3, 30, 3000, T, T, probe, (("2026-10-01", 3),))


@example(  # two real admins and a scanner between them, one prefix allowed: no /29 over the probe
    ingress=[Rule(G, False, "tcp", 22, 22, cidr_ipv4="0.0.0.0/0")],
    traffic=[
        _conn("198.51.100.1", False),
        _conn("198.51.100.4", False),
        _conn("198.51.100.2", True),
    ],
    covered=True,
    max_prefixes=1,
    declared=(),
)
@example(  # found by a CI run: scattered real sources on an uncovered ENI asked for a decision
    ingress=[Rule(G, False, "-1", None, None, cidr_ipv4="0.0.0.0/0")],
    traffic=[_conn("198.51.100.1", False), _conn("203.0.113.1", False)],
    covered=False,
    max_prefixes=1,
    declared=(),
)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ingress=st.lists(rules(), min_size=1, max_size=6, unique_by=lambda r: r.key()),
    traffic=st.lists(connections(), max_size=40),
    covered=st.sampled_from([True, True, True, False]),
    max_prefixes=st.sampled_from([1, 2, 10]),
    declared=st.sampled_from([(), (22, 8080)]),
)
def test_a_ready_plan_keeps_real_use_and_allows_nothing_new(
    ingress: list[Rule],
    traffic: list[Connection],
    covered: bool,
    max_prefixes: int,
    declared: tuple[int, ...],
) -> None:
    group = SecurityGroup(G, "target", "vpc-1", "1", "1", "r", ingress=tuple(ingress))
    inv = inventory_with(group)
    # flow logs only show accepted traffic as use: keep the connections today's rules let in
    conns = [c for c in traffic if rules_allow(ingress, c, ENIS[c.interface_id], inv)]
    options = PlannerOptions(max_prefixes=max_prefixes, public_tcp_ports=declared)
    plan = plan_group(group, inv, conns, coverage(covered), options, ["EC2.19"])
    if not covered:
        assert plan.status in ("needs-more-data", "no-change")
        assert not plan.revoke and not plan.authorize
        return
    event(f"status {plan.status}, authorize {min(len(plan.authorize), 2)}")
    new = [r for r in plan.proposed_rules() if not r.is_egress]
    # 1. every real connection is still let in
    for c in conns:
        if not c.is_probe:
            assert rules_allow(new, c, ENIS[c.interface_id], inv), (c, new)
    # 2. nothing is let in that the current rules deny
    for addr in [*ADDRESSES, "8.8.8.8", "2a00::1", "10.200.0.1"]:
        for proto, port in [(1, None), *((p, n) for p in (6, 17) for n in CHECK_PORTS)]:
            if any(rule_allows(r, proto, port, addr, inv) for r in new):
                assert any(rule_allows(r, proto, port, addr, inv) for r in ingress), (
                    addr,
                    proto,
                    port,
                    new,
                )
    # 3. no authorized prefix takes in a probe that was not a real source on that port
    for d in plan.authorize:
        if d.rule.is_world_open or d.rule.referenced_group_id or d.rule.prefix_list_id:
            continue
        net = ipaddress.ip_network(d.rule.peer)
        real_here = {
            c.remote_addr
            for c in conns
            if not c.is_probe and d.rule.allows_port(c.protocol, c.service_port)
        }
        for c in conns:
            if (
                c.is_probe
                and c.remote_addr not in real_here
                and d.rule.allows_port(c.protocol, c.service_port)
            ):
                assert ipaddress.ip_address(c.remote_addr) not in net, (c, d.rule)
    # 4. ready means something changes; no-change means nothing does
    assert (plan.status == "ready") == bool(plan.revoke or plan.authorize)
    # 5. the group's "shuts out" line agrees: no real source cut, every probe-only source of a
    # revoked rule that the new rules no longer admit is counted
    if plan.status == "ready":
        revoked = [d.rule for d in plan.revoke]
        gone = shut_out(python_revoked_keys(conns, revoked, inv), plan.proposed_rules(), inv)
        assert gone.real_sources_cut == 0, gone
        hit = [
            c
            for c in conns
            if any(rule_allows(r, c.protocol, c.service_port, c.remote_addr, inv) for r in revoked)
        ]
        real = {c.remote_addr for c in hit if not c.is_probe}
        out = {
            c.remote_addr
            for c in hit
            if c.is_probe
            and c.remote_addr not in real
            and not rules_allow(new, c, ENIS[c.interface_id], inv)
        }
        assert gone.scanner_sources == len(out), (gone, out)


def _naive_allows(
    rule: Rule, protocol: int, port: int | None, address: str, inv: Inventory
) -> bool:
    """The matcher spelled out with ipaddress and Rule.allows_port, to check the fast one."""
    if rule.is_egress or not rule.allows_port(protocol, port):
        return False
    addr = ipaddress.ip_address(address)
    if rule.referenced_group_id:
        return any(
            rule.referenced_group_id in e.group_ids and address in e.addresses
            for e in inv.interfaces.values()
        )
    cidrs = (
        [rule.peer] if not rule.prefix_list_id else list(PREFIX_LISTS[rule.prefix_list_id].cidrs)
    )
    return any(
        addr.version == ipaddress.ip_network(c).version and addr in ipaddress.ip_network(c)
        for c in cidrs
    )


@settings(max_examples=300, deadline=None)
@given(
    rule=rules(),
    protocol=st.sampled_from([1, 6, 17, 58]),
    port=st.sampled_from([None, *CHECK_PORTS]),
    address=st.sampled_from([*ADDRESSES, "8.8.8.8", "2a00::1", "10.200.0.1", "203.0.113.127"]),
)
def test_the_fast_matcher_agrees_with_the_naive_one(
    rule: Rule, protocol: int, port: int | None, address: str
) -> None:
    group = SecurityGroup(G, "target", "vpc-1", "1", "1", "r", ingress=(rule,))
    inv = inventory_with(group)
    assert rule_allows(rule, protocol, port, address, inv) == _naive_allows(
        rule, protocol, port, address, inv
    )


@st.composite
def rollup_rows(draw: st.DrawFn, ingress: list[Rule]) -> tuple[object, ...]:
    """One roll-up row: mostly accepted inbound use on a port some rule allows, some probes,
    outbound and rejected rows."""
    addr = draw(st.sampled_from(draw(st.sampled_from([INTERNAL, EXTERNAL]))))
    rule = draw(st.sampled_from(ingress))
    if rule.protocol in (6, 17) and draw(st.booleans()):
        proto = rule.protocol
        lo, hi = rule.port_range()
        port: int | None = draw(st.sampled_from([p for p in PORTS if lo <= p <= hi] or [lo]))
    else:
        proto = draw(st.sampled_from([6, 6, 17, 1]))
        port = None if proto == 1 else draw(st.sampled_from(PORTS))
    hour = T + timedelta(hours=draw(st.integers(0, 15 * 24 - 1)))
    size = draw(
        st.sampled_from([(1, 44, 0, 0), (2, 100, 1, 40), (4, 179, 3, 153), (12, 3000, 9, 9000)])
    )
    return (
        draw(st.sampled_from(["eni-t1", "eni-t2"])),
        draw(st.sampled_from(["inbound", "inbound", "inbound", "outbound"])),
        proto,
        port,
        addr,
        hour,
        draw(st.integers(0, 4)),  # connections (0: flagless later intervals)
        *size,
        draw(st.sampled_from([1, 1, 1, 0])),  # accepted records
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ingress=st.lists(rules(), min_size=1, max_size=5, unique_by=lambda r: r.key()),
    data=st.data(),
    max_prefixes=st.sampled_from([1, 10]),
    declared=st.sampled_from([(), (22, 8080)]),
)
def test_the_sql_engine_plans_exactly_like_the_python_reference(
    ingress: list[Rule], data: st.DataObject, max_prefixes: int, declared: tuple[int, ...]
) -> None:
    rows = data.draw(st.lists(rollup_rows(ingress), max_size=40))
    import json
    from pathlib import Path

    from sgharden.analysis.planner import propose
    from sgharden.model import Finding, FlowLog
    from sgharden.snapshot import Snapshot
    from sgharden.workspace import open_workspace

    group = SecurityGroup(G, "target", "vpc-1", "1", "1", "r", ingress=tuple(ingress))
    inv = inventory_with(group)
    inv = Inventory(
        "1",
        "r",
        inv.security_groups,
        inv.interfaces,
        (FlowLog("fl-1", "vpc-1", "1", "r", "", "s3", "b"),),
        {},
        {},
        PREFIX_LISTS,
    )
    finding = Finding(
        "f-1",
        "EC2.19",
        "1",
        "r",
        "AwsEc2SecurityGroup",
        G,
        "arn",
        "HIGH",
        "t",
        "ACTIVE",
        "FAILED",
        "security-control/EC2.19",
    )
    snapshot = Snapshot(Path("."), (finding,), {("1", "r"): inv})
    con = open_workspace(None)
    if rows:
        con.executemany(
            "INSERT INTO flow_rollup VALUES ('1', 'r', $1, $2, 'port', $3, '10.0.9.1', $4, $5, "
            "ip_family($5), ip_hex($5), $6, 1, $7, $8, $9, $10, $11, $12, 1 - $12, NULL, $6, $6)",
            [list(r) for r in rows],
        )
    con.execute(
        "INSERT INTO interface_hours SELECT '1', 'r', e, $t + to_hours(h), 1, 0, 0 "
        "FROM (VALUES ('eni-t1'), ('eni-t2')) v(e), range(360) r(h)",
        {"t": T},
    )
    options = PlannerOptions(max_prefixes=max_prefixes, public_tcp_ports=declared)
    plans = [
        json.loads(json.dumps(propose(con, snapshot, WINDOW, options, now=T, engine=e).to_dict()))
        for e in ("sql", "python")
    ]
    assert plans[0] == plans[1]
    (planned,) = plans[0]["groups"]
    if planned["status"] == "ready":
        assert planned["shut_out"]["real_sources_cut"] == 0
    event(f"sql engine: {planned['status']}, authorize {min(len(planned['authorize']), 2)}")
