"""The SQL numeric form of addresses (sql/macros.sql) agrees with Python's ipaddress."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from sgharden.workspace import open_workspace

CON = open_workspace(None)

addresses = st.one_of(
    st.ip_addresses(v=4),
    st.ip_addresses(v=6).filter(lambda a: a.ipv4_mapped is None and "." not in str(a)),
)


@settings(max_examples=300, deadline=None)
@given(addresses)
def test_ip_hex_matches_ipaddress(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    width = 8 if addr.version == 4 else 32
    expected = format(int(addr), f"0{width}x")
    text = str(addr)  # compressed form, as flow logs write it
    got = CON.execute("SELECT ip_hex($a), ip_family($a)", {"a": text}).fetchone()
    assert got == (expected, addr.version)
    if addr.version == 6:  # the exploded form too
        assert CON.execute("SELECT ip_hex($a)", {"a": addr.exploded}).fetchone() == (expected,)


@settings(max_examples=200, deadline=None)
@given(addresses, st.integers(min_value=0, max_value=128))
def test_cidr_membership_is_a_hex_range(addr, prefix: int) -> None:  # type: ignore[no-untyped-def]
    prefix = min(prefix, addr.max_prefixlen)
    net = ipaddress.ip_network(f"{addr}/{prefix}", strict=False)
    other = type(addr)((int(addr) * 7919 + 13) % (2**addr.max_prefixlen))
    if other.version == 6 and (other.ipv4_mapped is not None or "." in str(other)):
        return
    lo, hi = str(net.network_address), str(net.broadcast_address)
    inside = CON.execute(
        "SELECT ip_hex($x) BETWEEN ip_hex($lo) AND ip_hex($hi)",
        {"x": str(other), "lo": lo, "hi": hi},
    ).fetchone()
    assert inside == (other in net,)
