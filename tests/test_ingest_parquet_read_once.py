"""Parquet objects are read once for the record checks, and the result is what each object alone
gives: bad records in one object of several, objects whose columns differ in type (a read of
several objects takes the first one's types), and integer columns checked without text.

Real Parquet objects written by DuckDB's COPY, a real workspace; the rejects are compared with
the exact rows and reasons, and with ingesting each object on its own.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from test_ingest_parquet_check import _COLUMNS

from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.workspace import open_workspace


def _write(path: Path, rows: list[dict[str, object]], types: dict[str, str]) -> None:
    types = {name: t for name, t, _ in _COLUMNS} | types
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f'"{n}" {types[n]}' for n, _, _ in _COLUMNS) + ")")
    con.executemany(
        f"INSERT INTO t VALUES ({', '.join('?' for _ in _COLUMNS)})",
        [[row.get(name, good) for name, _, good in _COLUMNS] for row in rows],
    )
    con.execute("COPY t TO $p (FORMAT parquet)", {"p": str(path)})
    con.close()


def _result(sources: list[Path], keep: bool) -> tuple[object, ...]:
    con = open_workspace(None)
    report = ingest(con, [str(s) for s in sources], IngestOptions(keep_records=keep))
    rejects = con.execute(
        "SELECT parse_filename(source), line, reason, raw FROM rejects ORDER BY ALL"
    ).fetchall()
    rollup = con.execute(
        "SELECT interface_id, service_port, remote_addr, records, bytes_in FROM flow_rollup "
        "ORDER BY ALL"
    ).fetchall()
    stored = con.execute(
        "SELECT parse_filename(source), srcport, line FROM flow_records ORDER BY ALL"
    ).fetchall()
    objects = con.execute(
        "SELECT parse_filename(source), records, rejected FROM ingested_objects ORDER BY ALL"
    ).fetchall()
    con.close()
    counts = (report.records, report.rejected, report.unanalysable)
    return rejects, rollup, stored, objects, counts


def _objects(tmp_path: Path) -> list[Path]:
    """Four objects, one read group on main's grouping (same columns): srcport INTEGER (clean),
    VARCHAR (a bad value and a record the roll-up cannot use), BIGINT (out of range, negative),
    VARCHAR (clean)."""
    _write(tmp_path / "a.parquet", [{}, {"srcport": 1024}, {}], {"srcport": "INTEGER"})
    _write(
        tmp_path / "b.parquet",
        [{"srcport": "80"}, {"srcport": "http"}, {"srcport": "81", "interface_id": "-"},
         {"srcport": "82"}],
        {"srcport": "VARCHAR"},
    )  # fmt: skip
    _write(
        tmp_path / "c.parquet",
        [{"srcport": 70000}, {"srcport": 90}, {"srcport": -3}, {"srcport": 2**40}],
        {"srcport": "BIGINT"},
    )
    _write(tmp_path / "d.parquet", [{"srcport": "443"}], {"srcport": "VARCHAR"})
    return [tmp_path / n for n in ("a.parquet", "b.parquet", "c.parquet", "d.parquet")]


def test_bad_records_in_one_object_of_several_with_differing_types(tmp_path: Path) -> None:
    _objects(tmp_path)
    rejects, _, stored, objects, counts = _result([tmp_path], keep=False)
    good = "5 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.5"
    tail = "443 6 10 4000 1700000000 1700000060 ACCEPT OK"
    assert rejects == [
        ("b.parquet", 2, "field srcport: 'http' is not an integer", f"{good} http {tail}"),
        (
            "b.parquet",
            3,
            "not analysable: lacks interface_id",
            f"5 123456789012 - 198.51.100.7 10.0.1.5 81 {tail}",
        ),
        ("c.parquet", 1, "field srcport: 70000 is out of range", f"{good} 70000 {tail}"),
        ("c.parquet", 3, "field srcport: '-3' is not an integer", f"{good} -3 {tail}"),
        ("c.parquet", 4, f"field srcport: {2**40} is out of range", f"{good} {2**40} {tail}"),
    ]
    assert objects == [
        ("a.parquet", 3, 0), ("b.parquet", 2, 2), ("c.parquet", 1, 3), ("d.parquet", 1, 0),
    ]  # fmt: skip
    assert counts == (7, 4, 1) and stored == []


@pytest.mark.parametrize("keep", [False, True])
def test_several_objects_give_what_each_object_alone_gives(tmp_path: Path, keep: bool) -> None:
    sources = _objects(tmp_path)
    together = _result([tmp_path], keep)
    alone = [_result([s], keep) for s in sources]
    for index in range(3):  # rejects, roll-up, stored records: the union of each alone
        assert together[index] == sorted(x for one in alone for x in one[index])  # type: ignore[attr-defined]
    assert together[3] == [row for one in alone for row in one[3]]  # type: ignore[attr-defined]
    if keep:  # the unanalysable record is stored, its line NULL as every Parquet record's
        assert ("b.parquet", 81, None) in together[2]  # type: ignore[operator]
        assert all(line is None for _, _, line in together[2])  # type: ignore[attr-defined]


# DuckDB's integer types as Parquet holds them (HUGEINT is written as DOUBLE: text, not here)
RANGES = {
    "TINYINT": (-(2**7), 2**7), "SMALLINT": (-(2**15), 2**15), "INTEGER": (-(2**31), 2**31),
    "BIGINT": (-(2**63), 2**63), "UTINYINT": (0, 2**8), "USMALLINT": (0, 2**16),
    "UINTEGER": (0, 2**32), "UBIGINT": (0, 2**64),
}  # fmt: skip
VALUES = (0, 1, 6, 127, 255, 443, 65535, 65536, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -1, -128)


@pytest.mark.parametrize("column", ["dstport", "protocol", "bytes", "start"])
@pytest.mark.parametrize("sql_type", sorted(RANGES))
def test_an_integer_column_is_checked_as_its_text_would_be(
    tmp_path: Path, sql_type: str, column: str
) -> None:
    low, high = RANGES[sql_type]
    values = [v for v in VALUES if low <= v < high]
    rows: list[dict[str, object]] = [{column: v} for v in values]
    (tmp_path / "int").mkdir()
    (tmp_path / "text").mkdir()
    _write(tmp_path / "int" / "a.parquet", rows, {column: sql_type})
    _write(tmp_path / "text" / "a.parquet", [{column: str(v)} for v in values], {column: "VARCHAR"})
    typed, text = _result([tmp_path / "int"], False), _result([tmp_path / "text"], False)
    assert typed[0] == text[0] and typed[1:] == text[1:]
    if -1 in values:  # and something is refused at all
        assert any(reason.endswith("is not an integer") for _, _, reason, _ in typed[0])  # type: ignore[attr-defined]
