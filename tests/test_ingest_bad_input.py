"""Bad input never aborts and never vanishes: each problem is counted and kept with file and line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner

from sgharden.cli import main
from sgharden.errors import EXIT_INPUT, EXIT_PARTIAL
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.workspace import open_workspace

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
GOOD = "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.5 50123 443 6 10 4000 1700000000 1700000060 ACCEPT OK"


def _write_gz(path: Path, text: str) -> None:
    path.write_bytes(gzip.compress(text.encode()))


def _rejects(con) -> list[tuple[str, int | None, str]]:  # type: ignore[no-untyped-def]
    return [
        (Path(s).name, line, reason)
        for s, line, reason in con.execute(
            "SELECT source, line, reason FROM rejects ORDER BY source, line"
        ).fetchall()
    ]


def test_malformed_lines_are_counted_with_line_numbers(tmp_path: Path) -> None:
    lines = [
        HEADER,
        GOOD,
        "2 123456789012 eni-0a1b2c3d4e5f60718 garbage",
        GOOD.replace(" 443 ", " https "),
        GOOD.replace("ACCEPT", "MAYBE"),
        GOOD,
    ]
    _write_gz(tmp_path / "a.log.gz", "\n".join(lines) + "\n")
    con = open_workspace(None)
    report = ingest(con, [str(tmp_path)])
    assert report.records == 2 and report.rejected == 3
    assert _rejects(con) == [
        ("a.log.gz", 3, "expected 14 fields, found 4"),
        ("a.log.gz", 4, "field dstport: 'https' is not an integer"),
        ("a.log.gz", 5, "field action: 'MAYBE' is not ACCEPT or REJECT"),
    ]
    assert con.execute("SELECT rejected, records FROM ingested_objects").fetchone() == (3, 2)


def test_truncated_gzip_keeps_what_decoded(tmp_path: Path) -> None:
    body = "\n".join([HEADER] + [GOOD.replace("50123", str(50000 + i)) for i in range(2000)]) + "\n"
    data = gzip.compress(body.encode())
    (tmp_path / "t.log.gz").write_bytes(data[: len(data) // 2])
    con = open_workspace(None)
    report = ingest(con, [str(tmp_path)])
    assert 0 < report.records < 2000
    reasons = [r[2] for r in _rejects(con)]
    assert "truncated gzip: the object ends mid-stream" in reasons
    assert report.rejected >= 1


def test_duplicated_and_unknown_headers(tmp_path: Path) -> None:
    (tmp_path / "dup.log").write_text(
        "version interface-id interface-id srcaddr\n2 eni-1 eni-1 10.0.0.1\n"
    )
    (tmp_path / "newer.log").write_text(HEADER + " shiny-new-field\n" + GOOD + " 42\n")
    con = open_workspace(None)
    report = ingest(con, [str(tmp_path)], IngestOptions(keep_records=True))
    assert _rejects(con) == [
        ("dup.log", 1, "bad header: header names interface-id more than once"),
        ("dup.log", 2, "record under a bad header (header names interface-id more than once)"),
    ]
    assert con.execute("SELECT extra FROM flow_records").fetchone() == ('{"shiny-new-field":"42"}',)
    assert report.records == 1


def test_parquet_missing_columns_and_non_flow_log_files(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"version": [5], "srcaddr": ["10.0.0.1"]}), tmp_path / "bad.log.parquet"
    )
    (tmp_path / "notes.md").write_text("# not a flow log\n")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    con = open_workspace(None)
    report = ingest(con, [str(tmp_path)])
    assert report.rejected == 3 and report.records == 0
    got = _rejects(con)
    assert got[0][0] == "bad.log.parquet" and got[0][2].startswith(
        "Parquet object lacks columns interface_id, dstaddr, protocol, start"
    )
    assert got[1][0] == "broken.parquet" and got[1][2].startswith("unreadable Parquet")
    assert got[2] == (
        "notes.md",
        None,
        "not a flow-log object (name is not .log[.gz], .parquet or .json)",
    )


def test_reingest_is_incremental(tmp_path: Path) -> None:
    _write_gz(tmp_path / "a.log.gz", HEADER + "\n" + GOOD + "\n")
    ws = tmp_path.parent / f"{tmp_path.name}-ws.duckdb"
    con = open_workspace(ws)
    first = ingest(con, [str(tmp_path / "a.log.gz")])
    again = ingest(con, [str(tmp_path / "a.log.gz")])
    assert (first.records, again.records, again.objects_skipped) == (1, 0, 1)
    _write_gz(tmp_path / "b.log.gz", HEADER + "\n" + GOOD.replace("50123", "50124") + "\n")
    third = ingest(con, [str(tmp_path)])
    assert (third.objects_read, third.records) == (1, 1)
    assert con.execute("SELECT sum(records) FROM flow_rollup").fetchone() == (2,)


def test_cli_exit_codes_and_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        main, ["ingest", str(tmp_path / "nope"), "--workspace", str(tmp_path / "w.duckdb")]
    )
    assert missing.exit_code == EXIT_INPUT
    assert missing.output.strip().count("\n") == 0 and "no such file or directory" in missing.output
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.log").write_text(HEADER + "\n" + GOOD + "\nbroken line\n")
    partial = runner.invoke(
        main,
        [
            "ingest",
            str(tmp_path / "data"),
            "--workspace",
            str(tmp_path / "w.duckdb"),
            "--format",
            "json",
        ],
    )
    assert partial.exit_code == EXIT_PARTIAL, partial.output
    ok = runner.invoke(
        main,
        ["ingest", str(tmp_path / "data"), "--workspace", str(tmp_path / "w.duckdb"), "--quiet"],
    )
    assert ok.exit_code == 0  # nothing new to read, nothing rejected this time


def test_workspace_from_another_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    import duckdb

    old = tmp_path / "old.duckdb"
    raw = duckdb.connect(str(old))
    raw.execute("CREATE TABLE flow_samples (interface_id VARCHAR, record VARCHAR)")
    raw.close()
    result = CliRunner().invoke(main, ["ingest", str(tmp_path), "--workspace", str(old)])
    assert result.exit_code == EXIT_INPUT
    assert "workspace schema 0, this sgharden uses" in result.output
    assert result.output.strip().count("\n") == 0
