"""Aggregate real source addresses into a bounded number of prefixes, never taking in probes."""

from __future__ import annotations

import bisect
import heapq
import ipaddress
from collections.abc import Iterable

from sgharden.analysis.matching import IpAddress, IpNetwork, parse_address


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
    common supernet is narrowest are merged (the leftmost pair on a tie) — only if that supernet
    is no wider than `widest_prefix` and contains no address of `avoid` (probe sources) that is
    not itself a source — and the result is collapsed again (the supernet swallows the prefixes
    inside it, sibling prefixes join). None when the sources cannot fit (the caller then keeps
    the rule and says why).

    The neighbours live in a linked list and the candidate merges in a heap (a merge only changes
    the candidates next to it), so n sources cost O(n log n), not O(n^2): a world-open rule can
    have tens of thousands of real sources. tests/test_prefixes.py checks it against the plain
    rescan-everything greedy.
    """
    hosts = sorted({parse_address(s) for s in sources}, key=lambda a: (a.version, int(a)))
    if not hosts:
        return []
    if len({h.version for h in hosts}) != 1:
        raise ValueError("aggregate() takes addresses of one family")
    source_set = set(hosts)
    family = hosts[0].version
    avoid_ints = sorted(
        {
            int(a)
            for a in (parse_address(x) for x in avoid)
            if a not in source_set and a.version == family
        }
    )
    if _fewest_prefixes(hosts, widest_prefix, max_prefixes) > max_prefixes:
        return None  # no merge order can fit: decided in O(n) before the O(n log n) greedy
    nets: list[IpNetwork] = list(ipaddress.collapse_addresses(hosts))  # type: ignore[arg-type,type-var]
    if len(nets) <= max_prefixes:
        return nets

    def takes_in_a_probe(net: IpNetwork) -> bool:
        i = bisect.bisect_left(avoid_ints, int(net.network_address))
        return i < len(avoid_ints) and avoid_ints[i] <= int(net.broadcast_address)

    # doubly linked list over slots; a slot's net is None once merged away
    slot_net: list[IpNetwork | None] = list(nets)
    left = [i - 1 for i in range(len(nets))]
    right = [i + 1 if i + 1 < len(nets) else -1 for i in range(len(nets))]
    version = [0] * len(nets)  # bumped when a slot's net changes: stale heap entries are skipped
    heap: list[tuple[int, int, int, int, int, int]] = []

    def push(i: int) -> None:
        j = right[i]
        a, b = slot_net[i], slot_net[j] if j != -1 else None
        if a is None or b is None:
            return
        candidate = _smallest_supernet(a, b)
        if candidate.prefixlen < widest_prefix or takes_in_a_probe(candidate):
            return  # this pair never becomes mergeable while both stay as they are
        heapq.heappush(
            heap, (-candidate.prefixlen, int(a.network_address), i, j, version[i], version[j])
        )

    for i in range(len(nets) - 1):
        push(i)
    count = len(nets)
    while count > max_prefixes:
        while heap:
            _, _, i, j, vi, vj = heapq.heappop(heap)
            live = slot_net[i] is not None and slot_net[j] is not None
            if live and vi == version[i] and vj == version[j] and right[i] == j:
                break
        else:
            return None
        a, b = slot_net[i], slot_net[j]
        assert a is not None and b is not None
        merged = _smallest_supernet(a, b)
        _remove(j, slot_net, left, right)
        count -= 1
        # the supernet swallows its neighbours inside it
        for side in (left, right):
            k = side[i]
            while k != -1 and _inside(slot_net[k], merged):
                nxt = side[k]
                _remove(k, slot_net, left, right)
                count -= 1
                k = nxt
        # and joins a sibling neighbour of the same size, as often as that repeats
        while True:
            sibling = next(
                (k for k in (left[i], right[i]) if k != -1 and _siblings(slot_net[k], merged)),
                None,
            )
            if sibling is None:
                break
            merged = merged.supernet()
            _remove(sibling, slot_net, left, right)
            count -= 1
        slot_net[i] = merged
        version[i] += 1
        if left[i] != -1:
            push(left[i])  # its pair with i changed (the old entry is stale by i's version)
        push(i)
    return [n for n in slot_net if n is not None]


def _fewest_prefixes(hosts: list[IpAddress], widest_prefix: int, limit: int) -> int:
    """A lower bound on the prefixes any result of aggregate() needs (counted up to `limit` + 1).

    Every prefix aggregate() keeps is either no wider than `widest_prefix` (so inside one
    /widest_prefix block) or, through sibling joins only, an aligned run of such blocks that all
    hold sources. So a result needs at least as many prefixes as the exact aligned cover of the
    blocks that hold sources: count that cover by joining sibling blocks level by level. A
    world-open rule's scattered internet sources fail here in one pass instead of after a
    million merges; when the bound fits, the greedy decides as before (tests/test_prefixes.py
    checks the two against the plain greedy).
    """
    shift = hosts[0].max_prefixlen - widest_prefix
    level = {int(h) >> shift for h in hosts}
    needed = 0
    for _ in range(widest_prefix):
        joined: set[int] = set()
        for block in level:
            if block ^ 1 in level:
                joined.add(block >> 1)
            else:
                needed += 1
        if needed > limit:
            return needed
        level = joined
        if not level:
            return needed
    return needed + len(level)


def _remove(k: int, slot_net: list[IpNetwork | None], left: list[int], right: list[int]) -> None:
    slot_net[k] = None
    if left[k] != -1:
        right[left[k]] = right[k]
    if right[k] != -1:
        left[right[k]] = left[k]


def _inside(net: IpNetwork | None, outer: IpNetwork) -> bool:
    return net is not None and net.subnet_of(outer)  # type: ignore[arg-type]


def _siblings(net: IpNetwork | None, other: IpNetwork) -> bool:
    return (
        net is not None
        and net.prefixlen == other.prefixlen
        and other.prefixlen > 0
        and net != other
        and net.supernet() == other.supernet()
    )
