"""sql/plan_cannot_narrow.sql: the buckets it rules out are ones the exact check rules out too.

`propose` skips fetching a world-open port's sources when this SQL bound shows they cannot fit in
the prefix limits (issue 14: at 20M benchmark records those were millions of rows and ran out of
memory). Skipping is safe only if the bound never rules out a bucket the planner could narrow:
here random sources, some of them ENI addresses a group reference may take away, are checked
against `prefixes.aggregate` (the planner's own narrowing) for every set the planner may be left
with after references. Real DuckDB; `plan_matches` holds just the columns the query reads.
"""

from __future__ import annotations

import ipaddress
import random

import pytest

from sgharden.analysis.prefixes import aggregate
from sgharden.analysis.rule_use import cannot_narrow
from sgharden.workspace import open_workspace


def _hex(a: str) -> str:
    ip = ipaddress.ip_address(a)
    return f"{int(ip):0{8 if ip.version == 4 else 32}x}"


def _matches(con, rows: list[tuple[int, int, int, str, bool]]) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE plan_matches (rule_id INTEGER, protocol INTEGER, "
        "port_key INTEGER, remote_family INTEGER, remote_hex VARCHAR, is_probe BOOLEAN)"
    )
    con.executemany(
        "INSERT INTO plan_matches VALUES (?, ?, ?, ?, ?, ?)",
        [(r, p, k, ipaddress.ip_address(a).version, _hex(a), probe) for r, p, k, a, probe in rows],
    )


def _v4(rng: random.Random, blocks: int) -> str:
    # addresses crowded into few /24s so that sibling blocks and fits both happen
    return str(ipaddress.IPv4Address((10 << 24) + rng.randrange(blocks) * 256 + rng.randrange(4)))


def _v6(rng: random.Random, blocks: int) -> str:
    return str(
        ipaddress.IPv6Address(
            (0x2001_0DB8 << 96) + (rng.randrange(blocks) << 64) + rng.randrange(4)
        )
    )


@pytest.mark.parametrize("seed", range(60))
def test_a_ruled_out_bucket_never_fits_whatever_the_references_take(seed: int) -> None:
    rng = random.Random(seed)
    con = open_workspace(None)
    family = 4 if seed % 3 else 6
    make = _v4 if family == 4 else _v6
    limit, w4, w6 = rng.choice([1, 2, 3, 5]), rng.choice([22, 23, 24, 25]), rng.choice([61, 63, 64])
    blocks = rng.choice([4, 8, 16, 40])
    sources = sorted({make(rng, blocks) for _ in range(rng.randrange(1, 30))})
    known = [a for a in sources if rng.random() < 0.3]
    _matches(con, [(7, 6, 22, a, False) for a in sources] + [(7, 6, 22, make(rng, blocks), True)])
    ruled_out = cannot_narrow(con, [(7, 6, 22)], known, (limit, w4, w6)) == {(7, 6, 22)}
    widest = w4 if family == 4 else w6
    unknown = [a for a in sources if a not in known]
    # what narrow_sources may be left with: every unknown source, and any of the known ones
    for _ in range(8):
        remaining = unknown + [a for a in known if rng.random() < 0.5]
        fits = aggregate(remaining, max_prefixes=limit, widest_prefix=widest) is not None
        assert not (ruled_out and fits), (sources, known, remaining, limit, widest)


def test_scattered_internet_sources_are_ruled_out_and_crowded_ones_are_not() -> None:
    con = open_workspace(None)
    scattered = [f"198.{i}.{i}.1" for i in range(1, 40)]  # 39 /24s, no two siblings
    crowded = [f"203.0.113.{i}" for i in range(1, 40)]  # one /24
    _matches(
        con,
        [(1, 6, 22, a, False) for a in scattered]
        + [(2, 6, 22, a, False) for a in crowded]
        + [(3, 6, 5432, a, True) for a in scattered],  # probes only: never a reason
    )
    buckets = [(1, 6, 22), (2, 6, 22), (3, 6, 5432)]
    assert cannot_narrow(con, buckets, [], (10, 24, 64)) == {(1, 6, 22)}
    # the same sources as ENI addresses: a group reference may cover them, so nothing is ruled out
    assert cannot_narrow(con, buckets, scattered, (10, 24, 64)) == set()
    # at the limit, not over it: 39 nodes need 39 prefixes
    assert cannot_narrow(con, [(1, 6, 22)], [], (39, 24, 64)) == set()
    assert cannot_narrow(con, [(1, 6, 22)], [], (38, 24, 64)) == {(1, 6, 22)}


def test_two_full_sibling_blocks_can_join_so_they_are_not_counted() -> None:
    con = open_workspace(None)
    # 10.0.0.0/24 and 10.0.1.0/24 both hold sources: aggregate() may join them into a /23
    pairs = [f"10.0.{b}.{h}" for b in range(0, 40, 1) for h in (1,)]
    _matches(con, [(1, 6, 22, a, False) for a in pairs])
    assert cannot_narrow(con, [(1, 6, 22)], [], (10, 24, 64)) == set()
    assert aggregate(pairs, max_prefixes=10, widest_prefix=24) is None  # the exact check decides


def test_no_buckets_asks_nothing() -> None:
    con = open_workspace(None)
    assert cannot_narrow(con, [], [], (10, 24, 64)) == set()
