# Over ~400 lines: one ingest transaction (batches, readers, fallbacks) sharing state.
"""Ingest flow-log objects into the workspace: fast where the data is clean, exact where it is not.

Objects are read in batches bounded by size (so memory stays flat as the data grows). In a batch:
- text objects whose first line is a valid header are read by DuckDB's CSV reader, grouped by
  header; any object the reader flags (a double space, a bad value, a header in the middle, a
  truncated gzip) or that holds records the roll-up cannot use is re-read by the line parser
  (textparse.py), which gives every bad line its number and reason;
- Parquet objects are read by DuckDB, grouped by their columns; one missing the columns the
  analysis needs, or unreadable, is rejected whole;
- header-less text and CloudWatch Logs JSON take their format from --log-format or a
  flow-logs.json (DescribeFlowLogs) beside them, and go through the line parser;
- anything else in the tree is rejected whole, with its name.
Then the batch is rolled up (sql/rollup_batch.sql orients each record, rollup_insert.sql adds it
up), and the objects are added to the manifest in the same transaction, so an object is counted
once or not at all.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sgharden.errors import InputError
from sgharden.flowlogs import ocsf, parquet_check, record_check
from sgharden.flowlogs.fields import (
    BY_COLUMN,
    FIELDS,
    REQUIRED_FOR_ROLLUP,
    column_of,
    looks_like_header,
    parse_log_format,
)
from sgharden.flowlogs.sources import (
    KIND_CLOUDWATCH,
    KIND_OTHER,
    KIND_PARQUET,
    KIND_TEXT_GZ,
    FlowLogObject,
    discover,
    split_s3_url,
)
from sgharden.flowlogs.textparse import (
    KNOWN_COLUMNS,
    Parsed,
    Reject,
    cloudwatch_messages,
    field_reason,
    parse_lines,
    read_text_lines,
)
from sgharden.resources import query
from sgharden.schema import check_snapshot_document, load_json_strict

# Measured on the benchmark (5M records): 24 MiB batches ingest ~20% faster than 96 MiB, whose
# larger roll-up hash tables cost more per record; smaller batches gain nothing more.
DEFAULT_BATCH_BYTES = 24 * 1024 * 1024
_NULL = "\\N"
_REQUIRED_INDEX = [KNOWN_COLUMNS.index(c) for c in REQUIRED_FOR_ROLLUP]
_STATUS_INDEX = KNOWN_COLUMNS.index("log_status")


@dataclass
class IngestOptions:
    log_format: tuple[str, ...] | None = None
    flow_logs_json: tuple[Path, ...] = ()
    keep_records: bool = False
    batch_bytes: int = DEFAULT_BATCH_BYTES
    # interface id -> its addresses, from a snapshot's inventory (beats inference)
    known_addresses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # keep only the objects this says yes to (e.g. the accounts/regions of a snapshot)
    object_filter: Callable[[FlowLogObject], bool] | None = None


@dataclass
class IngestReport:
    objects_found: int = 0
    objects_skipped: int = 0  # already in the manifest
    objects_read: int = 0
    records: int = 0  # OK + NODATA + SKIPDATA records stored
    rejected: int = 0  # malformed lines and unreadable objects
    unanalysable: int = 0  # well-formed records lacking what the roll-up needs
    rejected_objects: list[tuple[str, str]] = field(default_factory=list)
    # objects with some lines rejected and some stored: (source, lines rejected, the first reason)
    objects_with_rejects: list[tuple[str, int, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def anything_rejected(self) -> bool:
        return self.rejected > 0


Progress = Callable[[int, int, int], None]


class _Formats:
    """Formats for header-less data: --log-format, else flow-logs.json beside the objects."""

    def __init__(self, explicit: tuple[str, ...] | None, json_files: Iterable[Path]) -> None:
        self.explicit = explicit
        self.by_flow_log: dict[str, tuple[str, ...]] = {}
        self.by_log_group: dict[str, tuple[str, ...]] = {}
        self._loaded: set[Path] = set()
        for path in json_files:
            self.load(path)

    def load(self, path: Path) -> None:
        path = path.resolve()
        if path in self._loaded or not path.is_file():
            return
        self._loaded.add(path)
        document = load_json_strict(path)  # through the schema layer, as snapshot.py reads it
        check_snapshot_document(path, "FlowLogs", document, "aws ec2 describe-flow-logs")
        flow_logs = document["FlowLogs"]
        for fl in flow_logs:
            if not fl.get("LogFormat"):
                continue
            fmt = parse_log_format(fl["LogFormat"])
            self.by_flow_log[fl.get("FlowLogId", "")] = fmt
            if fl.get("LogGroupName"):
                self.by_log_group[fl["LogGroupName"]] = fmt

    def near(self, obj: FlowLogObject, roots: list[Path]) -> None:
        if obj.is_s3:
            return
        here = Path(obj.source).parent
        for folder in [here, *here.parents]:
            self.load(folder / "flow-logs.json")
            if any(folder == r or folder == r.parent for r in roots):
                break

    def for_object(
        self, obj: FlowLogObject, log_group: str | None = None
    ) -> tuple[str, ...] | None:
        if self.explicit:
            return self.explicit
        if obj.flow_log_id and obj.flow_log_id in self.by_flow_log:
            return self.by_flow_log[obj.flow_log_id]
        if log_group and log_group in self.by_log_group:
            return self.by_log_group[log_group]
        formats = set(self.by_flow_log.values())
        if len(formats) == 1:
            return next(iter(formats))
        return None


class _Reader:
    """Reads object bytes and first lines from local files or S3."""

    def __init__(self, s3_client_factory: Callable[[], Any] | None) -> None:
        self._factory = s3_client_factory
        self._client: Any = None

    def _s3(self) -> Any:
        if self._client is None:
            if self._factory is None:
                raise InputError("S3 objects need AWS access")
            self._client = self._factory()
        return self._client

    def read(self, obj: FlowLogObject) -> bytes:
        if obj.is_s3:
            bucket, key = split_s3_url(obj.source)
            return bytes(self._s3().get_object(Bucket=bucket, Key=key)["Body"].read())
        return Path(obj.source).read_bytes()

    def first_line(self, obj: FlowLogObject) -> str | None:
        """The object's first line, or None when it cannot be decoded (the line parser decides)."""
        try:
            if obj.is_s3:
                bucket, key = split_s3_url(obj.source)
                head = self._s3().get_object(Bucket=bucket, Key=key, Range="bytes=0-65535")
                data = bytes(head["Body"].read())
                if obj.kind == KIND_TEXT_GZ:
                    import zlib

                    data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
                return data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
            opener: Any = gzip.open if obj.kind == KIND_TEXT_GZ else open
            with opener(obj.source, "rb") as fh:
                return bytes(fh.readline(65536)).decode("utf-8").rstrip("\r\n")
        except (OSError, EOFError, UnicodeDecodeError, ValueError):
            return None


# What the roll-up reads; the stage holds only these unless --keep-records asks for every field.
STAGE_COLUMNS: tuple[str, ...] = (
    "version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log_status", "tcp_flags",
    "flow_direction", "region",
)  # fmt: skip


def _stage_ddl(columns: tuple[str, ...]) -> str:
    cols = ",\n".join(f'"{c}" {BY_COLUMN[c].sql_type}' for c in columns)
    return f"CREATE OR REPLACE TEMP TABLE stage (\n{cols},\nextra VARCHAR, line BIGINT, source VARCHAR)"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _extra_expr(names: list[str]) -> str:
    if not names:
        return "NULL"
    parts = ", ".join(f"'{n}', {_quote(n)}::VARCHAR" for n in names)
    return f"json_object({parts})"


def _with_object_defaults(col: str, expr: str) -> str:
    """Account and region from the object's key when the record does not carry them."""
    if col == "account_id":
        return f"coalesce({expr}, $account_id)"
    if col == "region":
        return f"coalesce({expr}, $region)"
    return expr


def _text_projection(
    header: tuple[str, ...], columns: tuple[str, ...]
) -> tuple[str, dict[str, str]]:
    """SELECT list mapping a header's columns onto the stage, and read_csv's column types."""
    present = {column_of(n): n for n in header if n in FIELDS}
    select = []
    for col in columns:
        if col in present:
            expr = _with_object_defaults(col, record_check.value_expr(present[col]))
        else:
            expr = _with_object_defaults(col, f"NULL::{BY_COLUMN[col].sql_type}")
        select.append(f"{expr} AS {_quote(col)}")
    unknown = [n for n in header if n not in FIELDS]
    line = record_check.line_expr(header)  # marks a record the line parser would refuse
    select += [f"{_extra_expr(unknown)} AS extra", f"{line} AS line", "filename AS source"]
    return ", ".join(select), record_check.read_types(header)


def _parquet_projection(
    columns: tuple[str, ...], stage_columns: tuple[str, ...], line: str = "NULL::BIGINT"
) -> str:
    present = set(columns)
    select = []
    for col in stage_columns:
        sql_type = BY_COLUMN[col].sql_type
        if col in present:  # NULL and `-` are missing values, as `-` is in a text line
            expr = _with_object_defaults(col, parquet_check.typed_expr(_quote(col), sql_type))
        else:
            expr = _with_object_defaults(col, f"NULL::{sql_type}")
        select.append(f"{expr} AS {_quote(col)}")
    unknown = [
        c for c in columns if c not in BY_COLUMN and c not in ("filename", "file_row_number")
    ]
    select += [f"{_extra_expr(unknown)} AS extra", f"{line} AS line", "filename AS source"]
    return ", ".join(select)


# columns, (column, DuckDB type) pairs, account, region
_ParquetKey = tuple[tuple[str, ...], tuple[tuple[str, str], ...], str | None, str | None]
_MARKS = {"refused": parquet_check.REFUSED_ROW, "unanalysable": parquet_check.UNANALYSABLE_ROW}


class Ingester:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        options: IngestOptions,
        s3_client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.con = con
        self.options = options
        self.reader = _Reader(s3_client_factory)
        self.s3_client_factory = s3_client_factory
        self.formats = _Formats(options.log_format, options.flow_logs_json)
        self.report = IngestReport()
        self._tmp = tempfile.TemporaryDirectory(prefix="sgharden-ingest-")
        self.stage_columns = KNOWN_COLUMNS if options.keep_records else STAGE_COLUMNS

    # ---- planning -------------------------------------------------------------------------
    def run(self, sources: list[str], progress: Progress | None = None) -> IngestReport:
        started = time.perf_counter()
        objects = discover(sources, self.s3_client_factory)
        if self.options.object_filter:
            objects = [o for o in objects if self.options.object_filter(o)]
        self.report.objects_found = len(objects)
        done = {
            (s, v)
            for s, v in self.con.execute("SELECT source, version FROM ingested_objects").fetchall()
        }
        todo = [o for o in objects if (o.source, o.version) not in done]
        self.report.objects_skipped = len(objects) - len(todo)
        self._record_known_addresses()
        roots = [Path(s).resolve() for s in sources if not s.startswith("s3://")]
        batch: list[FlowLogObject] = []
        size = 0
        finished = 0
        for obj in todo:
            self.formats.near(obj, roots)
            batch.append(obj)
            size += obj.size
            if size >= self.options.batch_bytes:
                self._batch(batch)
                finished += len(batch)
                if progress:
                    progress(finished, len(todo), self.report.records)
                batch, size = [], 0
        if batch:
            self._batch(batch)
            finished += len(batch)
            if progress:
                progress(finished, len(todo), self.report.records)
        self.report.objects_read = finished
        self.report.seconds = time.perf_counter() - started
        self._tmp.cleanup()
        return self.report

    def _record_known_addresses(self) -> None:
        known = self.options.known_addresses
        if not known:
            return
        rows = [(eni, addr, "inventory") for eni, addrs in known.items() for addr in addrs]
        self.con.execute("BEGIN")
        self.con.executemany(
            "DELETE FROM interface_addresses WHERE interface_id = $1", [(e,) for e in known]
        )
        self.con.executemany("INSERT INTO interface_addresses VALUES ($1, $2, $3)", rows)
        self.con.execute("COMMIT")

    # ---- one batch --------------------------------------------------------------------------
    def _batch(self, objects: list[FlowLogObject]) -> None:
        """Stage the batch in temp tables (outside a transaction: a failed read of one object
        would abort it), then write everything durable in one transaction."""
        con = self.con
        con.execute(_stage_ddl(self.stage_columns))
        rejects: dict[str, list[Reject]] = {o.source: [] for o in objects}
        unanalysable: dict[str, int] = {}
        by_header: dict[tuple[tuple[str, ...], str | None, str | None], list[FlowLogObject]] = {}
        parquet: list[FlowLogObject] = []
        slow: list[FlowLogObject] = []
        for obj in objects:
            if obj.kind == KIND_OTHER:
                rejects[obj.source].append(
                    Reject(
                        None, "not a flow-log object (name is not .log[.gz], .parquet or .json)", ""
                    )
                )
            elif obj.kind == KIND_PARQUET:
                parquet.append(obj)
            elif obj.kind == KIND_CLOUDWATCH:
                slow.append(obj)
            else:
                header = self._usable_header(obj)
                if header is None:
                    slow.append(obj)
                else:
                    key = (header, obj.account_id, obj.region)
                    by_header.setdefault(key, []).append(obj)
        for (header, _, _), group in by_header.items():
            slow.extend(self._fast_text(header, group))
        self._fast_parquet(parquet, rejects, unanalysable)
        for obj in slow:
            self._slow(obj, rejects, unanalysable)
        con.execute("BEGIN")
        try:
            self._finish_batch(objects, rejects, unanalysable)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _usable_header(self, obj: FlowLogObject) -> tuple[str, ...] | None:
        """The header for the fast path, or None when the line parser must read the object."""
        line = self.reader.first_line(obj)
        if line is None:
            return None
        tokens = line.split(" ")
        if not looks_like_header(tokens) or len(set(tokens)) != len(tokens):
            return None  # no header, double spaces or a bad header: the line parser handles it
        names = {column_of(t) for t in tokens}
        if not set(REQUIRED_FOR_ROLLUP) <= names:
            return None  # records the roll-up cannot use: read line by line to keep them aside
        return tuple(tokens)

    def _fast_text(
        self, header: tuple[str, ...], group: list[FlowLogObject]
    ) -> list[FlowLogObject]:
        """Read a group of same-header objects with DuckDB; return the objects to re-read slowly."""
        projection, types = _text_projection(header, self.stage_columns)
        sql = (
            f"INSERT INTO stage SELECT {projection} FROM read_csv($files, delim=' ', header=true, "
            "columns=$types, nullstr='-', quote='', escape='', auto_detect=false, filename=true, "
            "store_rejects=true, rejects_table='csv_rejects', rejects_scan='csv_scans')"
        )
        files = [o.source for o in group]
        try:
            self.con.execute("DROP TABLE IF EXISTS csv_rejects")
            self.con.execute("DROP TABLE IF EXISTS csv_scans")
            self.con.execute(sql, {"files": files, "types": types, **_object_params(group[0])})
        except duckdb.Error:
            # e.g. a corrupt gzip aborts the whole scan: read each object on its own
            if len(group) == 1:
                self.con.execute("DELETE FROM stage WHERE source = $1", [files[0]])
                return group
            redo: list[FlowLogObject] = []
            for obj in group:
                redo.extend(self._fast_text(header, [obj]))
            return redo
        flagged = {
            row[0]
            for row in self.con.execute(
                "SELECT DISTINCT s.file_path FROM csv_scans s "
                "JOIN csv_rejects e USING (scan_id, file_id)"
            ).fetchall()
        }
        flagged |= {
            row[0]
            for row in self.con.execute(
                "SELECT DISTINCT source FROM stage WHERE source IN (SELECT unnest($files)) AND "
                "(line = $refused OR coalesce(log_status, 'OK') = 'OK' AND (interface_id IS NULL "
                "OR srcaddr IS NULL OR dstaddr IS NULL OR protocol IS NULL OR start IS NULL))",
                {"files": files, "refused": record_check.REFUSED_LINE},
            ).fetchall()
        }
        if flagged:
            self.con.execute(
                "DELETE FROM stage WHERE source IN (SELECT unnest($f))", {"f": sorted(flagged)}
            )
        return [o for o in group if o.source in flagged]

    def _fast_parquet(
        self,
        objects: list[FlowLogObject],
        rejects: dict[str, list[Reject]],
        unanalysable: dict[str, int],
    ) -> None:
        # grouped by columns and their types: a read of several objects takes the first one's
        # types, and the integer checks are chosen by type (parquet_check.INTEGER_TYPES)
        by_columns: dict[_ParquetKey, list[FlowLogObject]] = {}
        ocsf_objects: list[FlowLogObject] = []
        for obj in objects:
            try:
                cols = tuple(
                    r[0]
                    for r in self.con.execute(
                        "SELECT name FROM parquet_schema($f) WHERE num_children IS NULL "
                        "OR num_children = 0",
                        {"f": obj.source},
                    ).fetchall()
                )
                types = tuple(
                    (str(name), str(sql_type))
                    for name, sql_type in self.con.execute(
                        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                        "read_parquet($f, hive_partitioning=false))",
                        {"f": obj.source},
                    ).fetchall()
                )
            except duckdb.Error as exc:
                rejects[obj.source].append(
                    Reject(None, f"unreadable Parquet: {_first_line(exc)}", "")
                )
                continue
            if ocsf.is_ocsf_leaves(cols):  # Security Lake: mapped by flowlogs/ocsf.py
                ocsf_objects.append(obj)
                continue
            missing = [c for c in REQUIRED_FOR_ROLLUP if c not in cols]
            if missing:
                rejects[obj.source].append(
                    Reject(None, f"Parquet object lacks columns {', '.join(missing)}", "")
                )
                continue
            by_columns.setdefault((cols, types, obj.account_id, obj.region), []).append(obj)
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE parquet_rejects (source VARCHAR, row BIGINT, "
            "fault STRUCT(name VARCHAR, kind VARCHAR, value VARCHAR), lacks VARCHAR, raw VARCHAR)"
        )
        stage_types = {c: BY_COLUMN[c].sql_type for c in self.stage_columns}
        ocsf.stage_objects(self.con, ocsf_objects, stage_types, rejects, self.options.keep_records)
        for (cols, types, _, _), group in by_columns.items():
            integers = frozenset(n for n, t in types if t in parquet_check.INTEGER_TYPES)
            try:
                self._parquet_group(
                    cols, integers, [o.source for o in group], _object_params(group[0])
                )
            except duckdb.Error:
                files = [o.source for o in group]
                for table in ("stage", "parquet_rejects"):  # a half-read group: read one by one
                    self.con.execute(
                        f"DELETE FROM {table} WHERE source IN (SELECT unnest($f))", {"f": files}
                    )
                for obj in group:
                    try:
                        self._parquet_group(cols, integers, [obj.source], _object_params(obj))
                    except duckdb.Error as exc:
                        self.con.execute("DELETE FROM stage WHERE source = $1", [obj.source])
                        self.con.execute(
                            "DELETE FROM parquet_rejects WHERE source = $1", [obj.source]
                        )
                        rejects[obj.source].append(
                            Reject(None, f"unreadable Parquet: {_first_line(exc)}", "")
                        )
        # refused records first, then those the roll-up cannot use: the line parser's order
        for source, row, fault, lacks, raw in self.con.execute(
            "SELECT source, row, fault, lacks, raw FROM parquet_rejects "
            "ORDER BY source, fault IS NULL, row"
        ).fetchall():
            if fault is not None:
                reason = field_reason(fault["name"], fault["kind"], fault["value"])
            else:
                unanalysable[source] = unanalysable.get(source, 0) + 1
                reason = f"not analysable: lacks {lacks}"
            rejects[source].append(Reject(row, reason, raw))
        self.con.execute("DROP TABLE IF EXISTS parquet_rejects")

    def _parquet_group(
        self,
        cols: tuple[str, ...],
        integers: frozenset[str],
        files: list[str],
        params: dict[str, str | None],
    ) -> None:
        """Stage the records that follow the line parser's grammar; keep the others' row number
        (1-based, as a line number) and fault in parquet_rejects, never in the stage. Records the
        roll-up cannot use are kept aside too (and stored only with --keep-records), as the line
        parser's path does. `integers`: the columns these objects hold as integer types.

        One read stages every record with its mark (parquet_check.mark_expr); only the objects
        with a marked record are read again, for the rejects' fault, lacks and raw text."""
        named = [(c, BY_COLUMN[c].name if c in BY_COLUMN else c, _quote(c)) for c in cols]
        checks = parquet_check.checks_of(named)
        integer_values = {_quote(c) for c in integers}
        values = {c: v for c, _, v in named if c in BY_COLUMN}
        incomplete = parquet_check.lacks_expr(values, wanted_text=False)
        mark = parquet_check.mark_expr(checks, incomplete, integer_values)
        scan = "read_parquet($files, filename=true, file_row_number=true, hive_partitioning=false)"
        self.con.execute(
            f"INSERT INTO stage SELECT {_parquet_projection(cols, self.stage_columns, mark)} "
            f"FROM {scan}",
            {"files": files, **params},
        )
        mine = {"files": files, **_MARKS}
        marked = [
            row[0]
            for row in self.con.execute(
                "SELECT DISTINCT source FROM stage WHERE line IN ($refused, $unanalysable) "
                "AND source IN (SELECT unnest($files))",
                mine,
            ).fetchall()
        ]
        if not marked:
            return
        fault = parquet_check.check_fault_expr(checks, integer_values)
        lacks = parquet_check.lacks_expr(values)
        raw = parquet_check.raw_expr(v for _, _, v in named)
        self.con.execute(
            f"INSERT INTO parquet_rejects SELECT filename, file_row_number + 1, {fault}, "
            f"{lacks}, {raw} FROM {scan} WHERE {fault} IS NOT NULL OR {incomplete}",
            {"files": marked},
        )
        # in place, so the stage keeps the order a filtered read gives
        mine["files"] = marked
        refused = "line = $refused OR line = $unanalysable AND NOT $keep"
        self.con.execute(
            f"DELETE FROM stage WHERE ({refused}) AND source IN (SELECT unnest($files))",
            {**mine, "keep": self.options.keep_records},
        )
        if self.options.keep_records:  # stored, and counted aside from the roll-up's records
            self.con.execute(
                "UPDATE stage SET line = NULL WHERE line = $unanalysable "
                "AND source IN (SELECT unnest($files))",
                {"files": marked, "unanalysable": parquet_check.UNANALYSABLE_ROW},
            )

    def _slow(
        self, obj: FlowLogObject, rejects: dict[str, list[Reject]], unanalysable: dict[str, int]
    ) -> None:
        try:
            data = self.reader.read(obj)
        except OSError as exc:
            rejects[obj.source].append(Reject(None, f"cannot read: {exc}", ""))
            return
        if obj.kind == KIND_CLOUDWATCH:
            messages, stream, problems = cloudwatch_messages(data)
            log_group = None
            try:
                doc = json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
                if isinstance(doc, dict):
                    log_group = doc.get("logGroup")
            except (ValueError, OSError):
                pass
            fmt = self.formats.for_object(obj, log_group)
            parsed = parse_lines(messages, fmt)
            parsed.rejects[:0] = problems
            del stream
        else:
            lines, problems = read_text_lines(data, obj.kind == KIND_TEXT_GZ)
            parsed = parse_lines(lines, self.formats.for_object(obj))
            parsed.rejects[:0] = problems
        kept = self._split_unanalysable(parsed, obj, unanalysable)
        rejects[obj.source].extend(parsed.rejects)
        if kept:
            self._load_rows(kept, obj)

    def _split_unanalysable(
        self, parsed: Parsed, obj: FlowLogObject, unanalysable: dict[str, int]
    ) -> list[tuple[object, ...]]:
        """Rows the roll-up can use stay; the others are kept aside as rejects with the reason.

        With --keep-records every parsed record is still stored (in flow_records); the roll-up
        skips those it cannot use.
        """
        usable = []
        for row in parsed.rows:
            missing = self._missing(row)
            if not missing:
                usable.append(row)
                continue
            unanalysable[obj.source] = unanalysable.get(obj.source, 0) + 1
            reason = f"not analysable: lacks {', '.join(missing)}"
            parsed.rejects.append(Reject(int(str(row[-1])), reason, _row_text(row)))
        return parsed.rows if self.options.keep_records else usable

    @staticmethod
    def _missing(row: tuple[object, ...]) -> list[str]:
        status = row[_STATUS_INDEX]
        if status in ("NODATA", "SKIPDATA"):
            return [c for c in ("interface_id", "start") if row[KNOWN_COLUMNS.index(c)] is None]
        return [REQUIRED_FOR_ROLLUP[i] for i, idx in enumerate(_REQUIRED_INDEX) if row[idx] is None]

    def _load_rows(self, rows: list[tuple[object, ...]], obj: FlowLogObject) -> None:
        path = Path(self._tmp.name) / "rows.tsv"
        index = [KNOWN_COLUMNS.index(c) for c in self.stage_columns]
        acct, region = KNOWN_COLUMNS.index("account_id"), KNOWN_COLUMNS.index("region")
        defaults = {acct: obj.account_id, region: obj.region}
        # Every value quoted: a token is cut at spaces only, so it may hold a tab, a quote, a CR
        # or the text \N; only a missing value is the bare \N.
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                values = [row[i] if row[i] is not None else defaults.get(i) for i in index]
                values += [row[-2], row[-1], obj.source]  # extra, line, source
                fh.write("\t".join(_NULL if v is None else _quoted(str(v)) for v in values) + "\n")
        types = {c: BY_COLUMN[c].sql_type for c in self.stage_columns}
        types.update({"extra": "VARCHAR", "line": "BIGINT", "source": "VARCHAR"})
        self.con.execute(
            "INSERT INTO stage SELECT * FROM read_csv($p, delim='\t', header=false, columns=$types, "
            # new_line fixed: a quoted value may hold a CR, which auto-detection took for the
            # line end (a record 'eni-1\\rx' crashed the ingest)
            "nullstr='\\N', quote='\"', escape='\"', allow_quoted_nulls=false, auto_detect=false, "
            "new_line='\\n')",
            {"p": str(path), "types": types},
        )

    def _finish_batch(
        self,
        objects: list[FlowLogObject],
        rejects: dict[str, list[Reject]],
        unanalysable: dict[str, int],
    ) -> None:
        con = self.con
        rows = [
            (source, r.line, r.reason, (r.raw or "")[:1000])
            for source, items in rejects.items()
            for r in items
        ]
        if rows:
            path = Path(self._tmp.name) / "rejects.tsv"
            with path.open("w", encoding="utf-8") as fh:
                for source, line, reason, raw in rows:
                    values = (
                        source,
                        _NULL if line is None else str(line),
                        _clean(reason),
                        _clean(raw),
                    )
                    fh.write("\t".join(values) + "\n")
            con.execute(
                "INSERT INTO rejects SELECT *, now()::TIMESTAMP FROM read_csv($p, delim='\t', "
                "header=false, columns={'source': 'VARCHAR', 'line': 'BIGINT', 'reason': 'VARCHAR', "
                "'raw': 'VARCHAR'}, nullstr='\\N', quote='', escape='', auto_detect=false)",
                {"p": str(path)},
            )
        if self.options.keep_records:
            con.execute("INSERT INTO flow_records SELECT * FROM stage")
        con.execute(query("infer_addresses"))
        con.execute(query("learn_listeners"))
        con.execute(query("rollup_batch"))
        con.execute(query("rollup_insert"))
        con.execute(query("samples_insert"))
        con.execute(query("hours_insert"))
        counts = dict(con.execute("SELECT source, count(*) FROM stage GROUP BY source").fetchall())
        manifest = []
        for obj in objects:
            records = int(counts.get(obj.source, 0))
            bad = len(rejects[obj.source])
            aside = unanalysable.get(obj.source, 0)
            if self.options.keep_records:
                records -= aside  # stored in flow_records, but not counted as analysed
            self.report.records += records
            self.report.unanalysable += aside
            self.report.rejected += bad - aside
            if bad - aside > 0 and records == 0:
                self.report.rejected_objects.append((obj.source, rejects[obj.source][0].reason))
            elif bad - aside > 0:
                first = rejects[obj.source][0]
                where = f"line {first.line}: " if first.line is not None else ""
                self.report.objects_with_rejects.append(
                    (obj.source, bad - aside, where + first.reason)
                )
            manifest.append(
                (
                    obj.source,
                    obj.size,
                    obj.version,
                    obj.kind,
                    obj.account_id,
                    obj.region,
                    obj.flow_log_id,
                    records,
                    bad,
                )
            )
        con.executemany(
            "INSERT OR REPLACE INTO ingested_objects VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "now()::TIMESTAMP)",
            manifest,
        )


def _object_params(obj: FlowLogObject) -> dict[str, str | None]:
    return {"account_id": obj.account_id, "region": obj.region}


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _row_text(row: tuple[object, ...]) -> str:
    return " ".join("-" if v is None else str(v) for v in row[: len(KNOWN_COLUMNS)])


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


def ingest(
    con: duckdb.DuckDBPyConnection,
    sources: list[str],
    options: IngestOptions | None = None,
    s3_client_factory: Callable[[], Any] | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest SOURCE arguments (files, folders, s3:// prefixes) into the workspace `con`."""
    return Ingester(con, options or IngestOptions(), s3_client_factory).run(sources, progress)


def iter_summary(con: duckdb.DuckDBPyConnection) -> Iterator[dict[str, Any]]:
    """Per interface: records, accepted/rejected, first/last record time, NODATA/SKIPDATA intervals."""
    cursor = con.execute(query("interface_summary"))
    names = [d[0] for d in cursor.description]
    for row in cursor.fetchall():
        yield dict(zip(names, row, strict=True))
