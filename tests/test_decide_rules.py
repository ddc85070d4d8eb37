"""analysis/decide.plan_group, one decision per test, on hand-built inventories (pure: no DuckDB).

Written for mutation testing (issue 16): each test asserts the exact outcome of one rule of
docs/planner.md (status, the rules revoked / authorized / kept, their reasons and evidence), so a
changed comparison, a dropped branch or a changed text fails a test that names it. The safety
invariant over random inputs is tests/test_planner_properties.py; the whole pipeline on real
flow logs is tests/test_planner.py.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sgharden.analysis.connections import Connection, Window
from sgharden.analysis.coverage import Coverage, Gap
from sgharden.analysis.decide import plan_group
from sgharden.analysis.evidence import EvidenceSpec
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.use import PortUse, RuleUse
from sgharden.model import FlowLog, Interface, Inventory, Rule, SecurityGroup
from sgharden.plan.write import GroupPlan, RuleDecision

G = "sg-target"
T = datetime(2026, 10, 1)
WINDOW = Window(T, T + timedelta(days=15))
WINDOW_TEXT = "15.0 days (2026-10-01T00:00:00Z to 2026-10-16T00:00:00Z), 2/2 ENIs with flow logs"


def eni(eni_id: str, groups: tuple[str, ...], v4: str, v6: tuple[str, ...] = ()) -> Interface:
    return Interface(eni_id, "111122223333", "eu-west-1", "vpc-1", "subnet-1", groups, (v4,), v6)


TARGET_ENIS = [
    eni("eni-t1", (G,), "10.0.9.1", ("2001:db8:9::1",)),
    eni("eni-t2", (G,), "10.0.9.2"),
]


def rule(proto: str, lo: int | None, hi: int | None = None, **peer: str) -> Rule:
    return Rule(
        G, False, proto, lo, lo if hi is None else hi, **(peer or {"cidr_ipv4": "0.0.0.0/0"})
    )


def conn(
    addr: str,
    port: int | None = 22,
    *,
    probe: bool = False,
    proto: int = 6,
    n: int = 3,
    on: str = "eni-t1",
) -> Connection:
    family = ipaddress.ip_address(addr).version
    return Connection(on, proto, port, addr, family, n, n * 10, n * 1000, T, T, probe)


def coverage(
    uncovered: tuple[str, ...] = (),
    gaps: tuple[Gap, ...] = (),
    share: float = 0.0,
    days: int = 15,
) -> Coverage:
    return Coverage(
        Window(T, T + timedelta(days=days)), ("eni-t1", "eni-t2"), uncovered, gaps, share
    )


def plan(
    ingress: list[Rule],
    conns: list[Connection],
    *,
    egress: tuple[Rule, ...] = (),
    others: list[Interface] = (),  # type: ignore[assignment]
    options: PlannerOptions | None = None,
    cov: Coverage | None = None,
    name: str = "target",
    members: list[Interface] | None = None,
    controls: tuple[str, ...] = ("EC2.19",),
    flow_logs: tuple[FlowLog, ...] = (),
    snapshot_root: str | None = None,
    uses: dict[Rule, RuleUse] | None = None,
) -> GroupPlan:
    group = SecurityGroup(
        G, name, "vpc-1", "111122223333", "111122223333", "eu-west-1", "", tuple(ingress), egress
    )
    enis = TARGET_ENIS if members is None else members
    groups = {G: group}
    for e in others:
        for g in e.group_ids:
            groups.setdefault(g, SecurityGroup(g, g, "vpc-1", "1", "111122223333", "eu-west-1"))
    inventory = Inventory(
        "111122223333",
        "eu-west-1",
        groups,
        {e.interface_id: e for e in [*enis, *others]},
        flow_logs,
    )
    return plan_group(
        group,
        inventory,
        conns,
        cov or coverage(),
        options or PlannerOptions(),
        controls,
        ("arn:finding/1",),
        uses=uses,
        snapshot_root=snapshot_root,
    )


def peers(decisions: tuple[RuleDecision, ...]) -> list[tuple[str, int | None, int | None, str]]:
    return [(d.rule.ip_protocol, d.rule.from_port, d.rule.to_port, d.rule.peer) for d in decisions]


def reasons(decisions: tuple[RuleDecision, ...]) -> list[str]:
    return [d.reason for d in decisions]


# -- no real use -----------------------------------------------------------------------------


def test_a_rule_only_probes_used_is_revoked_with_window_coverage_and_probe_counts() -> None:
    ssh = rule("tcp", 22)
    p = plan([ssh], [conn("192.0.2.1", probe=True, n=4), conn("192.0.2.2", probe=True, n=2)])
    assert p.status == "ready"
    assert peers(p.revoke) == [("tcp", 22, 22, "0.0.0.0/0")] and p.authorize == () and p.keep == ()
    assert reasons(p.revoke) == [
        f"no real use in {WINDOW_TEXT}, worst gap share 0.00%; 2 probe source(s) "
        "(6 connections) show it exposed"
    ]
    # the evidence is what the rule let in: both probes
    assert {c.remote_addr for c in p.revoke[0].connections} == {"192.0.2.1", "192.0.2.2"}
    assert p.warnings == ()


def test_a_rule_nobody_touched_says_no_use_without_probe_text() -> None:
    p = plan([rule("tcp", 22)], [])
    assert reasons(p.revoke) == [f"no real use in {WINDOW_TEXT}, worst gap share 0.00%"]
    assert p.revoke[0].connections == ()


def test_traffic_on_another_port_or_family_or_interface_is_not_the_rules_use() -> None:
    ssh = rule("tcp", 22)
    traffic = [
        conn("198.51.100.1", 23),  # another port
        conn("2001:db8::1", 22),  # IPv6 under an IPv4 world rule
        conn("198.51.100.2", 22, on="eni-other"),  # an interface of another group
        conn("198.51.100.3", 22, proto=17),  # udp
    ]
    p = plan([ssh], traffic, others=[eni("eni-other", ("sg-x",), "10.0.5.5")])
    assert peers(p.revoke) == [("tcp", 22, 22, "0.0.0.0/0")] and p.authorize == ()
    assert p.revoke[0].connections == ()


def test_a_group_no_interface_uses_has_its_rules_revoked_as_unused_by_any_eni() -> None:
    p = plan([rule("tcp", 22)], [], members=[])
    assert reasons(p.revoke) == [
        "no ENI uses the group in 15.0 days (2026-10-01T00:00:00Z to 2026-10-16T00:00:00Z), "
        "2/2 ENIs with flow logs, worst gap share 0.00%"
    ]


def test_the_gap_share_and_uncovered_count_are_in_the_window_text() -> None:
    gap = Gap("eni-t1", T, T + timedelta(hours=3), "no-delivery")
    p = plan([rule("tcp", 22)], [], cov=coverage(gaps=(gap,), share=0.0125))
    assert reasons(p.revoke) == [
        "no real use in 15.0 days (2026-10-01T00:00:00Z to 2026-10-16T00:00:00Z), "
        "2/2 ENIs with flow logs, worst gap share 1.25%"
    ]
    # a small gap is a warning on a ready plan
    assert p.status == "ready"
    assert p.warnings == (
        "flow-log gaps of 3 interface-hours (worst ENI 1.25% of the window, under the 2.0% "
        "limit): use in them is unseen",
    )


# -- rules in use that are not world-open ----------------------------------------------------


def test_a_narrow_rule_in_use_is_kept_with_its_counts() -> None:
    office = rule("tcp", 22, cidr_ipv4="198.51.100.0/24")
    traffic = [
        conn("198.51.100.1", n=4),
        conn("198.51.100.2", n=2),
        conn("198.51.100.3", probe=True),
    ]
    p = plan([office], traffic)
    assert p.status == "no-change" and p.revoke == () and p.authorize == ()
    assert peers(p.keep) == [("tcp", 22, 22, "198.51.100.0/24")]
    assert reasons(p.keep) == ["in use: 2 real source(s), 6 connections; not open to the world"]
    assert len(p.keep[0].connections) == 3  # the evidence: everything it let in


def test_egress_rules_are_kept_with_the_reason_and_never_revoked() -> None:
    out = Rule(G, True, "-1", None, None, cidr_ipv4="0.0.0.0/0")
    p = plan([rule("tcp", 22, cidr_ipv4="198.51.100.0/24")], [conn("198.51.100.1")], egress=(out,))
    assert [d.rule for d in p.keep][-1] == out
    assert reasons(p.keep)[-1] == (
        "egress rule kept: sgharden narrows inbound access; outbound use is not analysed for "
        "egress rules"
    )
    assert p.current == (p.keep[0].rule, out)


# -- world-open rules: public services ---------------------------------------------------------


def test_a_declared_public_port_is_kept_with_its_reason() -> None:
    options = PlannerOptions(public_tcp_ports=(8443,))
    p = plan([rule("tcp", 8443)], [conn("10.0.1.1", 8443), conn("10.0.1.2", 8443)], options=options)
    assert p.status == "no-change"
    assert reasons(p.keep) == ["kept: public service on a port declared public: 2 real source(s)"]


def test_an_authorized_port_with_internet_use_is_kept_public() -> None:
    p = plan([rule("tcp", 443)], [conn("198.51.100.1", 443), conn("10.0.1.1", 443)])
    assert p.status == "no-change"
    assert reasons(p.keep) == [
        "kept: public service on an EC2.18 authorized port: 1 internet source(s) of 2"
    ]


def test_an_authorized_udp_port_counts_only_when_configured() -> None:
    use = [conn("198.51.100.1", 53, proto=17)]
    p = plan([rule("udp", 53)], use, options=PlannerOptions(authorized_udp_ports=(53,)))
    assert p.status == "no-change" and reasons(p.keep) == [
        "kept: public service on an EC2.18 authorized port: 1 internet source(s) of 1"
    ]
    p = plan([rule("udp", 53)], use)
    assert p.status == "ready"
    assert peers(p.authorize) == [("udp", 53, 53, "198.51.100.1/32")]


def test_a_wide_world_rule_keeps_the_public_port_open_and_narrows_the_others() -> None:
    everything = rule("-1", None, None)
    traffic = [conn("198.51.100.1", 443, n=5), conn("203.0.113.7", 22, n=2)]
    p = plan([everything], traffic)
    assert p.status == "ready"
    assert peers(p.revoke) == [("-1", None, None, "0.0.0.0/0")]
    assert reasons(p.revoke) == [
        f"world-open rule used by 2 real source(s) in {WINDOW_TEXT}, worst gap share 0.00%; "
        "replaced by the rules authorized below"
    ]
    # sorted by protocol then port: 22 before 443
    assert peers(p.authorize) == [("tcp", 22, 22, "203.0.113.7/32"), ("tcp", 443, 443, "0.0.0.0/0")]
    assert reasons(p.authorize) == [
        "real source(s) on tcp/22: 1 address(es) in 203.0.113.7/32",
        "public service on an EC2.18 authorized port: 1 internet source(s) of 1 on tcp/443",
    ]
    assert [len(d.connections) for d in p.authorize] == [1, 1]
    assert all(
        d.rule.description == "sgharden: observed use, narrowed from 0.0.0.0/0"
        and d.rule.group_id == G
        and not d.rule.is_egress
        for d in p.authorize
    )


def test_an_ipv6_world_rule_is_narrowed_to_ipv6_prefixes_within_its_own_limit() -> None:
    ssh6 = rule("tcp", 22, cidr_ipv6="::/0")
    traffic = [conn("2001:db8:1::1"), conn("2001:db8:1::2"), conn("198.51.100.1")]
    p = plan([ssh6], traffic, options=PlannerOptions(max_prefixes=1, widest_prefix_v6=120))
    assert p.status == "ready"
    assert peers(p.authorize) == [("tcp", 22, 22, "2001:db8:1::/126")]
    assert (
        p.authorize[0].rule.cidr_ipv6 == "2001:db8:1::/126"
        and p.authorize[0].rule.cidr_ipv4 is None
    )
    assert reasons(p.authorize) == ["real source(s) on tcp/22: 2 address(es) in 2001:db8:1::/126"]
    # at /127 they do not fit: the v6 limit, not the v4 one, is what applies
    p = plan([ssh6], traffic, options=PlannerOptions(max_prefixes=1, widest_prefix_v6=127))
    assert p.status == "needs-decision"
    assert "no wider than /127" in p.keep[0].reason


def test_an_ipv6_public_port_is_kept_open_to_ipv6_only() -> None:
    web6 = rule("-1", None, None, cidr_ipv6="::/0")
    p = plan([web6], [conn("2001:db8:1::1", 443)])
    assert peers(p.authorize) == [("tcp", 443, 443, "::/0")]
    assert p.authorize[0].rule.cidr_ipv6 == "::/0"


def test_icmp_under_an_icmp_rule_keeps_its_type_and_code_and_under_all_protocols_none() -> None:
    ping = rule("icmp", 8, 0)
    p = plan([ping], [conn("198.51.100.1", None, proto=1)])
    assert peers(p.authorize) == [("icmp", 8, 0, "198.51.100.1/32")]
    assert reasons(p.authorize) == ["real source(s) on icmp: 1 address(es) in 198.51.100.1/32"]
    p = plan([rule("-1", None, None)], [conn("198.51.100.1", None, proto=1)])
    assert peers(p.authorize) == [("icmp", None, None, "198.51.100.1/32")]


# -- world-open rules: sources that do not fit --------------------------------------------------


def test_scattered_sources_ask_for_a_decision_and_hold_every_revoke() -> None:
    ssh, unused = rule("tcp", 22), rule("tcp", 3389)
    traffic = [conn("198.51.100.1"), conn("203.0.113.1"), conn("192.0.2.200", probe=True)]
    p = plan([ssh, unused], traffic, options=PlannerOptions(max_prefixes=1))
    assert p.status == "needs-decision"
    assert p.revoke == () and p.authorize == ()
    alternatives = (
        "a customer-managed prefix list of the real sources (counts as its max entries); "
        "SSM Session Manager or an EC2 Instance Connect Endpoint (no inbound rule)"
    )
    assert peers(p.keep) == [("tcp", 22, 22, "0.0.0.0/0"), ("tcp", 3389, 3389, "0.0.0.0/0")]
    assert reasons(p.keep) == [
        "needs a decision: 2 real sources on tcp/22 do not fit in 1 prefixes no wider than /24 "
        f"without taking in probes; alternatives: {alternatives}",
        f"held until the decision above: no real use in {WINDOW_TEXT}, worst gap share 0.00%",
    ]
    assert len(p.keep[0].connections) == 3
    assert p.warnings == (
        "0.0.0.0/0 tcp/22: 2 scattered real sources cannot be narrowed within the limits; "
        f"choose: {alternatives}",
    )


def test_a_prefix_that_would_take_in_a_probe_is_not_proposed() -> None:
    traffic = [conn("198.51.100.1"), conn("198.51.100.3"), conn("198.51.100.2", probe=True)]
    p = plan([rule("tcp", 22)], traffic, options=PlannerOptions(max_prefixes=1))
    assert p.status == "needs-decision"
    # with room for two prefixes both admins are authorized alone
    p = plan([rule("tcp", 22)], traffic, options=PlannerOptions(max_prefixes=2))
    assert peers(p.authorize) == [
        ("tcp", 22, 22, "198.51.100.1/32"),
        ("tcp", 22, 22, "198.51.100.3/32"),
    ]


def test_a_source_that_was_also_real_may_be_inside_a_prefix() -> None:
    # the same address probed once and used for real: it is a real source, not probe-only
    traffic = [conn("198.51.100.1"), conn("198.51.100.2"), conn("198.51.100.2", probe=True)]
    p = plan([rule("tcp", 22)], traffic, options=PlannerOptions(max_prefixes=1))
    assert peers(p.authorize) == [("tcp", 22, 22, "198.51.100.0/30")]
    assert reasons(p.authorize) == ["real source(s) on tcp/22: 2 address(es) in 198.51.100.0/30"]
    # its evidence: the real connections inside the prefix
    assert [c.remote_addr for c in p.authorize[0].connections] == ["198.51.100.1", "198.51.100.2"]
    assert not any(c.is_probe for c in p.authorize[0].connections)


# -- same-VPC sources become group references --------------------------------------------------

APP = [eni("eni-a1", ("sg-app",), "10.0.1.1"), eni("eni-a2", ("sg-app",), "10.0.1.2")]


def test_same_vpc_sources_are_authorized_as_a_reference_to_their_group() -> None:
    traffic = [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080)]
    p = plan([rule("tcp", 8080)], traffic, others=APP)
    assert p.status == "ready"
    assert peers(p.authorize) == [("tcp", 8080, 8080, "sg-app")]
    assert p.authorize[0].rule.referenced_group_id == "sg-app"
    assert reasons(p.authorize) == [
        "same-VPC sources on tcp/8080: 2 of the 2 ENIs of sg-app were seen; reference the "
        "group instead of addresses"
    ]
    assert len(p.authorize[0].connections) == 2


def test_half_the_members_seen_is_enough_for_a_reference_and_less_is_not() -> None:
    members = [eni(f"eni-a{i}", ("sg-app",), f"10.0.1.{i}") for i in range(1, 5)]
    two = [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080)]
    p = plan([rule("tcp", 8080)], two, others=members)
    assert peers(p.authorize) == [("tcp", 8080, 8080, "sg-app")]
    assert "2 of the 4 ENIs of sg-app" in p.authorize[0].reason
    p = plan([rule("tcp", 8080)], two[:1], others=members)
    assert peers(p.authorize) == [("tcp", 8080, 8080, "10.0.1.1/32")]


def test_a_group_in_another_vpc_is_never_referenced() -> None:
    away = [Interface("eni-a1", "1", "r", "vpc-2", "s", ("sg-app",), ("10.0.1.1",))]
    p = plan([rule("tcp", 8080)], [conn("10.0.1.1", 8080)], others=away)
    assert peers(p.authorize) == [("tcp", 8080, 8080, "10.0.1.1/32")]


def test_a_group_with_a_probing_member_is_not_referenced() -> None:
    traffic = [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080, probe=True)]
    p = plan([rule("tcp", 8080)], traffic, others=APP)
    assert peers(p.authorize) == [("tcp", 8080, 8080, "10.0.1.1/32")]


def test_a_group_with_a_member_the_current_rules_deny_is_not_referenced() -> None:
    # the rule lets in 10.0.1.0/31 only (.0 and .1); the group's other member, .2, is outside
    narrow = rule("tcp", 8080, cidr_ipv4="10.0.1.0/31")
    world = rule("tcp", 8080)
    members = [eni("eni-a1", ("sg-app",), "10.0.1.1"), eni("eni-a2", ("sg-app",), "10.0.2.9")]
    traffic = [conn("10.0.1.1", 8080)]
    # under the world rule a reference is fine ...
    p = plan(
        [world], traffic, others=members, options=PlannerOptions(reference_min_member_share=0.5)
    )
    assert peers(p.authorize) == [("tcp", 8080, 8080, "sg-app")]
    # ... but when only a /31 and the world rule on another family allow it, not
    world6 = rule("tcp", 8080, cidr_ipv6="::/0")
    p = plan([narrow, world6], traffic, others=members)
    assert peers(p.keep) == [("tcp", 8080, 8080, "10.0.1.0/31")]
    assert p.authorize == ()


def test_members_of_a_family_the_group_has_no_address_of_do_not_count() -> None:
    # eni-a2 has an IPv6 address; the target ENIs have IPv6 too, so it must be allowed:
    # the v4 world rule does not allow IPv6, so no reference
    members = [
        eni("eni-a1", ("sg-app",), "10.0.1.1"),
        eni("eni-a2", ("sg-app",), "10.0.1.2", ("2001:db8:1::2",)),
    ]
    traffic = [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080)]
    p = plan([rule("tcp", 8080)], traffic, others=members)
    assert peers(p.authorize) == [
        ("tcp", 8080, 8080, "10.0.1.1/32"),
        ("tcp", 8080, 8080, "10.0.1.2/32"),
    ]
    # with IPv4-only target ENIs the IPv6 address cannot reach them and is not asked about
    v4_only = [eni("eni-t1", (G,), "10.0.9.1"), eni("eni-t2", (G,), "10.0.9.2")]
    p = plan([rule("tcp", 8080)], traffic, others=members, members=v4_only)
    assert peers(p.authorize) == [("tcp", 8080, 8080, "sg-app")]


def test_the_reference_with_the_largest_share_then_the_smallest_group_wins() -> None:
    # 10.0.1.1 is in sg-big (1 of 3 seen... plus .2) and sg-small (both members seen)
    members = [
        eni("eni-a1", ("sg-big", "sg-small"), "10.0.1.1"),
        eni("eni-a2", ("sg-big", "sg-small"), "10.0.1.2"),
        eni("eni-a3", ("sg-big",), "10.0.1.3"),
    ]
    traffic = [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080)]
    p = plan([rule("tcp", 8080)], traffic, others=members)
    assert peers(p.authorize) == [("tcp", 8080, 8080, "sg-small")]
    # all three seen: both groups have every member seen; the smaller one still wins
    traffic.append(conn("10.0.1.3", 8080))
    p = plan([rule("tcp", 8080)], traffic, others=members)
    assert peers(p.authorize) == [("tcp", 8080, 8080, "sg-small"), ("tcp", 8080, 8080, "sg-big")]
    assert "1 of the 3 ENIs of sg-big" not in p.authorize[1].reason
    assert "3 of the 3 ENIs of sg-big" in p.authorize[1].reason


def test_references_and_prefixes_together_cover_every_source() -> None:
    traffic = [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080), conn("198.51.100.9", 8080)]
    p = plan([rule("tcp", 8080)], traffic, others=APP)
    assert peers(p.authorize) == [
        ("tcp", 8080, 8080, "sg-app"),
        ("tcp", 8080, 8080, "198.51.100.9/32"),
    ]


# -- the same proposal from two rules, and a proposal that already exists -----------------------


def test_two_world_rules_proposing_the_same_rule_become_one_with_both_evidences() -> None:
    traffic = [conn("198.51.100.1", n=2)]
    p = plan([rule("tcp", 22), rule("tcp", 0, 65535)], traffic)
    assert peers(p.authorize) == [("tcp", 22, 22, "198.51.100.1/32")]
    # the same connection matched both: kept once
    assert len(p.authorize[0].connections) == 1


def test_a_proposal_that_a_kept_rule_already_is_not_authorized_again() -> None:
    kept = Rule(G, False, "tcp", 22, 22, cidr_ipv4="198.51.100.1/32")
    p = plan([rule("tcp", 22), kept], [conn("198.51.100.1")])
    assert peers(p.revoke) == [("tcp", 22, 22, "0.0.0.0/0")]
    assert p.authorize == ()
    assert peers(p.keep) == [("tcp", 22, 22, "198.51.100.1/32")]


# -- the default group (EC2.2) ----------------------------------------------------------------


def test_an_empty_default_group_loses_every_rule_ingress_and_egress() -> None:
    ssh = rule("tcp", 22, cidr_ipv4="198.51.100.0/24")
    out = Rule(G, True, "-1", None, None, cidr_ipv4="0.0.0.0/0")
    p = plan([ssh], [], egress=(out,), members=[], name="default", controls=("EC2.2",))
    assert p.status == "ready"
    assert [d.rule for d in p.revoke] == [ssh, out]
    assert set(reasons(p.revoke)) == {
        "EC2.2: the VPC's default group has no ENIs; revoke all its rules (ingress and egress) "
        "so nothing that lands in it by default gets access"
    }
    # without EC2.2, or when named otherwise, the normal rules apply: the egress rule stays
    for name, controls in (("default", ("EC2.19",)), ("app", ("EC2.2",))):
        p = plan([ssh], [], egress=(out,), members=[], name=name, controls=controls)
        assert [d.rule for d in p.keep] == [out]


def test_a_used_default_group_says_its_enis_must_move_first() -> None:
    ssh = rule("tcp", 22, cidr_ipv4="198.51.100.0/24")
    p = plan([ssh], [conn("198.51.100.1")], name="default", controls=("EC2.2",))
    assert p.status == "no-change"
    assert p.warnings == (
        "EC2.2: the default group is used by 2 ENI(s); move them to dedicated groups before "
        "its remaining rules can be removed",
    )
    p = plan([ssh], [conn("198.51.100.1")], name="default", controls=("EC2.19",))
    assert p.warnings == ()


# -- incomplete evidence -------------------------------------------------------------------------


def test_an_uncovered_eni_holds_every_revoke_with_what_is_missing() -> None:
    p = plan([rule("tcp", 22)], [conn("198.51.100.1")], cov=coverage(uncovered=("eni-t2",)))
    assert p.status == "needs-more-data"
    assert p.revoke == () and p.authorize == ()
    assert peers(p.keep) == [("tcp", 22, 22, "0.0.0.0/0")]
    (held,) = reasons(p.keep)
    assert held.startswith(
        "needs more data before revoking (1 of 2 ENI(s) have no flow-log data in the window, "
        "so their use is unknown (not zero)); in the data recorded so far: world-open rule used "
        "by 1 real source(s)"
    )
    assert p.warnings[0] == "ENIs without flow-log data: eni-t2"
    assert len(p.warnings) == 2  # the reason and the readiness line


def test_a_short_window_holds_the_revoke_of_an_unused_rule() -> None:
    p = plan([rule("tcp", 22)], [], cov=coverage(days=3))
    assert p.status == "needs-more-data"
    assert p.keep[0].reason.startswith(
        "needs more data before revoking (the window is 3 of the 14 days needed); "
        "in the data recorded so far: no real use in 3.0 days"
    )
    assert p.warnings[0] == (
        "window is 3.0 days, shorter than the minimum 14 (collect more flow logs or lower "
        "--min-days)"
    )
    assert plan([rule("tcp", 22)], [], cov=coverage(days=14)).status == "ready"


def test_incomplete_evidence_with_nothing_to_change_is_no_change_with_the_reasons() -> None:
    office = rule("tcp", 22, cidr_ipv4="198.51.100.0/24")
    p = plan([office], [conn("198.51.100.1")], cov=coverage(uncovered=("eni-t2",)))
    assert p.status == "no-change"
    assert p.warnings == ("ENIs without flow-log data: eni-t2",)
    assert reasons(p.keep) == ["in use: 1 real source(s), 3 connections; not open to the world"]


def test_incomplete_evidence_comes_before_a_decision() -> None:
    traffic = [conn("198.51.100.1"), conn("203.0.113.1")]
    p = plan(
        [rule("tcp", 22)],
        traffic,
        options=PlannerOptions(max_prefixes=1),
        cov=coverage(uncovered=("eni-t2",)),
    )
    assert p.status == "needs-more-data"
    assert p.keep[0].reason.startswith("needs a decision: 2 real sources")


def test_a_group_without_interfaces_is_not_held_for_coverage() -> None:
    p = plan([rule("tcp", 22)], [], members=[], cov=coverage(uncovered=("eni-t2",)))
    assert p.status == "ready"
    assert p.warnings == ()


def test_gaps_over_the_limit_hold_the_plan() -> None:
    gap = Gap("eni-t1", T, T + timedelta(hours=30), "no-delivery")
    p = plan([rule("tcp", 22)], [], cov=coverage(gaps=(gap,), share=0.0834))
    assert p.status == "needs-more-data"
    assert p.warnings[0] == (
        "flow-log gaps of 30 interface-hours; worst ENI misses 8.3% of the window (limit 2.0%)"
    )


# -- the plan's header -------------------------------------------------------------------------


def test_the_plan_carries_the_groups_identity_controls_and_findings() -> None:
    p = plan([rule("tcp", 22)], [], controls=("EC2.19", "EC2.13"))
    assert (p.group_id, p.group_name, p.vpc_id, p.account_id, p.region) == (
        G,
        "target",
        "vpc-1",
        "111122223333",
        "eu-west-1",
    )
    assert p.controls == ("EC2.19", "EC2.13") and p.findings == ("arn:finding/1",)
    assert p.current == (rule("tcp", 22),)
    assert p.coverage == coverage().stated()


# -- written for the survivors of the first mutation run (docs/testing.md) -----------------------


def test_a_kept_public_rule_keeps_its_evidence() -> None:
    p = plan([rule("tcp", 443)], [conn("198.51.100.1", 443), conn("10.0.1.1", 443)])
    assert [c.remote_addr for c in p.keep[0].connections] == ["198.51.100.1", "10.0.1.1"]


def test_ports_are_proposed_in_protocol_order_then_port_order() -> None:
    # udp/53 has the lower port, tcp the lower protocol number: tcp comes first
    traffic = [
        conn("198.51.100.1", 53, proto=17),
        conn("198.51.100.1", 443),
        conn("198.51.100.1", 22),
    ]
    p = plan([rule("-1", None, None)], traffic)
    assert [(d.rule.ip_protocol, d.rule.from_port) for d in p.authorize] == [
        ("tcp", 22),
        ("tcp", 443),
        ("udp", 53),
    ]


def test_a_public_port_first_does_not_stop_the_ports_after_it() -> None:
    traffic = [conn("198.51.100.1", 80), conn("203.0.113.5", 8443)]
    p = plan([rule("tcp", 0, 65535)], traffic)
    assert peers(p.authorize) == [
        ("tcp", 80, 80, "0.0.0.0/0"),
        ("tcp", 8443, 8443, "203.0.113.5/32"),
    ]


def test_a_udp_port_under_a_port_range_rule_is_narrowed_to_that_port() -> None:
    p = plan([rule("udp", 0, 65535)], [conn("198.51.100.1", 53, proto=17)])
    assert peers(p.authorize) == [("udp", 53, 53, "198.51.100.1/32")]


def test_probes_steer_the_prefixes_away_rather_than_failing_the_fit() -> None:
    # .1 and .3 are closest, but .2 between them is a probe: the /30 is not made; the wider pair
    # .64 and .96 merges instead, within three prefixes
    traffic = [
        conn("198.51.100.1"),
        conn("198.51.100.3"),
        conn("198.51.100.64"),
        conn("198.51.100.96"),
        conn("198.51.100.2", probe=True),
    ]
    p = plan([rule("tcp", 22)], traffic, options=PlannerOptions(max_prefixes=3))
    assert p.status == "ready"
    assert peers(p.authorize) == [
        ("tcp", 22, 22, "198.51.100.1/32"),
        ("tcp", 22, 22, "198.51.100.3/32"),
        ("tcp", 22, 22, "198.51.100.64/26"),
    ]


def test_a_member_allowed_today_only_on_another_port_blocks_the_reference() -> None:
    # eni-a2's IPv6 address is let in on tcp/22 (::/0) but not on 8080: a reference to sg-app on
    # 8080 would let it in where today's rules do not
    members = [
        eni("eni-a1", ("sg-app",), "10.0.1.1"),
        eni("eni-a2", ("sg-app",), "10.0.1.2", ("2001:db8:1::2",)),
    ]
    ssh6 = rule("tcp", 22, cidr_ipv6="::/0")
    traffic = [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080)]
    p = plan([rule("tcp", 8080), ssh6], traffic, others=members)
    assert peers(p.authorize) == [
        ("tcp", 8080, 8080, "10.0.1.1/32"),
        ("tcp", 8080, 8080, "10.0.1.2/32"),
    ]


def test_a_group_of_one_seen_member_is_referenced() -> None:
    solo = [eni("eni-a1", ("sg-solo",), "10.0.1.1")]
    p = plan([rule("tcp", 8080)], [conn("10.0.1.1", 8080)], others=solo)
    assert peers(p.authorize) == [("tcp", 8080, 8080, "sg-solo")]
    assert "1 of the 1 ENIs of sg-solo" in p.authorize[0].reason


def _second_candidate_wins(
    first_group_members: list[Interface], traffic: list[Connection], *rest: str
) -> None:
    # eni-a1 and eni-a2 are in sg-aaa and sg-bbb; sg-aaa (tried first) is refused for a reason
    # of its own, sg-bbb must still be found
    both = [
        eni("eni-a1", ("sg-aaa", "sg-bbb"), "10.0.1.1"),
        eni("eni-a2", ("sg-aaa", "sg-bbb"), "10.0.1.2"),
    ]
    p = plan([rule("tcp", 8080)], traffic, others=[*both, *first_group_members])
    assert peers(p.authorize) == [("tcp", 8080, 8080, peer) for peer in ("sg-bbb", *rest)]


def test_a_candidate_with_too_few_members_seen_does_not_end_the_search() -> None:
    unseen = [eni(f"eni-a{i}", ("sg-aaa",), f"10.0.1.{i}") for i in range(3, 7)]
    _second_candidate_wins(unseen, [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080)])


def test_a_candidate_with_a_probing_member_does_not_end_the_search() -> None:
    prober = [eni("eni-a3", ("sg-aaa",), "10.0.1.3")]
    traffic = [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080), conn("10.0.1.3", 8080, probe=True)]
    _second_candidate_wins(prober, traffic)


def test_a_candidate_with_a_member_denied_today_does_not_end_the_search() -> None:
    # eni-a3's IPv6 address is not let in on 8080 (the world rule is IPv4 only)
    denied = [eni("eni-a3", ("sg-aaa",), "10.0.1.3", ("2001:db8:1::3",))]
    traffic = [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080), conn("10.0.1.3", 8080)]
    _second_candidate_wins(denied, traffic, "10.0.1.3/32")


def test_of_two_equally_good_references_the_first_by_id_is_made() -> None:
    both = [
        eni("eni-a1", ("sg-bbb", "sg-aaa"), "10.0.1.1"),
        eni("eni-a2", ("sg-bbb", "sg-aaa"), "10.0.1.2"),
    ]
    p = plan([rule("tcp", 8080)], [conn("10.0.1.1", 8080), conn("10.0.1.2", 8080)], others=both)
    assert peers(p.authorize) == [("tcp", 8080, 8080, "sg-aaa")]


def test_a_proposal_already_kept_does_not_stop_the_next_one() -> None:
    kept = Rule(G, False, "tcp", 22, 22, cidr_ipv4="198.51.100.1/32")
    p = plan([rule("tcp", 22), kept], [conn("198.51.100.1"), conn("203.0.113.5")])
    assert peers(p.authorize) == [("tcp", 22, 22, "203.0.113.5/32")]


def test_the_empty_default_groups_plan_keeps_its_header() -> None:
    ssh = rule("tcp", 22, cidr_ipv4="198.51.100.0/24")
    p = plan([ssh], [], members=[], name="default", controls=("EC2.2",), cov=coverage(days=20))
    assert (p.status, p.controls, p.findings) == ("ready", ("EC2.2",), ("arn:finding/1",))
    assert p.coverage == coverage(days=20).stated()


S3_LOG = FlowLog(
    "fl-1", "vpc-1", "111122223333", "eu-west-1", "v2", "s3", "arn:aws:s3:::flow-bucket/vpc"
)


def test_the_readiness_line_names_the_command_with_the_snapshot_and_the_logs_bucket() -> None:
    p = plan(
        [rule("tcp", 22)],
        [],
        cov=coverage(uncovered=("eni-t2",), days=3),
        flow_logs=(S3_LOG,),
        snapshot_root="/data/my snap",
    )
    assert p.status == "needs-more-data"
    assert (
        p.controls == ("EC2.19",) and p.coverage == coverage(uncovered=("eni-t2",), days=3).stated()
    )
    missing = (
        "1 of 2 ENI(s) have no flow-log data in the window, so their use is unknown (not zero); "
        "the window is 3 of the 14 days needed"
    )
    assert p.keep[0].reason.startswith(f"needs more data before revoking ({missing}); ")
    assert p.warnings[-1] == (
        f"not ready: {missing}; ready after 14 day(s) of complete flow logs on eni-t2 from when "
        "their flow logs start (start them: sgharden flow-logs enable --snapshot '/data/my snap' "
        "--destination s3://flow-bucket/vpc), then run propose again; nothing is changed until then"
    )


def test_a_decision_keeps_the_groups_header() -> None:
    traffic = [conn("198.51.100.1"), conn("203.0.113.1")]
    p = plan(
        [rule("tcp", 22)], traffic, options=PlannerOptions(max_prefixes=1), cov=coverage(days=20)
    )
    assert p.status == "needs-decision"
    assert p.controls == ("EC2.19",) and p.coverage == coverage(days=20).stated()


def test_rule_use_measured_in_sql_is_used_and_its_evidence_is_a_query_not_connections() -> None:
    ssh, office = rule("tcp", 22), rule("tcp", 443, cidr_ipv4="198.51.100.0/24")
    unused = RuleUse(0, 0, 2, 7, {}, None, EvidenceSpec(0))
    used = RuleUse(3, 9, 0, 0, {(6, 443): PortUse(6, 443, 3, 3, None, ())}, None, EvidenceSpec(1))
    # the connections passed are ignored when the use is given: they would say otherwise
    p = plan([ssh, office], [conn("198.51.100.1", 22)], uses={ssh: unused, office: used})
    assert p.revoke == (
        RuleDecision(
            ssh,
            f"no real use in {WINDOW_TEXT}, worst gap share 0.00%; 2 probe source(s) "
            "(7 connections) show it exposed",
            (),
            spec=EvidenceSpec(0),
        ),
    )
    assert p.keep == (
        RuleDecision(
            office,
            "in use: 3 real source(s), 9 connections; not open to the world",
            (),
            spec=EvidenceSpec(1),
        ),
    )


def test_traffic_on_a_port_the_rule_does_not_allow_does_not_hide_the_next_port() -> None:
    office = rule("tcp", 22, cidr_ipv4="198.51.100.0/24")
    p = plan([office], [conn("198.51.100.1", 23), conn("198.51.100.1", 22)])
    assert reasons(p.keep) == ["in use: 1 real source(s), 3 connections; not open to the world"]


def test_a_rule_referencing_a_group_sees_its_members_traffic() -> None:
    from_app = rule("tcp", 8080, referenced_group_id="sg-app")
    p = plan([from_app], [conn("10.0.1.1", 8080), conn("10.0.3.3", 8080)], others=APP)
    assert reasons(p.keep) == ["in use: 1 real source(s), 3 connections; not open to the world"]


def test_the_window_text_counts_the_enis_with_flow_logs() -> None:
    office = rule("tcp", 22, cidr_ipv4="198.51.100.0/24")
    p = plan([office], [], cov=coverage(uncovered=("eni-t2",)))
    assert "in the data recorded so far: no real use in 15.0 days (2026-10-01T00:00:00Z to " in (
        p.keep[0].reason
    )
    assert "), 1/2 ENIs with flow logs, worst gap share 0.00%" in p.keep[0].reason


def test_a_replaced_world_rule_keeps_everything_it_let_in_as_evidence() -> None:
    traffic = [conn("198.51.100.1"), conn("192.0.2.9", probe=True)]
    p = plan([rule("tcp", 22)], traffic)
    assert [c.remote_addr for c in p.revoke[0].connections] == ["198.51.100.1", "192.0.2.9"]
