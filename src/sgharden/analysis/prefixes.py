"""Aggregate real source addresses into a bounded number of prefixes, never taking in probes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from sgharden.analysis.matching import IpNetwork, parse_address


def _smallest_supernet(a: IpNetwork, b: IpNetwork) -> IpNetwork:
    bits = a.max_prefixlen
    differing = int(a.network_address) ^ int(b.broadcast_address)
    length = min(bits - differing.bit_length(), a.prefixlen, b.prefixlen)
    return ipaddress.ip_network((a.network_address, length), strict=False)


def aggregate(
    sources: Iterable[str],
    *,
    max_prefixes: int,
    widest_prefix: int,
    avoid: Iterable[str] = (),
) -> list[IpNetwork] | None:
    """At most `max_prefixes` prefixes covering every address in `sources` (one family).

    Prefixes start as single hosts; while there are too many, the two neighbours whose smallest
    common supernet is narrowest are merged — only if that supernet is no wider than
    `widest_prefix` and contains no address of `avoid` (probe sources) that is not itself a
    source. None when the sources cannot fit (the caller then keeps the rule and says why).
    """
    hosts = sorted({parse_address(s) for s in sources}, key=lambda a: (a.version, int(a)))
    if not hosts:
        return []
    if len({h.version for h in hosts}) != 1:
        raise ValueError("aggregate() takes addresses of one family")
    source_set = set(hosts)
    avoid_addrs = [a for a in (parse_address(x) for x in avoid) if a not in source_set]
    avoid_addrs = [a for a in avoid_addrs if a.version == hosts[0].version]
    nets: list[IpNetwork] = list(ipaddress.collapse_addresses(hosts))  # type: ignore[arg-type,type-var]
    while len(nets) > max_prefixes:
        best: tuple[int, int, IpNetwork] | None = None
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
