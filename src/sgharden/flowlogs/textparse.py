"""The reference parser for flow-log text: line by line, in Python.

DuckDB's CSV reader is the fast path (ingest.py); any object it cannot read cleanly — a double space,
a header that changes mid-file, a malformed line, a truncated gzip, no header — is read here
instead, so every line either becomes a record or a reject with its line number and reason.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sgharden.flowlogs.fields import (
    ACTIONS,
    ADDRESS_COLUMNS,
    DEFAULT_FORMAT,
    FIELDS,
    LOG_STATUSES,
    column_of,
    largest_value,
    looks_like_header,
)

# Every known column, in registry order; the normalised form both parsers produce.
KNOWN_COLUMNS: tuple[str, ...] = tuple(f.column for f in FIELDS.values())
_INT_COLUMNS = {f.column for f in FIELDS.values() if f.sql_type in ("INTEGER", "BIGINT")}
# the largest value each column holds: beyond it DuckDB would abort the whole batch
_INT_MAX = {column: largest_value(column) for column in _INT_COLUMNS}
# ASCII digits only: int() would also take '4_0000', '+40001' and non-ASCII digits
_DIGITS = re.compile(r"[0-9]+")
_ADDRESS_COLUMNS = ADDRESS_COLUMNS
_LOG_STATUS = set(LOG_STATUSES)
_ACTIONS = set(ACTIONS)


@dataclass
class Reject:
    line: int | None
    reason: str
    raw: str


@dataclass
class Parsed:
    """Records (normalised: KNOWN_COLUMNS + extra JSON + line) and rejects of one object."""

    rows: list[tuple[object, ...]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    formats: list[tuple[str, ...]] = field(default_factory=list)


def _validate(fmt: tuple[str, ...]) -> str | None:
    dupes = sorted({n for n in fmt if fmt.count(n) > 1})
    if dupes:
        return f"header names {', '.join(dupes)} more than once"
    return None


def _row(
    fmt: tuple[str, ...], tokens: list[str], line_no: int
) -> tuple[tuple[object, ...] | None, str]:
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    for name, token in zip(fmt, tokens, strict=True):
        col = column_of(name)
        if name not in FIELDS:
            extra[name] = token
            continue
        if token == "-":
            values[col] = None
        elif col in _INT_COLUMNS:
            if not _DIGITS.fullmatch(token):
                return None, field_reason(name, "integer", token)
            if int(token) > _INT_MAX[col]:
                return None, field_reason(name, "range", token)
            values[col] = int(token)
        elif col in _ADDRESS_COLUMNS and not _is_address(token):
            return None, field_reason(name, "address", token)
        else:
            values[col] = token
    status = values.get("log_status")
    if status is not None and status not in _LOG_STATUS:
        return None, field_reason("log-status", "log_status", str(status))
    action = values.get("action")
    if action is not None and action not in _ACTIONS:
        return None, field_reason("action", "action", str(action))
    row = tuple(values.get(c) for c in KNOWN_COLUMNS)
    return (*row, json.dumps(extra, sort_keys=True) if extra else None, line_no), ""


def field_reason(name: str, kind: str, value: str) -> str:
    """Why a value is refused, in the words every reader uses (the line parser, and the Parquet
    readers through flowlogs/parquet_check.py): kind is integer, range, address, log_status or
    action."""
    if kind == "integer":
        return f"field {name}: {value!r} is not an integer"
    if kind == "range":
        return f"field {name}: {value} is out of range"
    if kind == "address":
        return f"field {name}: {value!r} is not an IP address"
    if kind == "log_status":
        return f"field {name}: {value!r} is not OK, NODATA or SKIPDATA"
    return f"field {name}: {value!r} is not ACCEPT or REJECT"


def _is_address(token: str) -> bool:
    # no zone index (fe80::1%eth0), no prefix and no IPv4 tail in IPv6 (::ffff:1.2.3.4, which flow
    # logs do not write): the workspace stores addresses as hex to match CIDR blocks, and
    # sql/macros.sql's ip_hex has no form for these
    try:
        ipaddress.ip_address(token)
    except ValueError:
        return False
    return "%" not in token and token.isascii() and not (":" in token and "." in token)


def parse_lines(
    lines: Iterable[tuple[int, str]],
    log_format: tuple[str, ...] | None,
    *,
    assume_default: bool = True,
) -> Parsed:
    """Parse (line number, text) pairs.

    A header line (every token a field name) sets the format, also in the middle of an object.
    Without a header, `log_format` is used; without either, a 14-field line starting with `2` is
    read in the default v2 format (what a CloudWatch export of a default flow log looks like).
    """
    out = Parsed()
    fmt: tuple[str, ...] | None = log_format
    bad_header: str | None = None
    for line_no, text in lines:
        # fields are separated by spaces, as AWS writes them and DuckDB's reader splits them (runs
        # of spaces tolerated); a tab or other whitespace stays inside its field, where the
        # typed checks refuse it (str.split() would cut there and shift the fields)
        tokens = [token for token in text.split(" ") if token]
        if not tokens:
            continue
        if looks_like_header(tokens):
            candidate = tuple(tokens)
            problem = _validate(candidate)
            if problem:
                out.rejects.append(Reject(line_no, f"bad header: {problem}", text))
                bad_header, fmt = problem, None
            else:
                fmt, bad_header = candidate, None
                out.formats.append(fmt)
            continue
        if fmt is None:
            if bad_header:
                reason = f"record under a bad header ({bad_header})"
            elif assume_default and len(tokens) == len(DEFAULT_FORMAT) and tokens[0] == "2":
                fmt = DEFAULT_FORMAT
                out.formats.append(fmt)
                reason = ""
            else:
                reason = "no header line and no --log-format: the field order is unknown"
            if fmt is None:
                out.rejects.append(Reject(line_no, reason, text))
                continue
        if len(tokens) != len(fmt):
            out.rejects.append(
                Reject(line_no, f"expected {len(fmt)} fields, found {len(tokens)}", text)
            )
            continue
        row, reason = _row(fmt, tokens, line_no)
        if row is None:
            out.rejects.append(Reject(line_no, reason, text))
        else:
            out.rows.append(row)
    return out


def read_text_lines(data: bytes, gzipped: bool) -> tuple[Iterator[tuple[int, str]], list[Reject]]:
    """Decode an object's bytes into numbered lines. A truncated/corrupt gzip keeps what decoded."""
    problems: list[Reject] = []
    if gzipped:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = decoder.decompress(data)
            raw += decoder.flush()
            if not decoder.eof:
                problems.append(Reject(None, "truncated gzip: the object ends mid-stream", ""))
            # Concatenated gzip members (allowed by the format) follow the first one.
            while decoder.unused_data:
                rest = decoder.unused_data
                decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
                raw += decoder.decompress(rest) + decoder.flush()
        except zlib.error as exc:
            try:
                raw = gzip.decompress(data)
            except (OSError, EOFError, zlib.error):
                problems.append(Reject(None, f"corrupt gzip: {exc}", ""))
                raw = b""
    else:
        raw = data
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if problems and lines and lines[-1]:
        # the last line of a truncated stream is incomplete: reject it rather than misread it
        last = lines.pop()
        problems.append(Reject(len(lines) + 1, "incomplete last line of a truncated gzip", last))
    return ((i + 1, line.rstrip("\r")) for i, line in enumerate(lines)), problems


def cloudwatch_messages(data: bytes) -> tuple[list[tuple[int, str]], str | None, list[Reject]]:
    """Messages of a CloudWatch Logs subscription payload or export (`logEvents`/`events`).

    Returns (numbered messages, the log stream = interface id if given, problems). Messages are
    numbered by their position in the event list.
    """
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        document = json.loads(data.decode("utf-8"))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [], None, [Reject(None, f"not a CloudWatch Logs JSON document: {exc}", "")]
    documents = document if isinstance(document, list) else [document]
    messages: list[tuple[int, str]] = []
    stream: str | None = None
    position = 0
    for doc in documents:
        if not isinstance(doc, dict):
            continue
        if doc.get("messageType") == "CONTROL_MESSAGE":
            continue
        events = doc.get("logEvents", doc.get("events"))
        if not isinstance(events, list):
            return [], None, [Reject(None, "JSON without logEvents/events: not flow-log data", "")]
        stream = stream or doc.get("logStream")
        for event in events:
            position += 1
            message = event.get("message") if isinstance(event, dict) else None
            if isinstance(message, str):
                messages.append((position, message))
    return messages, stream, []
