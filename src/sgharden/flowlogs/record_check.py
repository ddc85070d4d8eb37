"""The fast path's check of a header's records: sql/record_check.sql's macros, one per field.

DuckDB's CSV reader reads every field of a text object as VARCHAR; the stage takes the typed
value (`value_expr`), and `line_expr` marks whether the record follows the line parser's grammar
(fields.py declares it once: which fields are integers, addresses, action, log-status). A record
that fails marks its object with `REFUSED_LINE` in the stage's `line` column (the CSV reader gives
no line numbers, so the column is free on this path), and ingest re-reads that object with the
line parser, which keeps each bad line aside in `rejects` with its number and reason.
"""

from __future__ import annotations

from sgharden.flowlogs.fields import ADDRESS_COLUMNS, FIELDS, largest_value

REFUSED_LINE = -1
_TWINS = {"pkt-srcaddr": "srcaddr", "pkt-dstaddr": "dstaddr"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_types(header: tuple[str, ...]) -> dict[str, str]:
    """read_csv's column types: text for every field, so the check sees what the object holds."""
    return dict.fromkeys(header, "VARCHAR")


def value_expr(name: str) -> str:
    """The stage value of a known field read as text (valid records only reach the roll-up)."""
    sql_type = FIELDS[name].sql_type
    return _quote(name) if sql_type == "VARCHAR" else f"TRY_CAST({_quote(name)} AS {sql_type})"


def _field_check(name: str) -> str | None:
    text = _quote(name)
    known = FIELDS.get(name)
    if known is None:
        return None  # an unknown (newer) field: text, kept in `extra`
    if known.sql_type != "VARCHAR":
        return f"flow_uint_ok({text}, {value_expr(name)}, {largest_value(known.column)})"
    if known.column in ADDRESS_COLUMNS:
        return f"flow_addr_ok({text})"
    if known.column == "action":
        return f"flow_action_ok({text})"
    if known.column == "log_status":
        return f"flow_status_ok({text})"
    return None  # ids, region...: text, as the line parser takes them


def line_expr(header: tuple[str, ...]) -> str:
    """The stage's `line` on the fast path: NULL for a valid record, REFUSED_LINE otherwise."""
    checks = []
    for name in header:
        check = _field_check(name)
        twin = _TWINS.get(name)
        if check and twin in header:
            # pkt-srcaddr is srcaddr unless a middlebox rewrote it: equal text needs no check
            # (address checks are most of this check's cost)
            check = f"({_quote(name)} = {_quote(twin)} OR {check})"
        if check:
            checks.append(check)
    valid = " AND ".join(checks) or "true"
    return f"CASE WHEN {valid} THEN NULL ELSE {REFUSED_LINE} END::BIGINT"
