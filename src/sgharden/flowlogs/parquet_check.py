"""Parquet flow-log records checked with the line parser's grammar (sql/record_check.sql).

A Parquet column has a type of its own (a string srcaddr, an INT64 dstport), so each checked
column is read as text and its typed value with TRY_CAST, the same pair the CSV fast path checks.
There is no line parser to fall back to: `reason_expr` names, in the line parser's words, the first
field a record breaks (NULL for a valid record); ingest keeps those records aside in `rejects` with
their row number and stores only the others.
"""

from __future__ import annotations

from sgharden.flowlogs.fields import ADDRESS_COLUMNS, BY_COLUMN, largest_value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def reason_expr(columns: tuple[str, ...]) -> str:
    """Why a record of these columns is refused, worded as textparse._row words it, or NULL.

    The order is the line parser's: fields in column order, then log-status, then action.
    """
    whens = []
    for col in columns:
        known = BY_COLUMN.get(col)
        if known is None:
            continue
        text = f"CAST({_quote(col)} AS VARCHAR)"
        shown = f"'field {col}: ' || "
        if known.sql_type != "VARCHAR":
            typed = f"TRY_CAST({_quote(col)} AS {known.sql_type})"
            whens.append(
                f"WHEN {text} IS NOT NULL AND NOT regexp_full_match({text}, '[0-9]+') "
                f"THEN {shown}'''' || {text} || ''' is not an integer'"
            )
            whens.append(
                f"WHEN NOT flow_uint_ok({text}, {typed}, {largest_value(col)}) "
                f"THEN {shown}{text} || ' is out of range'"
            )
        elif col in ADDRESS_COLUMNS:
            whens.append(
                f"WHEN NOT flow_addr_ok({text}) "
                f"THEN {shown}'''' || {text} || ''' is not an IP address'"
            )
    for col, check, allowed in (
        ("log_status", "flow_status_ok", "OK, NODATA or SKIPDATA"),
        ("action", "flow_action_ok", "ACCEPT or REJECT"),
    ):
        if col in columns:
            text = f"CAST({_quote(col)} AS VARCHAR)"
            whens.append(
                f"WHEN NOT {check}({text}) "
                f"THEN 'field {col}: ''' || {text} || ''' is not ' || {_sql_text(allowed)}"
            )
    if not whens:
        return "NULL::VARCHAR"
    return "CASE " + " ".join(whens) + " END"
