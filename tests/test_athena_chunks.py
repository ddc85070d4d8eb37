"""Athena's 256 KB query limit: a snapshot of more than 10,000 interfaces is split into groups
whose every statement fits, each interface in exactly one group with its own addresses and
listeners, and only its own accounts' partitions. (That the split roll-up equals the whole one is tested over the OCSF vectors with a
lowered limit, tests/test_athena_ocsf.py.)"""

from __future__ import annotations

import re
from datetime import date

from sgharden.flowlogs.engines.athena_chunks import QUERY_LIMIT, chunked_statements, part_of
from sgharden.flowlogs.engines.athena_sql import PARTS, RollupScope, partition_predicate
from sgharden.flowlogs.engines.athena_tables import HIVE_PARQUET

_IN_LIST = re.compile(r'"interface_id" IN \(([^)]*)\)')
_ACCOUNTS = re.compile(r'"aws-account-id" IN \(([^)]*)\)')


def account_of(index: int) -> str:
    """30 accounts of 350 interfaces each."""
    return f"{100000000000 + index // 350}"


_VALUES_ADDRESS = re.compile(r"\('(eni-[0-9a-f]+)', '(10\.[0-9.]+)', 'inventory'\)")


def test_more_than_ten_thousand_interfaces_fit_athenas_query_limit() -> None:
    interfaces = tuple(f"eni-{i:017x}" for i in range(10_500))
    addresses = tuple(
        (eni, f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", "inventory")
        for i, eni in enumerate(interfaces)
    )
    scope = RollupScope(
        "flowlogs", "vpc_flow_logs", HIVE_PARQUET, frozenset({"interface_id", "srcaddr"}),
        tuple(sorted({account_of(i) for i in range(len(interfaces))})), ("eu-west-1",), (date(2026, 11, 30), date(2026, 12, 1)), interfaces,
        addresses, tuple((eni, 6, 443) for eni in interfaces[::7]),
        places=tuple((eni, account_of(i), "eu-west-1") for i, eni in enumerate(interfaces)),
    )  # fmt: skip
    found = chunked_statements(scope, "s3://results/run/")
    sizes = {name: len(sql.encode()) for name, sql in found.items()}
    assert max(sizes.values()) <= QUERY_LIMIT
    rollups = [sql for name, sql in found.items() if part_of(name) == "rollup"]
    assert len(rollups) > 1 and len(found) == len(rollups) * len(PARTS)
    seen: list[str] = []
    for sql in rollups:
        (listed,) = _IN_LIST.findall(sql)
        group = re.findall(r"'(eni-[0-9a-f]+)'", listed)
        seen += group
        # each statement carries exactly its own interfaces' addresses
        assert {eni for eni, _ in _VALUES_ADDRESS.findall(sql)} == set(group)
    assert sorted(seen) == list(interfaces)  # every interface once
    # a group selects only its interfaces' accounts: 30 accounts are read about once, not
    # once per group
    reads = 0
    for sql in rollups:
        (accounts,) = _ACCOUNTS.findall(sql)
        group = re.findall(r"'(eni-[0-9a-f]+)'", _IN_LIST.findall(sql)[0])
        named = set(re.findall(r"'(\d{12})'", accounts))
        assert named == {account_of(int(eni[4:], 16)) for eni in group}
        reads += len(named)
    assert reads <= 30 + len(rollups) - 1
    # each chunk writes to a folder of its own (UNLOAD needs an empty one)
    targets = re.findall(r"TO '([^']+)'", " ".join(found.values()))
    assert len(set(targets)) == len(targets)


def test_partitions_are_the_snapshots_account_regions_not_their_cross_product() -> None:
    """Account A only in eu-west-1, B only in us-east-1: A's us-east-1 partitions are not read."""
    a, b = "111111111111", "222222222222"
    scope = RollupScope(
        "flowlogs", "vpc_flow_logs", HIVE_PARQUET, frozenset(), (a, b), ("eu-west-1", "us-east-1"),
        (date(2026, 11, 30),), ("eni-1",), pairs=((a, "eu-west-1"), (b, "us-east-1")),
    )  # fmt: skip
    where = partition_predicate(scope).sql(dialect="trino")
    assert f"(\"aws-account-id\" = '{a}' AND \"aws-region\" = 'eu-west-1')" in where
    assert f"(\"aws-account-id\" = '{b}' AND \"aws-region\" = 'us-east-1')" in where
    assert f"'{a}' AND \"aws-region\" = 'us-east-1'" not in where
