"""One pass from the reader into the aggregate, for batches whose objects are all clean.

The stage-based batch (ingest.py) copies every record into a temp table and reads it again for
each thing it learns: addresses, listeners, the roll-up, samples, coverage. When every object of
a batch is read by DuckDB's own readers (text with a usable header, flow-log Parquet) and none of
them needs the line parser, the records are instead grouped once, straight from `read_csv` /
`read_parquet`, into `pass_rows` (sql/pass_batch.sql): a row per roll-up key where the record
alone decides the connection, per record-like key where the batch must decide it. Everything
else is read from those rows (sql/pass_*.sql), by the same rules, with the same result
(tests/test_ingest_equality.py).

Validation stays where it is: a reader error, a line DuckDB's reader flags, or a record lacking
what the roll-up needs makes `aggregate` answer False, and the caller ingests the batch the
stage-based way, which gives every bad line its number and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from sgharden.resources import query


@dataclass(frozen=True)
class Reader:
    """A SELECT producing the stage's columns from some objects, and its parameters."""

    select: str
    params: dict[str, Any]
    csv: bool  # read_csv with store_rejects: its flagged lines are looked at


def aggregate(con: duckdb.DuckDBPyConnection, readers: list[Reader]) -> bool:
    """Group every reader's records into temp table `pass_rows`; False when the batch is not
    clean (the caller then takes the stage-based path, which `pass_rows` does not affect)."""
    con.execute("DROP TABLE IF EXISTS pass_rows")
    if not readers:
        return False
    grouping = query("pass_batch")
    for i, reader in enumerate(readers):
        head = "CREATE TEMP TABLE pass_rows AS" if i == 0 else "INSERT INTO pass_rows"
        try:
            if reader.csv:
                con.execute("DROP TABLE IF EXISTS csv_rejects")
                con.execute("DROP TABLE IF EXISTS csv_scans")
            con.execute(
                f"{head} WITH records AS ({reader.select}) SELECT * FROM ({grouping})",
                reader.params,
            )
        except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException):
            raise  # a mistake in the query, not in the data
        except duckdb.Error:
            return _give_up(con)
        if reader.csv and _count(con, "SELECT count(*) FROM csv_rejects"):
            return _give_up(con)
    if _count(con, "SELECT count(*) FROM pass_rows WHERE bad_source IS NOT NULL"):
        return _give_up(con)
    return True


def finish(
    con: duckdb.DuckDBPyConnection, readers: list[Reader], tie_stage_ddl: str
) -> dict[str, int] | None:
    """Write the batch's addresses, listeners, roll-up, samples and coverage from `pass_rows`
    (inside the caller's transaction); the records read per object. None (the caller rolls
    back and takes the stage-based path) when a tie between samples cannot be settled here."""
    con.execute(query("pass_infer_addresses"))
    con.execute(query("pass_learn_listeners"))
    con.execute(query("pass_rollup"))
    if not _settle_sample_ties(con, readers, tie_stage_ddl):
        return None
    con.execute(query("rollup_insert"))
    con.execute(query("pass_samples_insert"))
    con.execute(query("pass_hours_insert"))
    rows = con.execute("SELECT source, sum(records) FROM pass_rows GROUP BY source").fetchall()
    return {str(source): int(n) for source, n in rows}


def _settle_sample_ties(
    con: duckdb.DuckDBPyConnection, readers: list[Reader], tie_stage_ddl: str
) -> bool:
    """Where two records of one object tie for a key's sample (same start and side), the stage
    takes the one read first: read those objects again, only the tied seconds, in read order
    (temp table `tie_stage`), and pick it (sql/pass_tie_winners.sql). False when that cannot
    be done exactly: a row with more tied records than it keeps, or two objects of one name."""
    con.execute(query("pass_sample_ties"))
    row = con.execute(
        "SELECT count(*), coalesce(bool_or(overflow OR sources <> 1), false), "
        "coalesce(list(DISTINCT source), []), coalesce(list(DISTINCT start), []) FROM sample_ties"
    ).fetchone()
    assert row is not None
    ties, unsure, sources, starts = int(row[0]), bool(row[1]), list(row[2]), list(row[3])
    if unsure:
        return False
    con.execute(tie_stage_ddl)
    for reader in readers if ties else []:
        files = [f for f in reader.params["files"] if f in set(sources)]
        if files:
            con.execute(
                f"INSERT INTO tie_stage SELECT * FROM ({reader.select}) "
                "WHERE list_contains($tie_starts, start)",
                {**reader.params, "files": files, "tie_starts": starts},
            )
    con.execute(query("pass_tie_winners"))
    return _count(con, "SELECT count(*) FROM tie_winners") == ties


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _give_up(con: duckdb.DuckDBPyConnection) -> bool:
    con.execute("DROP TABLE IF EXISTS pass_rows")
    return False
