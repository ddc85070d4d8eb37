"""Parquet flow-log records checked with the line parser's grammar (sql/record_check.sql).

A Parquet column has a type of its own (a string srcaddr, an INT64 dstport), so each checked
column is read as text (`text_expr`: a NULL or a `-` is a missing value, as `-` is in a text line)
and its typed value with TRY_CAST, the same pair the CSV fast path checks. There is no line parser
to fall back to: `fault_expr` names the first field a record breaks, in the line parser's order
(NULL for a valid record), and textparse.field_reason words it as the line parser does; ingest
keeps those records aside in `rejects` with their row number and stores only the others.
The checks are SQL, so only refused records reach Python.
"""

from __future__ import annotations

from collections.abc import Iterable

from sgharden.flowlogs.fields import ADDRESS_COLUMNS, BY_COLUMN, REQUIRED_FOR_ROLLUP, largest_value


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


def fault_expr(columns: Iterable[tuple[str, str, str]]) -> str:
    return check_fault_expr(checks_of(columns))


def check_fault_expr(checks: Iterable[tuple[str, str, str, str, int]]) -> str:
    """The first fault of a record by `checks` (checks_of's shape), or NULL."""
    whens = []
    for name, kind, value, sql_type, largest in checks:
        text = text_expr(value)
        if kind == "uint":
            typed = typed_expr(value, sql_type)
            whens.append(
                f"WHEN {text} IS NOT NULL AND NOT regexp_full_match({text}, '[0-9]+') "
                f"THEN {_fault(name, 'integer', text)}"
            )
            whens.append(
                f"WHEN NOT flow_uint_ok({text}, {typed}, {largest}) "
                f"THEN {_fault(name, 'range', text)}"
            )
        else:
            check = {"address": "flow_addr_ok", "log_status": "flow_status_ok"}.get(
                kind, "flow_action_ok"
            )
            whens.append(f"WHEN NOT {check}({text}) THEN {_fault(name, kind, text)}")
    if not whens:
        return "NULL::STRUCT(name VARCHAR, kind VARCHAR, value VARCHAR)"
    return "CASE " + " ".join(whens) + " END"


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
