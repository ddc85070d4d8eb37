"""The line parser's grammar (textparse) and the fast path (DuckDB's CSV reader) on the same lines.

The line parser takes ASCII digits in the column's range and addresses `ipaddress` accepts
without a zone index. The property test feeds the same lines to both paths and compares what is
stored; it is marked xfail(strict) because the fast path still takes `4_43`, lowercase `accept`,
`999.1.1.1` and aborts on `not-an-ip` (sql/ ingest statements, being rewritten under issue 14):
it fails loudly (XPASS) the day both paths agree, so the mark cannot outlive the gap.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgharden.flowlogs.ingest import ingest
from sgharden.flowlogs.textparse import parse_lines
from sgharden.workspace import open_workspace

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
GOOD = "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.5 50123 443 6 10 4000 1700000000 1700000060 ACCEPT OK"
FIELD = {name: i for i, name in enumerate(HEADER.split())}
HOSTILE = {
    "srcaddr": ["999.1.1.1", "fe80::1%eth0", "10.0.0.1/24", "1.2.3", "not-an-ip", "2001:db8::1"],
    "dstport": ["4_43", "+443", "٤٤٣", "443", "99999999999"],
    "bytes": ["99999999999999999999999", "4e3", "-1", "4000"],
    "action": ["accept", "ACCEPT", "Reject"],
    "log-status": ["ok", "OK", "NODATA"],
}


@pytest.mark.parametrize(
    ("name", "token", "reason"),
    [
        ("dstport", "4_43", "is not an integer"),
        ("dstport", "+443", "is not an integer"),
        ("dstport", "٤٤٣", "is not an integer"),
        ("bytes", "99999999999999999999999", "is out of range"),
        ("srcaddr", "999.1.1.1", "is not an IP address"),
        ("srcaddr", "fe80::1%eth0", "is not an IP address"),
        ("dstaddr", "10.0.0.1/24", "is not an IP address"),
        ("action", "accept", "is not ACCEPT or REJECT"),
    ],
)
def test_the_line_parser_takes_only_what_aws_writes(name: str, token: str, reason: str) -> None:
    tokens = GOOD.split()
    tokens[FIELD[name]] = token
    parsed = parse_lines(enumerate([HEADER, " ".join(tokens)], 1), None)
    assert parsed.rows == []
    assert [r.reason for r in parsed.rejects] == [
        f"field {name}: {token!r} {reason}".replace(f"{token!r} is out", f"{token} is out")
    ]


def stored(lines: list[str]) -> tuple[list[tuple[object, ...]], int]:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a.log").write_text("\n".join([HEADER, *lines]) + "\n")
        con = open_workspace(None)
        report = ingest(con, [tmp])
        rows = con.execute(
            "SELECT interface_id, service_port, remote_addr, remote_hex, records, bytes_in, accepted FROM flow_rollup ORDER BY ALL"
        ).fetchall()
        con.close()
        return rows, report.rejected


@pytest.mark.xfail(strict=True, reason="fast path grammar: sql/ ingest statements (issue 14)")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(HOSTILE)).flatmap(lambda n: st.tuples(st.just(n), st.sampled_from(HOSTILE[n]))), min_size=1, max_size=3))  # fmt: skip
def test_the_fast_path_and_the_line_parser_store_the_same(edits: list[tuple[str, str]]) -> None:
    tokens = GOOD.split()
    for name, token in edits:
        tokens[FIELD[name]] = token
    line = " ".join(tokens)
    # alone, a clean-looking line goes through DuckDB's reader; next to a line with too few
    # fields the whole object is read by the line parser
    fast, fast_rejected = stored([GOOD, line])
    slow, slow_rejected = stored([GOOD, line, "2 123456789012 garbage"])
    assert (fast, fast_rejected) == (slow, slow_rejected - 1)
