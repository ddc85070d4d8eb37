"""Parquet flow-log records get the line parser's grammar: bad records are kept aside, not stored.

Real Parquet files written by DuckDB's COPY, typed as AWS writes them (strings for addresses,
action and log-status; INT32/INT64 for numbers), then a hostile value in one column.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.workspace import open_workspace

_COLUMNS = (
    ("version", "INTEGER", 5),
    ("account_id", "VARCHAR", "123456789012"),
    ("interface_id", "VARCHAR", "eni-0a1b2c3d4e5f60718"),
    ("srcaddr", "VARCHAR", "198.51.100.7"),
    ("dstaddr", "VARCHAR", "10.0.1.5"),
    ("srcport", "INTEGER", 50123),
    ("dstport", "INTEGER", 443),
    ("protocol", "INTEGER", 6),
    ("packets", "BIGINT", 10),
    ("bytes", "BIGINT", 4000),
    ("start", "BIGINT", 1700000000),
    ("end", "BIGINT", 1700000060),
    ("action", "VARCHAR", "ACCEPT"),
    ("log_status", "VARCHAR", "OK"),
)


def _write(path: Path, rows: list[dict[str, object]], types: dict[str, str] | None = None) -> None:
    """One Parquet object: each row is the good record with the given columns replaced."""
    types = {name: t for name, t, _ in _COLUMNS} | (types or {})
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f'"{n}" {types[n]}' for n, _, _ in _COLUMNS) + ")")
    marks = ", ".join("?" for _ in _COLUMNS)
    con.executemany(
        f"INSERT INTO t VALUES ({marks})",
        [[row.get(name, good) for name, _, good in _COLUMNS] for row in rows],
    )
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    con.close()


def _ingest(tmp_path: Path):  # type: ignore[no-untyped-def]
    con = open_workspace(None)
    report = ingest(con, [str(tmp_path)], IngestOptions(keep_records=True))
    rejects = [
        (Path(s).name, line, reason)
        for s, line, reason in con.execute(
            "SELECT source, line, reason FROM rejects ORDER BY source, line"
        ).fetchall()
    ]
    stored = con.execute("SELECT srcaddr, dstport, action FROM flow_records ORDER BY 1").fetchall()
    return report, rejects, stored


@pytest.mark.parametrize(
    ("row", "types", "reason"),
    [
        ({"srcaddr": "not-an-ip"}, None, "field srcaddr: 'not-an-ip' is not an IP address"),
        ({"srcaddr": "999.1.1.1"}, None, "field srcaddr: '999.1.1.1' is not an IP address"),
        ({"dstaddr": "fe80::1%eth0"}, None, "field dstaddr: 'fe80::1%eth0' is not an IP address"),
        ({"action": "accept"}, None, "field action: 'accept' is not ACCEPT or REJECT"),
        ({"log_status": "ok"}, None, "field log-status: 'ok' is not OK, NODATA or SKIPDATA"),
        ({"dstport": -1}, None, "field dstport: '-1' is not an integer"),
        ({"dstport": "4_43"}, {"dstport": "VARCHAR"}, "field dstport: '4_43' is not an integer"),
        (
            {"dstport": 3000000000},
            {"dstport": "BIGINT"},
            "field dstport: 3000000000 is out of range",
        ),
        ({"start": 2**62}, None, f"field start: {2**62} is out of range"),
        # what no text line can hold: worded as the line parser words a value (repr)
        ({"dstaddr": "10.0.0.1\n"}, None, "field dstaddr: '10.0.0.1\\n' is not an IP address"),
        ({"dstport": "44\n3"}, {"dstport": "VARCHAR"}, "field dstport: '44\\n3' is not an integer"),
        (
            {"start": "2023-11-14"},
            {"start": "VARCHAR"},
            "field start: '2023-11-14' is not an integer",
        ),
        ({"bytes": 4000.5}, {"bytes": "DOUBLE"}, "field bytes: '4000.5' is not an integer"),
    ],
)
def test_a_bad_parquet_record_is_kept_aside_with_its_row(
    tmp_path: Path, row: dict[str, object], types: dict[str, str] | None, reason: str
) -> None:
    _write(tmp_path / "a.parquet", [row], types)
    report, rejects, stored = _ingest(tmp_path)
    assert rejects == [("a.parquet", 1, reason)]
    assert report.rejected == 1 and report.records == 0 and stored == []


def test_a_mixed_parquet_object_keeps_its_good_records(tmp_path: Path) -> None:
    _write(
        tmp_path / "m.parquet",
        [
            {},
            {"srcaddr": "not-an-ip"},
            {"dstport": 70000},  # a port is 16 bits: refused as the line parser refuses it
            {"action": "accept"},
            {"dstport": -5},
            {"srcaddr": "2001:db8::1", "action": "REJECT"},
        ],
    )
    _write(tmp_path / "n.parquet", [{"srcaddr": "203.0.113.9"}])
    report, rejects, stored = _ingest(tmp_path)
    assert rejects == [
        ("m.parquet", 2, "field srcaddr: 'not-an-ip' is not an IP address"),
        ("m.parquet", 3, "field dstport: 70000 is out of range"),
        ("m.parquet", 4, "field action: 'accept' is not ACCEPT or REJECT"),
        ("m.parquet", 5, "field dstport: '-5' is not an integer"),
    ]
    assert report.rejected == 4 and report.records == 3
    assert stored == [
        ("198.51.100.7", 443, "ACCEPT"),
        ("2001:db8::1", 443, "REJECT"),
        ("203.0.113.9", 443, "ACCEPT"),
    ]


def test_null_and_dash_in_parquet_are_missing_values_as_in_a_text_line(tmp_path: Path) -> None:
    _write(tmp_path / "d.parquet", [{"srcaddr": "-"}, {"interface_id": None}, {"dstport": "-"}],
           {"dstport": "VARCHAR"})  # fmt: skip
    report, rejects, stored = _ingest(tmp_path)
    assert rejects == [
        ("d.parquet", 1, "not analysable: lacks srcaddr"),
        ("d.parquet", 2, "not analysable: lacks interface_id"),
    ]
    # kept aside as the line parser's path keeps them (not counted as rejected); with
    # --keep-records stored but not analysed; a missing dstport is not needed by the roll-up
    assert (report.rejected, report.unanalysable, report.records) == (0, 2, 1)
    assert stored == [
        ("198.51.100.7", 443, "ACCEPT"),
        ("198.51.100.7", None, "ACCEPT"),
        (None, 443, "ACCEPT"),
    ]
