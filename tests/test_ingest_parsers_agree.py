"""The line parser's grammar (textparse) and the fast path (DuckDB's CSV reader) on the same lines.

The line parser takes ASCII digits in the column's range and addresses `ipaddress` accepts
without a zone index. The fast path reads every field as text and checks it with
sql/record_check.sql; an object holding a record it refuses is read by the line parser instead.
The property test feeds the same lines to both paths and compares what is stored and what is
kept aside; the fast-path test checks that valid records really are stored by DuckDB's reader
(a check that refused everything would make the property test pass on the line parser alone).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.flowlogs.textparse import _is_address, parse_lines
from sgharden.workspace import open_workspace

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
GOOD = "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.5 50123 443 6 10 4000 1700000000 1700000060 ACCEPT OK"
FIELD = {name: i for i, name in enumerate(HEADER.split())}
HOSTILE = {
    "srcaddr": [
        "999.1.1.1", "fe80::1%eth0", "10.0.0.1/24", "1.2.3", "not-an-ip", "2001:db8::1",
        "010.1.1.1", "1.1.1.1.1", "::ffff:1.2.3.4", "1::2::3", "2001:DB8::A", "1:2:3:4:5:6:7::",
        "::", "1:2:3:4:5:6:7:8:9", "12345::1",
    ],
    "dstport": ["4_43", "+443", "٤٤٣", "443", "99999999999", "0x1F", "00443", "2147483647", "-", "65535", "65536"],
    "protocol": ["6", "255", "256", "-1"],
    "bytes": ["99999999999999999999999", "4e3", "-1", "4000", "9223372036854775807", "1.5"],
    "action": ["accept", "ACCEPT", "Reject", "-"],
    "log-status": ["ok", "OK", "NODATA"],
    "start": ["9223372036854775807", "253402300799", "253402300800"],
    "interface-id": [
        "eni-1\tx", "eni-1\xa0x", "eni-1\x1cx", "eni-0a1b2c3d4e5f60718", "eni-é", "eni-1\rx",
        'eni-"1"', "\\N", "eni-1\x00x",
    ],
    "srcport": ["443\t", "\t443", "4\x0b43"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "token", "reason"),
    [
        ("dstport", "4_43", "is not an integer"),
        ("dstport", "+443", "is not an integer"),
        ("dstport", "٤٤٣", "is not an integer"),
        ("bytes", "99999999999999999999999", "is out of range"),
        ("dstport", "65536", "is out of range"),  # a port is 16 bits, whatever its SQL type
        ("srcport", "2147483647", "is out of range"),
        ("protocol", "256", "is out of range"),  # an IP protocol number is 8 bits
        ("srcaddr", "999.1.1.1", "is not an IP address"),
        ("srcaddr", "fe80::1%eth0", "is not an IP address"),
        ("dstaddr", "10.0.0.1/24", "is not an IP address"),
        ("action", "accept", "is not ACCEPT or REJECT"),
        ("srcaddr", "::ffff:1.2.3.4", "is not an IP address"),  # ip_hex has no form for it
        ("start", "253402300800", "is out of range"),  # past 9999: the timestamps overflow
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


def stored(lines: list[str]) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The roll-up and the rejects (line, reason, raw) of one object holding HEADER + lines."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a.log").write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
        con = open_workspace(None)
        report = ingest(con, [tmp])
        rows = con.execute(
            "SELECT interface_id, service_port, remote_addr, remote_hex, records, bytes_in, accepted FROM flow_rollup ORDER BY ALL"
        ).fetchall()
        rejects = con.execute("SELECT line, reason, raw FROM rejects ORDER BY line").fetchall()
        con.close()
        assert report.rejected == len(rejects)
        return rows, rejects


def fast_path_lines(lines: list[str]) -> list[object]:
    """`line` of each record stored with --keep-records: NULL when DuckDB's reader stored it."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a.log").write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
        con = open_workspace(None)
        ingest(con, [tmp], IngestOptions(keep_records=True))
        found = [r[0] for r in con.execute("SELECT line FROM flow_records ORDER BY ALL").fetchall()]
        con.close()
        return found


VALID = [
    ("srcaddr", "2001:db8::1"), ("srcaddr", "2001:DB8:0:0:0:0:0:A"), ("srcaddr", "::"),
    ("srcaddr", "1:2:3:4:5:6:7::"), ("srcaddr", "0.0.0.0"), ("srcaddr", "255.255.255.255"),
    ("dstport", "0"), ("dstport", "65535"), ("protocol", "255"), ("dstport", "-"), ("bytes", "9223372036854775807"),
    ("action", "REJECT"), ("log-status", "OK"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "token"), VALID)
def test_valid_records_stay_on_the_fast_path(name: str, token: str) -> None:
    tokens = GOOD.split()
    tokens[FIELD[name]] = token
    assert fast_path_lines([GOOD, " ".join(tokens)]) == [None, None]
    # and a refused value sends the object to the line parser, which numbers its records
    assert fast_path_lines([GOOD, GOOD.replace("ACCEPT", "accept")]) == [2]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(HOSTILE)).flatmap(lambda n: st.tuples(st.just(n), st.sampled_from(HOSTILE[n]))), min_size=1, max_size=3))  # fmt: skip
def test_the_fast_path_and_the_line_parser_store_the_same(edits: list[tuple[str, str]]) -> None:
    tokens = GOOD.split()
    for name, token in edits:
        tokens[FIELD[name]] = token
    assert_both_store_the_same(" ".join(tokens))


# whitespace inside a field: the line parser used str.split(), which cut there (tab, no-break
# space, \x1c) while DuckDB's reader did not; a hypothesis run need not pick these
@pytest.mark.parametrize("token", ["eni-1\tx", "eni-1\xa0x", "eni-1\x1cx", "443\t"])
def test_whitespace_inside_a_field_is_read_alike(token: str) -> None:
    tokens = GOOD.split()
    tokens[FIELD["srcport" if token[0].isdigit() else "interface-id"]] = token
    assert_both_store_the_same(" ".join(tokens))


def assert_both_store_the_same(line: str) -> None:
    # alone, a clean-looking line goes through DuckDB's reader; next to a line with too few
    # fields the whole object is read by the line parser
    fast, fast_rejects = stored([GOOD, line])
    slow, slow_rejects = stored([GOOD, line, "2 123456789012 garbage"])
    assert slow_rejects[-1][:2] == (4, "expected 14 fields, found 3")
    assert (fast, fast_rejects) == (slow, slow_rejects[:-1])


ADDRESS_TEXT = st.text(alphabet="0123456789abcdefABCDEF:.%/ ", max_size=45)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(ADDRESS_TEXT, st.ip_addresses().map(str), st.ip_addresses(v=6).map(lambda a: a.exploded)), max_size=40))  # fmt: skip
def test_the_address_check_takes_only_what_the_line_parser_takes(texts: list[str]) -> None:
    con = open_workspace(None)
    taken = con.execute("SELECT flow_addr_ok(unnest($t))", {"t": texts}).fetchall()
    con.close()
    # the same answer as the line parser: sound (the fast path stores no address the line parser
    # refuses) and complete (valid addresses stay on the fast path)
    assert [(t, bool(ok)) for t, (ok,) in zip(texts, taken, strict=True)] == [
        (t, _is_address(t)) for t in texts
    ]


@pytest.mark.parametrize(
    ("name", "token"), [("dstport", "65536"), ("srcport", "70000"), ("protocol", "256")]
)
def test_a_port_or_protocol_past_its_bits_is_refused_on_the_fast_path_too(
    name: str, token: str
) -> None:
    tokens = GOOD.split()
    tokens[FIELD[name]] = token
    rows, rejects = stored([GOOD, " ".join(tokens)])
    assert [(line, reason) for line, reason, _ in rejects] == [
        (3, f"field {name}: {token} is out of range")
    ]
    assert len(rows) == 1  # the good record is kept
    assert_both_store_the_same(" ".join(tokens))


def test_packet_sums_past_bigint_stop_at_its_limit() -> None:
    # each value fits BIGINT, their sum does not: it aborted the ingest (exit 1) before
    big = GOOD.replace(" 10 4000 ", " 9223372036854775807 9223372036854775807 ")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a.log").write_text("\n".join([HEADER, big, big]) + "\n")
        con = open_workspace(None)
        report = ingest(con, [tmp])
        sums = con.execute("SELECT records, packets_in, bytes_in FROM flow_rollup").fetchall()
        con.close()
    assert (report.records, report.rejected) == (2, 0)
    assert sums == [(2, 2**63 - 1, 2**63 - 1)]
