"""The Athena (Trino) roll-up statements, derived from the local engine's DuckDB SQL by sqlglot.

One definition: the direction, connection, probe-input and sample rules live in sql/
(infer_addresses, learn_listeners, rollup_batch, samples_insert, hours_insert). Here they are
parsed (DuckDB dialect), the temp tables they read become CTEs over the Glue table, and the
result is written out in the Trino dialect Athena runs. The few rewrites, each forced by a
difference between the engines, are made on the syntax tree (never by editing the query text):

- `stage` is a CTE over the table: only the window's partitions and the snapshot's interfaces;
  its `rowid` (DuckDB's read order) is an md5 of the record and its object path.
- `interface_addresses` and `listeners` are the workspace's known rows (VALUES) plus what the
  local queries would learn from these records (the same SELECTs).
- `sample_rid`: DuckDB packs (start, side, rowid) into a HUGEINT; Athena has no 128-bit integer,
  so the same order is spelled as a zero-padded string. Ties between records of the same second
  and side go to the smaller md5 instead of the first read (docs/athena.md).
- `key_hash` (DuckDB's `hash`) is computed locally when the result is loaded.
- `make_timestamp(x)` is left to the load: Athena returns x (microseconds).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlglot
import sqlglot.expressions as exp

from sgharden.flowlogs import ocsf
from sgharden.flowlogs.engines.athena_tables import TableLayout
from sgharden.resources import query

# What the local stage holds (ingest.STAGE_COLUMNS), with their DuckDB types.
STAGE_TYPES: dict[str, str] = {
    "version": "INTEGER", "account_id": "VARCHAR", "interface_id": "VARCHAR",
    "srcaddr": "VARCHAR", "dstaddr": "VARCHAR", "srcport": "INTEGER", "dstport": "INTEGER",
    "protocol": "INTEGER", "packets": "BIGINT", "bytes": "BIGINT", "start": "BIGINT",
    "end": "BIGINT", "action": "VARCHAR", "log_status": "VARCHAR", "tcp_flags": "INTEGER",
    "flow_direction": "VARCHAR", "region": "VARCHAR",
}  # fmt: skip
SAMPLE_PREFIX = "sample_"
_SAMPLE_KEY = "concat(lpad(CAST(start * 2 + (NOT is_rx)::INTEGER AS VARCHAR), 20, '0'), rid)"
_SAMPLE_ORDER = (
    "arg_min(rid, concat(lpad(CAST(start * 2 + (NOT is_rx)::INTEGER AS VARCHAR), 20, '0'), rid))"
)


@dataclass(frozen=True)
class RollupScope:
    """What one Athena run reads: a table's partitions for some days, and the interfaces."""

    database: str
    table: str
    layout: TableLayout
    columns: frozenset[str]  # the table's data columns (lower-case)
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    days: tuple[date, ...]
    interfaces: tuple[str, ...]
    known_addresses: tuple[tuple[str, str, str], ...] = ()  # interface, address, origin
    known_listeners: tuple[tuple[str, int, int], ...] = ()  # interface, protocol, port
    places: tuple[tuple[str, str, str], ...] = ()  # interface, account, region (when known)
    pairs: tuple[tuple[str, str], ...] = ()  # the snapshot's account-regions (when known)


def _parse(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="duckdb")


def _statements(name: str) -> list[exp.Expr]:
    return [s for s in sqlglot.parse(query(name), read="duckdb") if s is not None]


def _select_of(statement: exp.Expr) -> exp.Query:
    """The SELECT of `CREATE TABLE .. AS` or `INSERT INTO .. SELECT`."""
    body = statement.expression
    if not isinstance(body, exp.Query):
        raise AssertionError(f"not a query: {statement.sql()[:80]}")
    return body.copy()


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _ocsf_stage_select(scope: RollupScope) -> exp.Select:
    """The stage over Amazon Security Lake's OCSF table: sql/ocsf_stage.sql's mapping (the one the
    local OCSF source runs, flowlogs/ocsf.py) as the stage's columns, then the same pruning
    (partitions or time_dt, the snapshot's interfaces) as every other table."""
    mapped = ocsf.projections()
    layout = scope.layout
    projections: list[exp.Expr] = []
    for column, sql_type in STAGE_TYPES.items():
        value: exp.Expr = exp.cast(mapped.get(column, exp.Null()), sql_type)
        if column == "account_id":  # the record's cloud.account.uid, else the partition's
            value = exp.func("coalesce", value, exp.column(layout.account, quoted=True))
        elif column == "region":
            value = exp.func("coalesce", value, exp.column(layout.region, quoted=True))
        projections.append(exp.alias_(value, column, quoted=True))
    interface = exp.cast(mapped["interface_id"].copy(), STAGE_TYPES["interface_id"])
    select = finish_stage(scope, projections, interface)
    return select.where(ocsf.record_filter(), copy=False)


def stage_select(scope: RollupScope) -> exp.Select:
    """The window's records of the snapshot's interfaces, as the local `stage` holds them."""
    if scope.layout.ocsf:
        return _ocsf_stage_select(scope)
    projections: list[exp.Expr] = []
    for column, sql_type in STAGE_TYPES.items():
        value: exp.Expr = _col(column) if column in scope.columns else exp.Null()
        value = exp.cast(value, sql_type)
        if column == "account_id":
            value = exp.func("coalesce", value, _col(scope.layout.account))
        elif column == "region":
            value = exp.func("coalesce", value, _col(scope.layout.region))
        projections.append(exp.alias_(value, column, quoted=True))
    return finish_stage(scope, projections, _col("interface_id"))


def finish_stage(
    scope: RollupScope, projections: list[exp.Expr], interface: exp.Expr
) -> exp.Select:
    """Add the object path and the record id; prune to the window and the interfaces."""
    path = _col("$path")
    # coalesce: a NULL field must not make the whole id NULL
    fields = [exp.cast(path, "VARCHAR")] + [
        exp.func("coalesce", exp.cast(p.this.copy(), "VARCHAR"), exp.Literal.string("-"))
        for p in projections
        if isinstance(p, exp.Alias)
    ]
    rowid = exp.func("md5", exp.func("concat_ws", exp.Literal.string("|"), *fields))
    select = exp.select(*projections, exp.alias_(path, "source"), exp.alias_(rowid, "rowid")).from_(
        exp.table_(scope.table, db=scope.database, quoted=True)
    )
    return select.where(partition_predicate(scope), copy=False).where(
        exp.In(this=interface, expressions=_strings(scope.interfaces)), copy=False
    )


def partition_predicate(scope: RollupScope) -> exp.Expr:
    """Only the snapshot's accounts and regions and the window's days (partition columns)."""
    layout = scope.layout
    days = exp.or_(*[exp.paren(layout.day_predicate(d)) for d in scope.days])
    accounts = exp.In(this=_col(layout.account), expressions=_strings(scope.accounts))
    regions = exp.In(this=_col(layout.region), expressions=_strings(scope.regions))
    crossed = {(a, r) for a in scope.accounts for r in scope.regions}
    wanted = read_pairs(scope)
    if wanted != crossed:
        # not every account is in every region: name the pairs, or Athena reads the others too
        pairs = [
            exp.paren(exp.and_(_eq(layout.account, a), _eq(layout.region, r)))
            for a, r in sorted(wanted)
        ]
        return exp.and_(accounts, regions, exp.paren(exp.or_(*pairs)), exp.paren(days))
    return exp.and_(accounts, regions, exp.paren(days))


def read_pairs(scope: RollupScope) -> set[tuple[str, str]]:
    """The account-regions a scope's statements read: its pairs, else accounts x regions."""
    crossed = {(a, r) for a in scope.accounts for r in scope.regions}
    wanted = {p for p in scope.pairs if p in crossed}
    return wanted or crossed


def _eq(column: str, value: str) -> exp.Expr:
    return exp.EQ(this=_col(column), expression=exp.Literal.string(value))


def _strings(values: Iterable[str]) -> list[exp.Expr]:
    return [exp.Literal.string(v) for v in values]


def _rows_or_empty(
    rows: Iterable[tuple[object, ...]], names: tuple[str, ...], types: tuple[str, ...]
) -> exp.Query:
    """The rows as a typed SELECT over VALUES (one short tuple a row: thousands of interfaces
    stay within Athena's query length), or a typed empty SELECT."""
    values = [tuple(_literal(v) for v in row) for row in rows]
    typed = [
        exp.alias_(exp.cast(exp.column(n) if values else exp.Null(), t), n)
        for n, t in zip(names, types, strict=True)
    ]
    if not values:
        return exp.select(*typed).where("1 = 0")
    table = exp.values(values, alias="v", columns=list(names))
    return exp.select(*typed).from_(table)


def _literal(value: object) -> exp.Expr:
    if isinstance(value, int):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _rename_tables(tree: exp.Expr, names: dict[str, str]) -> exp.Expr:
    for table in tree.find_all(exp.Table):
        if table.name in names and not table.db:
            table.set("this", exp.to_identifier(names[table.name]))
    return tree


def _learning_ctes(scope: RollupScope) -> list[tuple[str, exp.Query]]:
    """stage, then the addresses and listeners the local ingest would know after these records."""
    (infer,) = _statements("infer_addresses")
    (learn,) = _statements("learn_listeners")
    known_addresses = _rows_or_empty(
        scope.known_addresses,
        ("interface_id", "address", "origin"),
        ("VARCHAR", "VARCHAR", "VARCHAR"),
    )
    known_listeners = _rows_or_empty(
        scope.known_listeners,
        ("interface_id", "protocol", "port"),
        ("VARCHAR", "INTEGER", "INTEGER"),
    )
    inferred = _rename_tables(_select_of(infer), {"interface_addresses": "known_addresses"})
    learned = _select_of(learn)
    addresses = exp.union(
        exp.select("*").from_("known_addresses"), exp.select("*").from_("inferred"), distinct=False
    )
    listeners = exp.union(
        exp.select("*").from_("known_listeners"), exp.select("*").from_("learned"), distinct=True
    )
    return [
        ("stage", stage_select(scope)),
        ("known_addresses", known_addresses),
        ("inferred", inferred),  # type: ignore[list-item]
        ("interface_addresses", addresses),
        ("known_listeners", known_listeners),
        ("learned", learned),
        ("listeners", listeners),
    ]


def rollup_select() -> exp.Select:
    """rollup_batch.sql's SELECT with the Athena rewrites (sample order, no key_hash)."""
    (create,) = _statements("rollup_batch")
    select = _select_of(create)
    assert isinstance(select, exp.Select)
    kept = []
    for projection in select.expressions:
        if projection.alias_or_name == "key_hash":
            continue
        if projection.alias_or_name == "sample_rid":
            projection = exp.alias_(_parse(_SAMPLE_ORDER), "sample_rid")
        kept.append(projection)
    if not any(p.alias_or_name == "sample_rid" for p in kept):
        raise AssertionError("rollup_batch.sql no longer selects sample_rid: update athena_sql.py")
    select.set("expressions", kept)
    # rollup_batch.sql's `sample_order` packs (start, side, file hash, rowid) in a HUGEINT with
    # DuckDB's hash(): Athena has neither, so the same order up to the last tie is a string
    # (start, side, then the record's md5), the order `sample_rid` above uses.
    for cte in select.find_all(exp.CTE):
        body = cte.this
        if cte.alias_or_name != "sided" or not isinstance(body, exp.Select):
            continue
        for projection in body.expressions:
            if projection.alias_or_name == "sample_order":
                projection.set("this", _parse(_SAMPLE_KEY))
    return select


def key_hash_expression() -> str:
    """rollup_batch.sql's key_hash expression (DuckDB), applied locally to the loaded result."""
    (create,) = _statements("rollup_batch")
    for projection in _select_of(create).expressions:  # type: ignore[attr-defined]
        if projection.alias_or_name == "key_hash":
            return str(projection.this.sql(dialect="duckdb"))
    raise AssertionError("rollup_batch.sql no longer selects key_hash: update athena_sql.py")


def _with(ctes: list[tuple[str, exp.Query]], body: exp.Select) -> exp.Select:
    for name, cte in ctes:
        body = body.with_(name, as_=cte, copy=False)
    return body


def rollup_query(scope: RollupScope) -> exp.Query:
    """The roll-up rows, each inbound one with its sample record (columns `sample_*`), then
    the listeners and inferred addresses the run knew (athena_learned.py)."""
    from sgharden.flowlogs.engines.athena_learned import learned_rows

    batch = rollup_select()
    ctes = [*_learning_ctes(scope), ("batch_rollup", batch)]
    sample_columns = [*STAGE_TYPES, "source"]
    columns = [p.alias_or_name for p in batch.expressions] + [
        SAMPLE_PREFIX + c for c in sample_columns
    ]
    rollup = (
        exp.select(
            "b.*",
            *[
                exp.alias_(exp.column(c, "s", quoted=True), SAMPLE_PREFIX + c)
                for c in sample_columns
            ],
        )
        .from_("batch_rollup AS b")
        .join(
            "stage AS s", on="s.rowid = b.sample_rid AND b.direction = 'inbound'", join_type="left"
        )
    )
    body = exp.union(rollup, learned_rows(columns), distinct=False)
    for name, cte in ctes:
        body = body.with_(name, as_=cte, copy=False)
    return body


def coverage_queries(scope: RollupScope) -> dict[str, exp.Query]:
    """hours_insert.sql's two SELECTs (interface_hours, coverage_events) over the stage."""
    out: dict[str, exp.Query] = {}
    for insert in _statements("hours_insert"):
        target = insert.this.name
        select = _select_of(insert)
        for call in list(select.find_all(exp.UnixToTime)):  # DuckDB's make_timestamp(micros)
            call.replace(call.this)
        assert isinstance(select, exp.Select)
        out[target] = _with([("stage", stage_select(scope))], select)
    return out


def to_athena(tree: exp.Expr) -> str:
    """Trino SQL for Athena. DuckDB's any_value ignores NULLs, as Trino's arbitrary does, but
    Trino takes no IGNORE NULLS clause on it. DuckDB's string contains(s, x) is strpos(s, x) > 0
    in Trino, whose contains() is the array function (sqlglot 30 writes CONTAINS for both).
    DuckDB's list[i] is NULL past the end, Trino's fails: element_at is Trino's NULL form."""
    tree = tree.copy()
    for node in list(tree.find_all(exp.IgnoreNulls)):
        node.replace(node.this)
    for bracket in tree.find_all(exp.Bracket):
        bracket.set("safe", True)  # DuckDB's list[i] is NULL past the end: Trino's element_at
    for contains in list(tree.find_all(exp.Contains)):
        position = exp.StrPosition(this=contains.this.copy(), substr=contains.expression.copy())
        contains.replace(exp.paren(exp.GT(this=position, expression=exp.Literal.number(0))))
    return tree.sql(dialect="trino")


def unload(select_sql: str, location: str) -> str:
    """UNLOAD of one query to an S3 folder as Parquet (Athena's own statement)."""
    target = location.replace("'", "''")
    return f"UNLOAD ({select_sql}) TO '{target}' WITH (format = 'PARQUET')"


PARTS = ("rollup", "interface_hours", "coverage_events")


def statements(scope: RollupScope, results: str, chunk: int = 0) -> dict[str, str]:
    """Part name -> the UNLOAD statement Athena runs; `results` is this run's folder, each part
    and chunk (athena_chunks.py) an empty folder of its own under it, as UNLOAD requires."""
    parts = {"rollup": rollup_query(scope), **coverage_queries(scope)}
    assert tuple(parts) == PARTS
    return {
        name: unload(to_athena(q), f"{results}{name}/{chunk:03d}/") for name, q in parts.items()
    }
