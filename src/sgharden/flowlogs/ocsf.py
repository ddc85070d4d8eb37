"""Amazon Security Lake as a flow-log source: OCSF Network Activity (class 4001) Parquet.

Security Lake keeps VPC flow logs as OCSF records (nested structs: src_endpoint.ip,
connection_info.protocol_num, ...). sql/ocsf_stage.sql maps them back onto the flow-log fields;
this module feeds the result into the local ingest's `stage` (so the roll-up, samples and
coverage are the ones every other source gets), and gives the Athena engine the same mapping as
syntax trees, to run over the lake's Glue table. docs/ocsf.md has the mapping table.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import duckdb
import sqlglot
import sqlglot.expressions as exp

from sgharden.flowlogs import parquet_check
from sgharden.flowlogs.fields import largest_value
from sgharden.flowlogs.sources import FlowLogObject
from sgharden.flowlogs.textparse import Reject
from sgharden.resources import query

# Top-level columns every OCSF Network Activity object has (and no VPC flow-log Parquet has).
MARKERS = frozenset({"class_uid", "src_endpoint", "dst_endpoint", "connection_info"})
# Without one of each group a record cannot enter the roll-up (docs/ocsf.md).
REQUIRED_PATHS: tuple[tuple[str, ...], ...] = (
    ("src_endpoint.interface_uid", "dst_endpoint.interface_uid"),
    ("src_endpoint.ip",),
    ("dst_endpoint.ip",),
    ("connection_info.protocol_num",),
    ("start_time", "time"),
    ("class_uid",),
)
RECORDS_TABLE = "ocsf_records"
_INT32 = 2**31 - 1
# The OCSF fields the mapping reads, checked locally with the line parser's grammar before it
# reads them (sql/record_check.sql's macros): (path, kind, SQL type, largest), in the order of
# the flow-log fields they become, then status_code (log-status), then the action ids. A value
# read as text, NULL or `-` missing: garbage in a string column is refused with its row, never a
# cast error that costs the object. Times are milliseconds: the flow-log limit times 1000.
CHECKS: tuple[tuple[str, str, str, int], ...] = (
    ("class_uid", "uint", "INTEGER", _INT32),
    ("metadata.product.version", "uint", "INTEGER", _INT32),
    ("src_endpoint.intermediate_ips[1]", "address", "VARCHAR", 0),
    ("src_endpoint.ip", "address", "VARCHAR", 0),
    ("dst_endpoint.intermediate_ips[1]", "address", "VARCHAR", 0),
    ("dst_endpoint.ip", "address", "VARCHAR", 0),
    ("src_endpoint.port", "uint", "INTEGER", largest_value("srcport")),
    ("dst_endpoint.port", "uint", "INTEGER", largest_value("dstport")),
    ("connection_info.protocol_num", "uint", "INTEGER", largest_value("protocol")),
    ("traffic.packets", "uint", "BIGINT", largest_value("packets")),
    ("traffic.bytes", "uint", "BIGINT", largest_value("bytes")),
    ("start_time", "uint", "BIGINT", largest_value("start") * 1000 + 999),
    ("time", "uint", "BIGINT", largest_value("start") * 1000 + 999),
    ("end_time", "uint", "BIGINT", largest_value("end") * 1000 + 999),
    ("connection_info.tcp_flags", "uint", "INTEGER", largest_value("tcp_flags")),
    ("connection_info.direction_id", "uint", "INTEGER", _INT32),
    ("status_code", "log_status", "VARCHAR", 0),
    ("action_id", "uint", "INTEGER", _INT32),
    ("disposition_id", "uint", "INTEGER", _INT32),
)
_CHECKED = {path: sql_type for path, _, sql_type, _ in CHECKS}


def is_ocsf_leaves(leaves: Iterable[str]) -> bool:
    """Whether a Parquet object's leaf field names are OCSF's (class_uid, protocol_num)."""
    return {"class_uid", "protocol_num"} <= set(leaves)


def is_ocsf(columns: Iterable[str]) -> bool:
    """Whether top-level column names are those of OCSF Network Activity."""
    return {c.lower() for c in columns} >= MARKERS


@cache
def _mapping_sql() -> str:
    return query("ocsf_stage")


def mapping() -> exp.Select:
    """sql/ocsf_stage.sql as a syntax tree (a fresh copy each call)."""
    tree = sqlglot.parse_one(_mapping_sql(), read="duckdb")
    if not isinstance(tree, exp.Select):
        raise AssertionError("sql/ocsf_stage.sql is not one SELECT")
    return tree


def path_of(column: exp.Column) -> str:
    """`src_endpoint.ip` for the column reference src_endpoint.ip (struct fields, not tables)."""
    return ".".join(p.name for p in column.parts).lower()


def _read(value: exp.Expr, present: frozenset[str] | None, typed: bool) -> exp.Expr:
    """`value` with each field path not in `present` as NULL and, when typed, each checked path
    read as its checked value (text, `-` missing, TRY_CAST): the mapping then never fails on a
    value, and the records CHECKS refuse are kept out by their fault."""
    if present is None:
        return value
    for column in list(value.find_all(exp.Column)):
        # intermediate_ips[1] of a missing list is NULL too, not NULL[1]
        node = column.parent if isinstance(column.parent, exp.Bracket) else column
        path = path_of(column) + ("[1]" if node is not column else "")
        new: exp.Expr | None = None
        if path_of(column) not in present:
            new = exp.Null()
        elif typed and path in _CHECKED:
            sql = parquet_check.typed_expr(node.sql(dialect="duckdb"), _CHECKED[path])
            new = sqlglot.parse_one(sql, read="duckdb")
        if new is not None:
            if node is value:  # the whole projection is the field (src_endpoint.port)
                return new
            node.replace(new)
    return value


def projections(present: frozenset[str] | None = None, typed: bool = False) -> dict[str, exp.Expr]:
    """Stage column -> its OCSF expression. A field path not in `present` (every path the data
    has, dotted and lower-case) reads as NULL, as Athena reads a column a Parquet object lacks."""
    out: dict[str, exp.Expr] = {}
    for projection in mapping().expressions:
        value = projection.this if isinstance(projection, exp.Alias) else projection
        out[projection.alias_or_name] = _read(value, present, typed)
    return out


def record_filter(present: frozenset[str] | None = None, typed: bool = False) -> exp.Expr:
    """The mapping's WHERE (only Network Activity records)."""
    where = mapping().args.get("where")
    if not isinstance(where, exp.Where):
        raise AssertionError("sql/ocsf_stage.sql lost its WHERE class_uid = 4001")
    return _read(where.this, present, typed)


def fault_expr(present: frozenset[str]) -> str:
    """The first OCSF field a record breaks as {name, kind, value}, or NULL (parquet_check)."""
    checks = []
    for path, kind, sql_type, largest in CHECKS:
        base = path.removesuffix("[1]")
        if base in present:
            checks.append((path, kind, path, sql_type, largest))
    return parquet_check.check_fault_expr(checks)


def _sql(node: exp.Expr) -> str:
    return node.sql(dialect="duckdb")


def missing_required(present: frozenset[str]) -> list[str]:
    return [" or ".join(group) for group in REQUIRED_PATHS if not any(p in present for p in group)]


def parquet_paths(con: duckdb.DuckDBPyConnection, path: str) -> frozenset[str]:
    """Every field path of a Parquet object, dotted and lower-case (src_endpoint.ip, ...)."""
    rows = con.execute(
        "SELECT name, coalesce(num_children, 0) FROM parquet_schema($f)", {"f": path}
    ).fetchall()
    paths: set[str] = set()
    stack: list[tuple[str, int]] = []  # (path of an open group, children still to come)
    for index, (name, children) in enumerate(rows):
        if index == 0:  # the schema root
            stack.append(("", int(children)))
            continue
        while stack and stack[-1][1] == 0:
            stack.pop()
        parent, remaining = stack[-1]
        stack[-1] = (parent, remaining - 1)
        full = f"{parent}.{name}".lstrip(".").lower()
        paths.add(full)
        if int(children):
            stack.append((full, int(children)))
    return frozenset(paths)


def local_select(
    present: frozenset[str], stage_types: dict[str, str], keep_records: bool = False
) -> tuple[str, str]:
    """The DuckDB INSERTs over `ocsf_records` for objects whose field paths are `present`:
    into `parquet_rejects`, each record CHECKS refuse or the roll-up cannot use (row, fault,
    lacks, raw), and into `stage`, the others (only those the roll-up can use, unless
    keep_records), as ingest does for flow-log Parquet."""
    mapped = projections(present, typed=True)
    fault = fault_expr(present)
    values = {c: _sql(v) for c, v in mapped.items() if c in parquet_check.LACKS_COLUMNS}
    lacks = parquet_check.lacks_expr(values)
    incomplete = parquet_check.lacks_expr(values, wanted_text=False)
    network = _sql(record_filter(present, typed=True))
    raw = parquet_check.raw_expr(
        path for path, _, _, _ in CHECKS if path.removesuffix("[1]") in present
    )
    select: list[str] = []
    for column, sql_type in stage_types.items():
        value = _sql(mapped[column]) if column in mapped else "NULL"
        select.append(f'CAST({value} AS {sql_type}) AS "{column}"')
    select += ["NULL::VARCHAR AS extra", "NULL::BIGINT AS line", "filename AS source"]
    # a class_uid that is not a number may be a flow record: refused, never skipped unseen
    on_class = f"({fault}).name = 'class_uid'"
    rejects = (
        f"INSERT INTO parquet_rejects SELECT filename, file_row_number + 1, {fault}, {lacks}, "
        f"{raw} FROM {RECORDS_TABLE} WHERE coalesce({on_class}, false) OR ({network}) AND "
        f"({fault} IS NOT NULL OR {incomplete})"
    )
    kept = f"({network}) AND {fault} IS NULL" + ("" if keep_records else f" AND NOT {incomplete}")
    stage = f"INSERT INTO stage SELECT {', '.join(select)} FROM {RECORDS_TABLE} WHERE {kept}"
    return rejects, stage


def stage_objects(
    con: duckdb.DuckDBPyConnection,
    objects: list[FlowLogObject],
    stage_types: dict[str, str],
    rejects: dict[str, list[Reject]],
    keep_records: bool = False,
) -> None:
    """Insert the records of OCSF Parquet objects into temp table `stage`, grouped by schema;
    an object that cannot be read, or lacks what the roll-up needs, is rejected whole."""
    by_paths: dict[frozenset[str], list[FlowLogObject]] = {}
    for obj in objects:
        try:
            present = parquet_paths(con, obj.source)
        except duckdb.Error as exc:
            rejects[obj.source].append(Reject(None, f"unreadable Parquet: {_first_line(exc)}", ""))
            continue
        missing = missing_required(present)
        if missing:
            reason = f"OCSF Network Activity object lacks {', '.join(missing)}"
            rejects[obj.source].append(Reject(None, reason, ""))
            continue
        by_paths.setdefault(present, []).append(obj)
    for present, group in by_paths.items():
        inserts = local_select(present, stage_types, keep_records)
        try:
            _load(con, [o.source for o in group], inserts)
        except duckdb.Error:
            files = [o.source for o in group]
            for table in ("stage", "parquet_rejects"):  # a half-read group: read one by one
                con.execute(
                    f"DELETE FROM {table} WHERE source IN (SELECT unnest($f))", {"f": files}
                )
            for obj in group:  # one bad object must not cost the others: read each alone
                try:
                    _load(con, [obj.source], inserts)
                except duckdb.Error as exc:
                    con.execute("DELETE FROM stage WHERE source = $1", [obj.source])
                    con.execute("DELETE FROM parquet_rejects WHERE source = $1", [obj.source])
                    reason = f"unreadable OCSF Parquet: {_first_line(exc)}"
                    rejects[obj.source].append(Reject(None, reason, ""))


def _load(con: duckdb.DuckDBPyConnection, files: list[str], inserts: tuple[str, str]) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RECORDS_TABLE} AS SELECT * FROM read_parquet($files, "
        "filename=true, file_row_number=true, hive_partitioning=false, union_by_name=true)",
        {"files": files},
    )
    try:
        for insert in inserts:
            con.execute(insert)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {RECORDS_TABLE}")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
