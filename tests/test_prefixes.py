"""analysis/prefixes.aggregate against the plain greedy it replaced (rescan every neighbour pair,
re-collapse after every merge): the same prefixes for any sources, probes and limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgharden.analysis.matching import IpNetwork, parse_address
from sgharden.analysis.prefixes import _fewest_prefixes, _smallest_supernet, aggregate


def reference(
    sources: Iterable[str], *, max_prefixes: int, widest_prefix: int, avoid: Iterable[str] = ()
) -> list[IpNetwork] | None:
    """The O(n^2) greedy, kept as the oracle."""
    hosts = sorted({parse_address(s) for s in sources}, key=lambda a: (a.version, int(a)))
    if not hosts:
        return []
    source_set = set(hosts)
    avoid_addrs = [a for a in (parse_address(x) for x in avoid) if a not in source_set]
    avoid_addrs = [a for a in avoid_addrs if a.version == hosts[0].version]
    nets: list[IpNetwork] = list(ipaddress.collapse_addresses(hosts))  # type: ignore[arg-type,type-var]
    while len(nets) > max_prefixes:
        best = None
        for i in range(len(nets) - 1):
            candidate = _smallest_supernet(nets[i], nets[i + 1])
            if candidate.prefixlen < widest_prefix:
                continue
            if any(a in candidate for a in avoid_addrs):
                continue
            if best is None or candidate.prefixlen > best[0]:
                best = (candidate.prefixlen, i, candidate)
        if best is None:
            return None
        merged = [*nets[: best[1]], best[2], *nets[best[1] + 2 :]]
        nets = sorted(ipaddress.collapse_addresses(merged), key=lambda n: int(n.network_address))  # type: ignore[arg-type,type-var]
    return nets


# addresses in a few /16s so that merges, ties, siblings and probes inside candidates all happen
octet = st.integers(0, 255)
v4 = st.builds(lambda a, b, c: f"198.{51 + a % 3}.{b}.{c}", st.integers(0, 2), octet, octet)
near = st.builds(lambda b, c: f"198.51.{b % 4}.{c}", octet, octet)
address = st.one_of(v4, near)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(address, min_size=0, max_size=60),
    st.lists(address, max_size=15),
    st.integers(1, 8),
    st.integers(8, 30),
)
def test_same_prefixes_as_the_plain_greedy(
    sources: list[str], avoid: list[str], max_prefixes: int, widest: int
) -> None:
    args = {"max_prefixes": max_prefixes, "widest_prefix": widest, "avoid": avoid}
    assert aggregate(sources, **args) == reference(sources, **args)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 2**16 - 1), max_size=40),
    st.lists(st.integers(0, 2**16 - 1), max_size=10),
    st.integers(1, 6),
)
def test_same_prefixes_for_ipv6(hosts: list[int], probes: list[int], max_prefixes: int) -> None:
    base = int(ipaddress.IPv6Address("2001:db8::"))
    sources = [str(ipaddress.IPv6Address(base + (h << 8))) for h in hosts]
    avoid = [str(ipaddress.IPv6Address(base + (p << 8))) for p in probes]
    args = {"max_prefixes": max_prefixes, "widest_prefix": 96, "avoid": avoid}
    assert aggregate(sources, **args) == reference(sources, **args)


def test_tens_of_thousands_of_sources_fit_in_a_few_prefixes() -> None:
    sources = [f"10.{i // 250 % 200}.{i % 250}.{(i * 7) % 250}" for i in range(40_000)]
    nets = aggregate(sources, max_prefixes=4, widest_prefix=8)
    assert nets is not None and len(nets) <= 4
    assert all(any(parse_address(s) in n for n in nets) for s in sources[::997])


def test_of_two_equally_narrow_merges_the_leftmost_is_made() -> None:
    # (.0, .2) and (.4, .6) both make a /30; the greedy merges the first pair
    sources = ["10.0.0.0", "10.0.0.2", "10.0.0.4", "10.0.0.6"]
    args = {"max_prefixes": 3, "widest_prefix": 24}
    expected = [ipaddress.ip_network(n) for n in ("10.0.0.0/30", "10.0.0.4/32", "10.0.0.6/32")]
    assert aggregate(sources, **args) == reference(sources, **args) == expected


def test_sources_of_two_families_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^aggregate\(\) takes addresses of one family$"):
        aggregate(["10.0.0.1", "2001:db8::1", "10.0.0.2"], max_prefixes=1, widest_prefix=8)


def test_a_probe_on_the_first_or_last_address_of_a_prefix_is_inside_it() -> None:
    args = {"max_prefixes": 1, "widest_prefix": 24}
    # the only merge of .0 and .2 is 10.0.0.0/30: .3 (its broadcast) and .0 are in it
    assert aggregate(["10.0.0.0", "10.0.0.2"], **args, avoid=["10.0.0.3"]) is None
    assert aggregate(["10.0.0.1", "10.0.0.2"], **args, avoid=["10.0.0.0"]) is None
    assert aggregate(["10.0.0.1", "10.0.0.2"], **args, avoid=["10.0.0.4"]) == [
        ipaddress.ip_network("10.0.0.0/30")
    ]


def test_the_lower_bound_counts_the_aligned_cover_of_the_blocks_holding_sources() -> None:
    hosts = [parse_address(a) for a in ("198.51.100.7", "198.51.101.9", "203.0.113.5")]
    # 198.51.100.0/24 and 198.51.101.0/24 are siblings (one /23 by sibling joins); 203.0.113.0/24
    assert _fewest_prefixes(hosts, 24, 10) == 2
    assert _fewest_prefixes(hosts[:1] + hosts[2:], 24, 10) == 2
    assert _fewest_prefixes(hosts, 16, 10) == 2  # 198.51/16 and 203.0/16
    assert _fewest_prefixes(hosts, 24, 0) == 1  # counting stops past the limit


@settings(max_examples=300, deadline=None)
@given(st.lists(address, min_size=1, max_size=60), st.integers(1, 8), st.integers(8, 30))
def test_the_lower_bound_never_exceeds_what_the_greedy_reaches(
    sources: list[str], max_prefixes: int, widest: int
) -> None:
    """An over-count would refuse sources the greedy can fit: the bound must stay below it."""
    fitted = reference(sources, max_prefixes=max_prefixes, widest_prefix=widest)
    hosts = sorted({parse_address(s) for s in sources}, key=int)
    if fitted is not None:
        assert _fewest_prefixes(hosts, widest, max_prefixes) <= len(fitted)
