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


def projections(present: frozenset[str] | None = None) -> dict[str, exp.Expr]:
    """Stage column -> its OCSF expression. A field path not in `present` (every path the data
    has, dotted and lower-case) reads as NULL, as Athena reads a column a Parquet object lacks."""
    out: dict[str, exp.Expr] = {}
    for projection in mapping().expressions:
        value = projection.this if isinstance(projection, exp.Alias) else projection
        if present is not None:
            for column in list(value.find_all(exp.Column)):
                if path_of(column) not in present:
                    # intermediate_ips[1] of a missing list is NULL too, not NULL[1]
                    gone = column.parent if isinstance(column.parent, exp.Bracket) else column
                    gone.replace(exp.Null())
        out[projection.alias_or_name] = value
    return out


def record_filter() -> exp.Expr:
    """The mapping's WHERE (only Network Activity records)."""
    where = mapping().args.get("where")
    if not isinstance(where, exp.Where):
        raise AssertionError("sql/ocsf_stage.sql lost its WHERE class_uid = 4001")
    condition: exp.Expr = where.this
    return condition


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


def local_select(present: frozenset[str], stage_types: dict[str, str]) -> str:
    """The DuckDB SELECT of stage rows (stage columns, extra, line, source) over `ocsf_records`,
    for objects whose field paths are `present`."""
    mapped = projections(present)
    select: list[exp.Expr] = []
    for column, sql_type in stage_types.items():
        value = mapped.get(column, exp.Null())
        select.append(exp.alias_(exp.cast(value, sql_type), column, quoted=True))
    select += [
        exp.alias_(exp.cast(exp.Null(), "VARCHAR"), "extra"),
        exp.alias_(exp.cast(exp.Null(), "BIGINT"), "line"),
        exp.alias_(exp.column("filename"), "source"),
    ]
    tree = exp.select(*select).from_(RECORDS_TABLE).where(record_filter())
    return tree.sql(dialect="duckdb")


def stage_objects(
    con: duckdb.DuckDBPyConnection,
    objects: list[FlowLogObject],
    stage_types: dict[str, str],
    rejects: dict[str, list[Reject]],
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
        insert = f"INSERT INTO stage {local_select(present, stage_types)}"
        try:
            _load(con, [o.source for o in group], insert)
        except duckdb.Error:
            for obj in group:  # one bad object must not cost the others: read each alone
                try:
                    _load(con, [obj.source], insert)
                except duckdb.Error as exc:
                    con.execute("DELETE FROM stage WHERE source = $1", [obj.source])
                    reason = f"unreadable OCSF Parquet: {_first_line(exc)}"
                    rejects[obj.source].append(Reject(None, reason, ""))


def _load(con: duckdb.DuckDBPyConnection, files: list[str], insert: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RECORDS_TABLE} AS SELECT * FROM read_parquet($files, "
        "filename=true, hive_partitioning=false, union_by_name=true)",
        {"files": files},
    )
    try:
        con.execute(insert)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {RECORDS_TABLE}")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
