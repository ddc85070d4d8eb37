"""Parquet flow-log records checked with the line parser's grammar (sql/record_check.sql).

A Parquet column has a type of its own (a string srcaddr, an INT64 dstport), so each checked
column is read as text (`text_expr`: a NULL or a `-` is a missing value, as `-` is in a text line)
and its typed value with TRY_CAST, the same pair the CSV fast path checks. There is no line parser
to fall back to: `fault_expr` names the first field a record breaks, in the line parser's order
(NULL for a valid record), and textparse.field_reason words it as the line parser does; ingest
keeps those records aside in `rejects` with their row number and stores only the others.
The checks are SQL, so only refused records reach Python.

A column the Parquet object holds as an integer type needs no text: its text is digits or a
`-` and digits, so the checks reduce to comparisons (`integer_values`), with the same faults.
Ingest reads each object once: the stage insert marks a refused record (`REFUSED_ROW`) or one
the roll-up cannot use (`UNANALYSABLE_ROW`) in the stage's `line` (free for Parquet, which has no
line numbers), and only an object with a marked record is read again for its rejects.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sgharden.flowlogs.fields import ADDRESS_COLUMNS, BY_COLUMN, REQUIRED_FOR_ROLLUP, largest_value

REFUSED_ROW = -1
UNANALYSABLE_ROW = -2
# DuckDB's integer types: CAST(v AS VARCHAR) of one is ASCII digits, after a `-` when negative.
INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def text_expr(value: str) -> str:
    """A value as the line parser sees its token: text, with NULL and `-` both missing."""
    return f"nullif(CAST({value} AS VARCHAR), '-')"


def typed_expr(value: str, sql_type: str) -> str:
    """A value as its SQL type: `-` and text that is no number read as NULL (TRY_CAST of the
    value itself, which spares an integer column the round trip through text)."""
    return text_expr(value) if sql_type == "VARCHAR" else f"TRY_CAST({value} AS {sql_type})"


def _fault(name: str, kind: str, text: str) -> str:
    return f"struct_pack(name := {_sql_text(name)}, kind := {_sql_text(kind)}, value := {text})"


def checks_of(columns: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str, str, int]]:
    """The checks of flow-log columns (stage column, name in reasons, SQL expression), in the
    line parser's order: (name, kind, SQL expression, SQL type, largest value)."""
    named = list(columns)
    checks = []
    for col, name, value in named:
        known = BY_COLUMN.get(col)
        if known is None:
            continue
        if known.sql_type != "VARCHAR":
            checks.append((name, "uint", value, known.sql_type, largest_value(col)))
        elif col in ADDRESS_COLUMNS:
            checks.append((name, "address", value, "VARCHAR", 0))
    for kind in ("log_status", "action"):
        for col, name, value in named:
            if col == kind:
                checks.append((name, kind, value, "VARCHAR", 0))
    return checks


def fault_expr(
    columns: Iterable[tuple[str, str, str]], integer_values: Collection[str] = ()
) -> str:
    return check_fault_expr(checks_of(columns), integer_values)


def _fault_whens(
    checks: Iterable[tuple[str, str, str, str, int]], integer_values: Collection[str]
) -> list[tuple[str, str]]:
    """(condition, fault) per check, in order: the first condition that holds is the fault."""
    whens = []
    for name, kind, value, sql_type, largest in checks:
        if kind == "uint" and value in integer_values:
            # text of an integer: NULL, digits, or `-` and digits (the integer fault); a value
            # past the SQL type's range is past `largest` too, which is the type's limit or less
            text = f"CAST({value} AS VARCHAR)"
            whens.append((f"{value} < 0", _fault(name, "integer", text)))
            whens.append((f"{value} > {largest}", _fault(name, "range", text)))
            continue
        text = text_expr(value)
        if kind == "uint":
            typed = typed_expr(value, sql_type)
            whens.append(
                (
                    f"{text} IS NOT NULL AND NOT regexp_full_match({text}, '[0-9]+')",
                    _fault(name, "integer", text),
                )
            )
            whens.append(
                (f"NOT flow_uint_ok({text}, {typed}, {largest})", _fault(name, "range", text))
            )
        else:
            check = {"address": "flow_addr_ok", "log_status": "flow_status_ok"}.get(
                kind, "flow_action_ok"
            )
            whens.append((f"NOT {check}({text})", _fault(name, kind, text)))
    return whens


def check_fault_expr(
    checks: Iterable[tuple[str, str, str, str, int]], integer_values: Collection[str] = ()
) -> str:
    """The first fault of a record by `checks` (checks_of's shape), or NULL. `integer_values`:
    the checked values the data holds as an integer type (INTEGER_TYPES)."""
    whens = _fault_whens(checks, integer_values)
    if not whens:
        return "NULL::STRUCT(name VARCHAR, kind VARCHAR, value VARCHAR)"
    return "CASE " + " ".join(f"WHEN {cond} THEN {fault}" for cond, fault in whens) + " END"


def mark_expr(
    checks: Iterable[tuple[str, str, str, str, int]],
    incomplete: str,
    integer_values: Collection[str] = (),
) -> str:
    """The stage's `line` for a record: REFUSED_ROW when check_fault_expr is not NULL,
    UNANALYSABLE_ROW when the record passes but `incomplete` holds, else NULL."""
    whens = [f"WHEN {cond} THEN {REFUSED_ROW}" for cond, _ in _fault_whens(checks, integer_values)]
    return f"CASE {' '.join(whens)} WHEN {incomplete} THEN {UNANALYSABLE_ROW} END::BIGINT"


LACKS_COLUMNS = (*REQUIRED_FOR_ROLLUP, "log_status")


def lacks_expr(values: dict[str, str], wanted_text: bool = True) -> str:
    """The columns a valid record lacks for the roll-up, comma-separated ('' when none), as
    ingest's line-parser path decides it: NODATA/SKIPDATA records need interface_id and start.
    Without wanted_text: whether it lacks any (a boolean)."""
    status = text_expr(values["log_status"]) if "log_status" in values else "NULL"
    quiet = f"coalesce({status}, 'OK') IN ('NODATA', 'SKIPDATA')"
    parts = []
    for col in REQUIRED_FOR_ROLLUP:
        typed = typed_expr(values[col], BY_COLUMN[col].sql_type) if col in values else None
        missing = f"{typed} IS NULL" if typed else "true"
        needed = "true" if col in ("interface_id", "start") else f"NOT {quiet}"
        parts.append((f"{missing} AND {needed}", col))
    if not wanted_text:
        # the WHERE's test: a boolean per record, the text only for the few kept aside
        return "(" + " OR ".join(f"({cond})" for cond, _ in parts) + ")"
    cases = [f"CASE WHEN {cond} THEN {_sql_text(col)} END" for cond, col in parts]
    return f"concat_ws(', ', {', '.join(cases)})"


def raw_expr(values: Iterable[str]) -> str:
    """A refused record as the text line it would be (missing values as `-`), for `rejects.raw`."""
    parts = [f"coalesce(CAST({v} AS VARCHAR), '-')" for v in values]
    return f"concat_ws(' ', {', '.join(parts)})" if parts else "''"
