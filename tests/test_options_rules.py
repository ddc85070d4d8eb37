"""analysis/options: the planner's settings and port facts, one rule per test (issue 16: written
for mutation testing; pure)."""

from __future__ import annotations

import pytest

from sgharden.analysis.connections import Thresholds
from sgharden.analysis.options import (
    PlannerOptions,
    alternatives,
    is_internet,
    parse_public_ports,
)
from sgharden.analysis.use import PortUse, public_reason

PREFIX_LIST = "a customer-managed prefix list of the real sources (counts as its max entries)"
SSM = "SSM Session Manager or an EC2 Instance Connect Endpoint (no inbound rule)"
PRIVATE_DB = "private connectivity for the database (VPN, Direct Connect, PrivateLink)"
DECLARE = "declaring the port public (--public-port) if it is a public service"


def test_the_defaults_are_the_documented_ones() -> None:
    o = PlannerOptions()
    assert (o.min_window_days, o.max_gap_share, o.max_prefixes) == (14.0, 0.02, 10)
    assert (o.widest_prefix_v4, o.widest_prefix_v6) == (24, 64)
    assert (o.authorized_tcp_ports, o.authorized_udp_ports) == ((80, 443), ())
    assert (o.public_tcp_ports, o.public_udp_ports) == ((), ())
    assert (o.reference_min_member_share, o.top_sources, o.samples_per_rule) == (0.5, 20, 5)
    assert o.thresholds == Thresholds()


def test_the_settings_name_every_value_flat_with_ports_as_lists() -> None:
    o = PlannerOptions(
        public_tcp_ports=(8443,), public_udp_ports=(53,), authorized_udp_ports=(123,)
    )
    s = o.settings()
    assert s["authorized_tcp_ports"] == [80, 443] and s["authorized_udp_ports"] == [123]
    assert s["public_tcp_ports"] == [8443] and s["public_udp_ports"] == [53]
    assert s["evidence_query"] == "evidence"
    assert "thresholds" not in s
    assert s["probe_max_bytes_in"] == Thresholds().probe_max_bytes_in
    assert s["max_prefixes"] == 10 and s["min_window_days"] == 14.0


@pytest.mark.parametrize(
    ("address", "internet"),
    [
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("172.32.0.1", True),
        ("192.168.9.9", False),
        ("100.64.0.1", False),
        ("198.51.100.1", True),
        ("8.8.8.8", True),
        ("2001:db8::1", True),
        ("fd00::1", False),
    ],
)
def test_is_internet_is_outside_every_private_network(address: str, internet: bool) -> None:
    assert is_internet(address) is internet


def _use(protocol: int, port: int, sources: int, internet: int) -> PortUse:
    return PortUse(protocol, port, sources, internet, None, ())


def test_a_declared_port_with_real_use_is_public_whatever_the_sources() -> None:
    o = PlannerOptions(public_tcp_ports=(8443,), public_udp_ports=(5353,))
    assert public_reason(o, _use(6, 8443, 2, 0)) == (
        "public service on a port declared public: 2 real source(s)"
    )
    assert public_reason(o, _use(17, 5353, 1, 1)) == (
        "public service on a port declared public: 1 real source(s)"
    )
    # the same numbers on the other protocol are not declared
    assert public_reason(o, _use(17, 8443, 2, 2)) is None
    assert public_reason(o, _use(6, 5353, 2, 2)) is None
    assert public_reason(o, _use(6, 8443, 0, 0)) is None


def test_an_authorized_port_is_public_only_with_internet_sources() -> None:
    o = PlannerOptions(authorized_udp_ports=(53,))
    assert public_reason(o, _use(6, 443, 3, 1)) == (
        "public service on an EC2.18 authorized port: 1 internet source(s) of 3"
    )
    assert public_reason(o, _use(17, 53, 2, 2)) == (
        "public service on an EC2.18 authorized port: 2 internet source(s) of 2"
    )
    assert public_reason(o, _use(6, 443, 3, 0)) is None
    assert public_reason(o, _use(17, 443, 3, 3)) is None
    assert public_reason(o, _use(6, 53, 3, 3)) is None
    # many sources are never a reason on their own
    assert public_reason(o, _use(6, 8443, 10_000, 10_000)) is None


def test_a_port_both_declared_and_authorized_says_declared() -> None:
    o = PlannerOptions(public_tcp_ports=(443,))
    assert public_reason(o, _use(6, 443, 2, 1)) == (
        "public service on a port declared public: 2 real source(s)"
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["443"], ((443,), ())),
        (["tcp/8443", "udp/53", " UDP/123 ", "443", "tcp/443"], ((443, 8443), (53, 123))),
        (["1", "65535"], ((1, 65535), ())),
        ([], ((), ())),
    ],
)
def test_public_ports_are_read_per_protocol(
    values: list[str], expected: tuple[tuple[int, ...], tuple[int, ...]]
) -> None:
    assert parse_public_ports(values) == expected


@pytest.mark.parametrize("bad", ["0", "65536", "icmp/8", "tcp/", "tcp/x", "-1", "tcp/22/1"])
def test_a_bad_public_port_is_named(bad: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_public_ports(["443", bad])
    assert str(raised.value) == f"{bad!r}: give PORT, tcp/PORT or udp/PORT with PORT 1-65535"


@pytest.mark.parametrize(
    ("protocol", "port", "expected"),
    [
        (6, 22, [PREFIX_LIST, SSM]),
        (6, 3389, [PREFIX_LIST, SSM]),
        (6, 5432, [PREFIX_LIST, PRIVATE_DB]),
        (6, 6379, [PREFIX_LIST, PRIVATE_DB, DECLARE]),  # a database port not on EC2.19's list
        (6, 8443, [PREFIX_LIST, DECLARE]),
        (6, 8080, [PREFIX_LIST]),  # high-risk: never declared public as a way out
        (17, 22, [PREFIX_LIST]),
        (17, 5432, [PREFIX_LIST]),
        (17, 5353, [PREFIX_LIST, DECLARE]),
        (-1, None, [PREFIX_LIST, SSM, PRIVATE_DB]),
        (-1, 22, [PREFIX_LIST, SSM]),
        (1, None, [PREFIX_LIST]),
    ],
)
def test_the_alternatives_fit_the_port(
    protocol: int, port: int | None, expected: list[str]
) -> None:
    assert alternatives(protocol, port) == "; ".join(expected)
