"""The Athena engine: the roll-up runs where the flow logs are; only its result comes back.

For the window's days not yet rolled up (the workspace's manifest says which), one run sends
the statements of athena_sql.py (UNLOAD to Parquet under the results location), downloads what
they wrote and loads it with the local engine's own queries (rollup_insert, samples_insert), so
the workspace has the same tables and manifest as after a local ingest.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
import sqlglot.expressions as exp

from sgharden.errors import InputError
from sgharden.flowlogs import ocsf
from sgharden.flowlogs.engines import athena_learned
from sgharden.flowlogs.engines.athena_chunks import QUERY_LIMIT, chunks
from sgharden.flowlogs.engines.athena_client import QueryProgress, run_statement
from sgharden.flowlogs.engines.athena_sql import PARTS, RollupScope, read_pairs
from sgharden.flowlogs.engines.athena_tables import (
    LAYOUTS,
    TableLayout,
    create_table_ddl,
    identifier,
    layout_of,
    s3_location,
    security_lake_layout,
)
from sgharden.flowlogs.ingest import IngestReport
from sgharden.flowlogs.sources import split_s3_url
from sgharden.resources import query

DEFAULT_PRICE_PER_TB = 5.0  # USD per TB scanned, Athena's list price in most regions
# Every API call this engine makes, as IAM actions (tests/test_athena_engine.py checks them).
# glue:CreateTable/GetDatabase are used by Athena itself when it runs the DDL for the caller.
IAM_ACTIONS = (
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:StopQueryExecution",
    "glue:GetTable",
    "glue:CreateTable",
    "glue:GetDatabase",
    "s3:ListBucket",  # the selected partitions' sizes; the UNLOAD results
    "s3:GetObject",  # the flow-log bucket (read by Athena as the caller) and the results
    "s3:PutObject",  # the results location (written by Athena as the caller)
)
# Athena reads every statement's partitions itself: the estimate is, per statement, the bytes of
# the accounts and regions it selects.
MANIFEST_KIND = "athena"


@dataclass(frozen=True)
class AthenaOptions:
    database: str
    workgroup: str
    results: str
    table: str = "vpc_flow_logs"
    create_table: str | None = None  # a layout name: create the table when it is missing
    table_location: str | None = None  # s3://bucket/prefix/AWSLogs/ for --create-table
    dry_run: bool = False
    max_scan_gb: float | None = None
    price_per_tb: float = DEFAULT_PRICE_PER_TB
    query_limit: int = QUERY_LIMIT  # bytes a statement may have (Athena's limit; tests lower it)


@dataclass(frozen=True)
class Snapshot:
    """The part of a snapshot the engine needs."""

    accounts_regions: tuple[tuple[str, str], ...]
    interfaces: tuple[str, ...]
    known_addresses: tuple[tuple[str, str, str], ...] = ()
    places: tuple[tuple[str, str, str], ...] = ()  # interface, account, region


@dataclass
class AthenaReport(IngestReport):
    days: tuple[date, ...] = ()
    partition_bytes: int = 0
    estimated_scan_bytes: int = 0
    estimated_cost: float = 0.0
    bytes_scanned: int = 0
    query_ids: list[str] = field(default_factory=list)
    statements: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False


class AthenaEngine:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        options: AthenaOptions,
        client: Callable[[str], Any],
        progress: QueryProgress | None = None,
    ) -> None:
        self.con = con
        self.options = options
        self.client = client  # service name -> boto3 client
        self.progress = progress
        identifier(options.database, "--database")
        identifier(options.table, "--table")
        self.results = s3_location(options.results)

    # ---- the table ---------------------------------------------------------------------------
    def table(self, snapshot: Snapshot, first_day: date) -> tuple[TableLayout, frozenset[str], str]:
        """(layout, data columns, location) of the Glue table, creating it when asked to."""
        found = self._get_table()
        if found is None:
            if not self.options.create_table:
                raise InputError(
                    f"Glue table {self.options.database}.{self.options.table} does not exist",
                    hint="name an existing one with --table, or add --create-table LAYOUT "
                    "--table-location s3://BUCKET/PREFIX/AWSLogs/",
                )
            layout = LAYOUTS[self.options.create_table]
            if not self.options.table_location:
                raise InputError("--create-table needs --table-location s3://BUCKET/.../AWSLogs/")
            ddl = create_table_ddl(
                layout,
                self.options.database,
                self.options.table,
                self.options.table_location,
                {a for a, _ in snapshot.accounts_regions},
                {r for _, r in snapshot.accounts_regions},
                first_day,
            )
            if self.options.dry_run:
                return (
                    layout,
                    frozenset(_ddl_columns(ddl)),
                    s3_location(self.options.table_location),
                )
            self._run("create-table", ddl)
            found = self._get_table()
            if found is None:
                raise InputError(f"Athena ran the DDL but Glue has no {self.options.table}")
        storage = found.get("StorageDescriptor", {})
        columns = frozenset(c["Name"].lower() for c in storage.get("Columns", []))
        keys = [k["Name"] for k in found.get("PartitionKeys", [])]
        name = f"{self.options.database}.{self.options.table}"
        if ocsf.is_ocsf(columns):  # Security Lake's table: its records mapped by flowlogs/ocsf.py
            layout = security_lake_layout(keys, columns, name)
        else:
            layout = layout_of(keys, name)
        location = s3_location(str(storage.get("Location", "")), "the table's location")
        return layout, columns, location

    def _get_table(self) -> dict[str, Any] | None:
        glue = self.client("glue")
        try:
            table: dict[str, Any] = glue.get_table(
                DatabaseName=self.options.database, Name=self.options.table
            )["Table"]
            return table
        except glue.exceptions.EntityNotFoundException:
            return None

    # ---- a run -------------------------------------------------------------------------------
    def run(self, snapshot: Snapshot, days: list[date]) -> AthenaReport:
        started = time.perf_counter()
        report = AthenaReport(dry_run=self.options.dry_run)
        if not days or not snapshot.interfaces:
            return report
        layout, columns, location = self.table(snapshot, min(days))
        scope_version = _scope_version(snapshot)
        done = self._done_days(scope_version)
        todo = tuple(d for d in days if d not in done)
        report.objects_found, report.objects_skipped = len(days), len(days) - len(todo)
        report.days = todo
        if not todo:
            return report
        accounts = tuple(sorted({a for a, _ in snapshot.accounts_regions}))
        regions = tuple(sorted({r for _, r in snapshot.accounts_regions}))
        scope = RollupScope(
            database=self.options.database,
            table=self.options.table,
            layout=layout,
            columns=columns,
            accounts=accounts,
            regions=regions,
            days=todo,
            interfaces=tuple(sorted(snapshot.interfaces)),
            known_addresses=self._known_addresses(snapshot),
            known_listeners=self._known_listeners(snapshot.interfaces),
            places=snapshot.places,
            pairs=tuple(sorted(snapshot.accounts_regions)),
        )
        run_folder = f"{self.results}sgharden/{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:8]}/"
        groups = chunks(scope, run_folder, self.options.query_limit)
        report.statements = {name: sql for _, found in groups for name, sql in found.items()}
        held = {
            (a, r): self._bytes_under([layout.prefix(location, a, r, d) for d in todo])
            for a, r in snapshot.accounts_regions
        }
        report.partition_bytes = sum(held.values())
        # each statement reads its group's accounts x regions (those the snapshot has)
        report.estimated_scan_bytes = sum(
            len(found) * sum(n for pair, n in held.items() if pair in read_pairs(group))
            for group, found in groups
        )  # fmt: skip
        report.estimated_cost = report.estimated_scan_bytes / 1e12 * self.options.price_per_tb
        limit = self.options.max_scan_gb
        if limit is not None and report.estimated_scan_bytes > limit * 1e9:
            raise InputError(
                f"the Athena run would scan about {report.estimated_scan_bytes / 1e9:,.2f} GB "
                f"(~${report.estimated_cost:,.2f}), above --max-scan-gb {limit:g}",
                hint="narrow the window (--since/--until) or raise --max-scan-gb",
            )
        if self.options.dry_run:
            return report
        for part, statement in report.statements.items():
            result = self._run(part, statement)
            report.query_ids.append(result.query_id)
            report.bytes_scanned += result.bytes_scanned
        self._load(run_folder, report, scope_version)
        report.objects_read = len(todo)
        report.seconds = time.perf_counter() - started
        return report

    def _run(self, part: str, statement: str) -> Any:
        return run_statement(
            self.client("athena"),
            statement,
            database=self.options.database,
            workgroup=self.options.workgroup,
            output=f"{self.results}sgharden/queries/",
            part=part,
            progress=self.progress,
        )

    def _bytes_under(self, prefixes: list[str]) -> int:
        s3 = self.client("s3")
        total = 0
        for prefix in prefixes:
            bucket, key = split_s3_url(prefix)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
                total += sum(int(o["Size"]) for o in page.get("Contents", []))
        return total

    def _done_days(self, scope_version: str) -> set[date]:
        rows = self.con.execute(
            "SELECT source, version FROM ingested_objects WHERE kind = $k AND starts_with(source, $p)",
            {"k": MANIFEST_KIND, "p": self._manifest_prefix()},
        ).fetchall()
        return {date.fromisoformat(str(s).rsplit("/", 1)[-1]) for s, _ in rows}

    def _manifest_prefix(self) -> str:
        return f"athena://{self.options.database}.{self.options.table}/"

    def _known_addresses(self, snapshot: Snapshot) -> tuple[tuple[str, str, str], ...]:
        """The inventory's addresses, and for interfaces it has none for, those an earlier run
        inferred (kept in the workspace): inferred once, as a local ingest does."""
        from_inventory = {i for i, _, _ in snapshot.known_addresses}
        rows = self.con.execute(
            "SELECT DISTINCT interface_id, address, origin FROM interface_addresses "
            "WHERE list_contains($i, interface_id) AND NOT list_contains($k, interface_id) "
            "ORDER BY ALL",
            {"i": list(snapshot.interfaces), "k": sorted(from_inventory)},
        ).fetchall()
        return snapshot.known_addresses + tuple((str(i), str(a), str(o)) for i, a, o in rows)

    def _known_listeners(self, interfaces: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
        rows = self.con.execute(
            "SELECT interface_id, protocol, port FROM listeners WHERE list_contains($i, interface_id)",
            {"i": list(interfaces)},
        ).fetchall()
        return tuple((str(i), int(p), int(q)) for i, p, q in rows)

    # ---- loading the result ------------------------------------------------------------------
    def _download(self, folder: str, into: Path) -> list[str]:
        s3 = self.client("s3")
        bucket, key = split_s3_url(folder)
        files: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            for item in page.get("Contents", []):
                if item["Key"].endswith("/") or int(item["Size"]) == 0:
                    continue
                target = into / f"{len(files):05d}.parquet"
                s3.download_file(bucket, item["Key"], str(target))
                files.append(str(target))
        return files

    def _load(self, run_folder: str, report: AthenaReport, scope_version: str) -> None:
        con = self.con
        with tempfile.TemporaryDirectory(prefix="sgharden-athena-") as tmp:
            parts = {}
            for part in PARTS:  # every chunk's result is under its part's folder
                folder = Path(tmp) / part
                folder.mkdir()
                parts[part] = self._download(f"{run_folder}{part}/", folder)
            con.execute("BEGIN")
            try:
                if parts["rollup"]:
                    con.execute(query("athena_load_rollup"), {"files": parts["rollup"]})
                    con.execute(query("rollup_insert"))
                    con.execute(query("athena_load_samples"), {"files": parts["rollup"]})
                    con.execute(_samples_insert_by_rid())
                    athena_learned.load(con, parts["rollup"])  # for the next run
                for table in ("interface_hours", "coverage_events"):
                    if parts[table]:
                        con.execute(_insert_positional(con, table), {"files": parts[table]})
                records = _records_of(con, parts["interface_hours"])
                report.records = records
                con.executemany(
                    "INSERT OR REPLACE INTO ingested_objects VALUES ($1, $2, $3, $4, NULL, NULL, "
                    "NULL, $5, 0, now()::TIMESTAMP)",
                    [
                        (f"{self._manifest_prefix()}{d.isoformat()}", 0, scope_version,
                         MANIFEST_KIND, records if i == 0 else 0)
                        for i, d in enumerate(report.days)
                    ],
                )  # fmt: skip
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise


def _samples_insert_by_rid() -> str:
    """samples_insert.sql with the returned record id (`rid`) in place of DuckDB's rowid."""
    tree = sqlglot.parse_one(query("samples_insert"), read="duckdb")
    for column in tree.find_all(exp.Column):
        if column.name == "rowid":
            column.set("this", exp.to_identifier("rid"))
    return tree.sql(dialect="duckdb")


def _insert_positional(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """INSERT of a returned Parquet result into `table`, by position; microseconds become
    TIMESTAMP where the table has one (Athena returned make_timestamp's argument)."""
    types = [
        str(t)
        for (t,) in con.execute(
            "SELECT data_type FROM duckdb_columns() WHERE table_name = $t ORDER BY column_index",
            {"t": table},
        ).fetchall()
    ]
    select = ", ".join(
        f"make_timestamp(c{i})" if t == "TIMESTAMP" else f"c{i}" for i, t in enumerate(types)
    )
    cols = ", ".join(f"c{i}" for i in range(len(types)))
    return (
        f"INSERT INTO {table} SELECT {select} FROM "
        f"(SELECT * FROM read_parquet($files)) AS t({cols})"
    )


def _records_of(con: duckdb.DuckDBPyConnection, files: list[str]) -> int:
    if not files:
        return 0
    row = con.execute(
        "SELECT coalesce(sum(c4 + c5 + c6), 0) FROM (SELECT * FROM read_parquet($f)) "
        "AS t(c0, c1, c2, c3, c4, c5, c6)",
        {"f": files},
    ).fetchone()
    return int(row[0]) if row else 0


def _scope_version(snapshot: Snapshot) -> str:
    text = "|".join(sorted(snapshot.interfaces)) + "#" + repr(sorted(snapshot.accounts_regions))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ddl_columns(ddl: str) -> list[str]:
    import re

    body = ddl.split("(", 1)[1].split("PARTITIONED BY", 1)[0]
    return [m.lower() for m in re.findall(r"`([a-z_]+)` (?:int|bigint|string)", body)]
