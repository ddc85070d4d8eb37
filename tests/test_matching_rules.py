"""The rule matcher, one EC2 behaviour per test (issue 16: mutants of analysis/matching.py that no
test caught). Each case says which connection a rule lets in and which it does not: a matcher that
lets in too little keeps risky rules, one that lets in too much revokes rules in use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sgharden.analysis import matching
from sgharden.analysis.connections import Connection
from sgharden.analysis.matching import (
    AddressBook,
    address_book,
    address_key,
    allowing_rules,
    compile_rule,
    interface_rules,
    parse_network,
    peer_covers,
    rule_allows,
    rules_allow,
)
from sgharden.model import Interface, Inventory, PrefixList, Rule, SecurityGroup

TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58


@pytest.fixture(autouse=True)
def _cold_caches() -> None:
    """Each test computes its answers itself: nothing compiled by an earlier test is reused."""
    for cached in (matching.parse_address, matching.parse_network, matching.address_key):
        cached.cache_clear()
    matching._compile.cache_clear()
    matching._BOOKS.clear()


def rule(proto: str = "tcp", lo: int | None = 443, hi: int | None = 443, **peer: str) -> Rule:
    return Rule("sg-target", False, proto, lo, hi, **(peer or {"cidr_ipv4": "10.0.0.0/24"}))


def eni(eni_id: str, groups: tuple[str, ...], ips: tuple[str, ...], v6: tuple[str, ...] = ()):
    return Interface(eni_id, "111122223333", "us-east-1", "vpc-1", "subnet-1", groups, ips, v6)


def inventory(*enis: Interface, groups: tuple[SecurityGroup, ...] = (), **lists: PrefixList):
    return Inventory(
        "111122223333",
        "us-east-1",
        security_groups={g.group_id: g for g in groups},
        interfaces={e.interface_id: e for e in enis},
        prefix_lists=dict(lists),
    )


EMPTY = inventory()


def allows(r: Rule, proto: int, port: int | None, addr: str, inv: Inventory = EMPTY) -> bool:
    return rule_allows(r, proto, port, addr, inv)


def test_the_port_range_is_inclusive_at_both_ends() -> None:
    r = rule(lo=8000, hi=8010)
    assert [allows(r, TCP, p, "10.0.0.9") for p in (7999, 8000, 8005, 8010, 8011)] == [
        False,
        True,
        True,
        True,
        False,
    ]


def test_the_protocol_must_match_unless_the_rule_allows_all() -> None:
    assert not allows(rule("tcp"), UDP, 443, "10.0.0.9")
    assert allows(rule("udp"), UDP, 443, "10.0.0.9")
    everything = rule("-1", None, None)
    assert all(allows(everything, p, 5, "10.0.0.9") for p in (TCP, UDP, ICMP, 50))
    assert allows(everything, TCP, None, "10.0.0.9")


def test_icmp_rules_allow_the_protocol_whatever_the_type_field() -> None:
    # ICMP's from/to are type/code, not ports: a connection's "port" never narrows them
    echo = rule("icmp", 8, 0)
    assert allows(echo, ICMP, None, "10.0.0.9")
    assert allows(echo, ICMP, 3, "10.0.0.9")
    assert allows(rule("icmpv6", 128, 0, cidr_ipv6="2001:db8::/64"), ICMPV6, 7, "2001:db8::5")
    assert not allows(echo, TCP, 8, "10.0.0.9")


def test_a_connection_without_a_port_is_allowed_by_a_port_rule_of_its_protocol() -> None:
    assert allows(rule(lo=22, hi=22), TCP, None, "10.0.0.9")
    assert not allows(rule(lo=22, hi=22), UDP, None, "10.0.0.9")


def test_a_cidr_covers_its_first_and_last_address_and_nothing_beyond() -> None:
    r = rule(cidr_ipv4="10.0.0.0/24")
    got = [allows(r, TCP, 443, a) for a in ("9.255.255.255", "10.0.0.0", "10.0.0.255", "10.0.1.0")]
    assert got == [False, True, True, False]


def test_a_cidr_written_with_host_bits_covers_its_network() -> None:
    # EC2 stores 10.0.0.0/24 for 10.0.0.7/24; a plan or snapshot may carry either form
    assert parse_network("10.0.0.7/24") == parse_network("10.0.0.0/24")
    assert allows(rule(cidr_ipv4="10.0.0.7/24"), TCP, 443, "10.0.0.200")


def test_an_address_of_the_other_family_is_never_covered() -> None:
    # ::a00:9 has the same integer value as 10.0.0.9
    assert address_key("::a00:9")[1] == address_key("10.0.0.9")[1]
    assert not allows(rule(cidr_ipv4="10.0.0.0/24"), TCP, 443, "::a00:9")
    assert not allows(rule(cidr_ipv6="::/96"), TCP, 443, "10.0.0.9")
    assert allows(rule(cidr_ipv6="::/96"), TCP, 443, "::a00:9")


def test_world_open_rules_cover_their_own_family_only() -> None:
    v4, v6 = rule(cidr_ipv4="0.0.0.0/0"), rule(cidr_ipv6="::/0")
    assert allows(v4, TCP, 443, "203.0.113.9") and not allows(v4, TCP, 443, "2001:db8::9")
    assert allows(v6, TCP, 443, "2001:db8::9") and not allows(v6, TCP, 443, "203.0.113.9")
    assert compile_rule(v4, EMPTY).world_family == 4
    assert compile_rule(v6, EMPTY).world_family == 6
    assert compile_rule(rule(cidr_ipv4="10.0.0.0/8"), EMPTY).world_family is None


def test_egress_rules_let_nothing_in() -> None:
    out = Rule("sg-target", True, "-1", None, None, cidr_ipv4="0.0.0.0/0")
    assert not allows(out, TCP, 443, "10.0.0.9")
    inv = inventory(eni("eni-t", ("sg-target",), ("10.0.0.5",)))
    conn = connection("eni-t", TCP, 443, "10.0.0.9")
    assert allowing_rules([out], conn, inv.interfaces["eni-t"], inv) == []


def test_a_referenced_group_covers_the_private_and_ipv6_addresses_of_its_members() -> None:
    member = eni("eni-m", ("sg-app", "sg-other"), ("10.0.1.5", "10.0.1.6"), ("2001:db8::5",))
    outsider = eni("eni-o", ("sg-other",), ("10.0.1.9",))
    inv = inventory(member, outsider)
    ref = rule(referenced_group_id="sg-app")
    assert allows(ref, TCP, 443, "10.0.1.5", inv)
    assert allows(ref, TCP, 443, "10.0.1.6", inv)  # a secondary private address
    # written differently from the inventory's form: still the same address
    assert allows(ref, TCP, 443, "2001:0db8:0000:0000:0000:0000:0000:0005", inv)
    assert not allows(ref, TCP, 443, "10.0.1.9", inv)
    assert not allows(ref, TCP, 443, "10.0.1.7", inv)  # nobody's address
    assert not allows(ref, TCP, 80, "10.0.1.5", inv)  # the port still has to match
    assert peer_covers(ref, "10.0.1.6", inv) and not peer_covers(ref, "10.0.1.9", inv)


def test_a_reference_never_covers_a_members_public_address() -> None:
    member = Interface(
        "eni-m", "111122223333", "us-east-1", "vpc-1", "s", ("sg-app",), ("10.0.1.5",),
        public_ip="54.0.0.5",
    )  # fmt: skip
    assert not allows(rule(referenced_group_id="sg-app"), TCP, 443, "54.0.0.5", inventory(member))


def test_the_address_book_lists_members_and_their_addresses() -> None:
    a = eni("eni-a", ("sg-app",), ("10.0.1.5",), ("2001:db8::5",))
    b = eni("eni-b", ("sg-app", "sg-db"), ("10.0.1.6",))
    book = AddressBook(inventory(a, b))
    assert book.members == {"sg-app": [a, b], "sg-db": [b]}
    assert book.member_addresses("sg-app") == ["10.0.1.5", "2001:db8::5", "10.0.1.6"]
    assert book.member_addresses("sg-none") == []
    assert book.groups_of_address["10.0.1.6"] == {"sg-app", "sg-db"}
    assert book.interfaces_of_address["2001:db8::5"] == [a]
    assert book.carries("10.0.1.6", "sg-db") and not book.carries("10.0.1.5", "sg-db")
    assert not book.carries("10.9.9.9", "sg-app")


def test_two_interfaces_sharing_an_address_both_count() -> None:
    # the same private address in two VPCs of one inventory: each ENI's groups apply
    a = eni("eni-a", ("sg-app",), ("10.0.1.5",))
    b = eni("eni-b", ("sg-db",), ("10.0.1.5",))
    book = AddressBook(inventory(a, b))
    assert book.groups_of_address["10.0.1.5"] == {"sg-app", "sg-db"}
    assert book.interfaces_of_address["10.0.1.5"] == [a, b]


def test_the_address_book_follows_the_inventory_it_is_asked_about() -> None:
    first = inventory(eni("eni-a", ("sg-app",), ("10.0.1.5",)))
    second = inventory(eni("eni-b", ("sg-app",), ("10.0.1.6",)))
    assert address_book(first) is address_book(first)  # built once
    # a stale entry under the second inventory's id (an id reused after the first was freed)
    matching._BOOKS[id(second)] = AddressBook(first)
    assert address_book(second).inventory is second
    assert address_book(second).carries("10.0.1.6", "sg-app")
    assert not address_book(second).carries("10.0.1.5", "sg-app")


def test_the_address_book_cache_stays_bounded() -> None:
    keep = [inventory(eni(f"eni-{i}", ("sg",), (f"10.1.0.{i}",))) for i in range(80)]
    for i, inv in enumerate(keep):
        assert address_book(inv).carries(f"10.1.0.{i}", "sg")
        assert len(matching._BOOKS) <= 65


def test_a_prefix_list_covers_each_of_its_cidrs() -> None:
    pl = PrefixList("pl-1", "offices", ("192.0.2.0/24", "198.51.100.0/25"))
    inv = inventory(**{"pl-1": pl})
    r = rule(prefix_list_id="pl-1")
    assert allows(r, TCP, 443, "192.0.2.200", inv)
    assert allows(r, TCP, 443, "198.51.100.127", inv)
    assert not allows(r, TCP, 443, "198.51.100.128", inv)
    assert not allows(r, TCP, 443, "10.0.0.9", inv)


def test_an_unknown_prefix_list_covers_nothing() -> None:
    r = rule(prefix_list_id="pl-missing")
    assert compile_rule(r, EMPTY).spans == ()
    assert not allows(r, TCP, 443, "192.0.2.1")


def connection(eni_id: str, proto: int, port: int | None, remote: str) -> Connection:
    t = datetime(2026, 11, 1, tzinfo=UTC)
    family = 6 if ":" in remote else 4
    return Connection(eni_id, proto, port, remote, family, 3, 12, 900, t, t, False)


def test_allowing_rules_names_exactly_the_rules_that_let_the_connection_in() -> None:
    inv = inventory(eni("eni-t", ("sg-target",), ("10.0.0.5",)))
    web = rule(lo=443, hi=443, cidr_ipv4="0.0.0.0/0")
    wide = rule(lo=0, hi=65535, cidr_ipv4="10.0.0.0/8")
    other_port = rule(lo=22, hi=22, cidr_ipv4="0.0.0.0/0")
    other_peer = rule(lo=443, hi=443, cidr_ipv4="192.0.2.0/24")
    conn = connection("eni-t", TCP, 443, "10.0.0.9")
    target = inv.interfaces["eni-t"]
    rules = [web, other_port, wide, other_peer]
    assert allowing_rules(rules, conn, target, inv) == [web, wide]
    assert rules_allow(rules, conn, target, inv)
    assert not rules_allow([other_port, other_peer], conn, target, inv)


def test_a_connection_is_only_matched_against_its_own_interface() -> None:
    inv = inventory(
        eni("eni-t", ("sg-target",), ("10.0.0.5",)), eni("eni-u", ("x",), ("10.0.0.6",))
    )
    conn = connection("eni-t", TCP, 443, "10.0.0.9")
    with pytest.raises(ValueError, match="eni-t matched against eni-u"):
        allowing_rules([rule()], conn, inv.interfaces["eni-u"], inv)


def test_an_interface_is_governed_by_the_union_of_its_groups() -> None:
    a = SecurityGroup("sg-a", "a", "vpc-1", "o", "1", "r", ingress=(rule(lo=22, hi=22),))
    b = SecurityGroup("sg-b", "b", "vpc-1", "o", "1", "r", ingress=(rule(lo=80, hi=80),))
    target = eni("eni-t", ("sg-a", "sg-gone", "sg-b"), ("10.0.0.5",))
    inv = inventory(target, groups=(a, b))
    assert interface_rules(target, inv) == [a.ingress[0], b.ingress[0]]
    assert interface_rules(eni("eni-x", (), ("10.0.0.6",)), inv) == []
