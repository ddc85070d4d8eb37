"""The VPC Flow Logs fields (v2-v8 and newer), their Parquet column names and SQL types.

Text objects name fields with '-' (`interface-id`), Parquet columns with '_' (`interface_id`);
inside sgharden every field is known by its column name.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str  # as in a text header / LogFormat: interface-id
    version: int
    sql_type: str  # VARCHAR | INTEGER | BIGINT

    @property
    def column(self) -> str:
        return self.name.replace("-", "_")


_TABLE = [
    ("version", 2, "INTEGER"),
    ("account-id", 2, "VARCHAR"),
    ("interface-id", 2, "VARCHAR"),
    ("srcaddr", 2, "VARCHAR"),
    ("dstaddr", 2, "VARCHAR"),
    ("srcport", 2, "INTEGER"),
    ("dstport", 2, "INTEGER"),
    ("protocol", 2, "INTEGER"),
    ("packets", 2, "BIGINT"),
    ("bytes", 2, "BIGINT"),
    ("start", 2, "BIGINT"),
    ("end", 2, "BIGINT"),
    ("action", 2, "VARCHAR"),
    ("log-status", 2, "VARCHAR"),
    ("vpc-id", 3, "VARCHAR"),
    ("subnet-id", 3, "VARCHAR"),
    ("instance-id", 3, "VARCHAR"),
    ("tcp-flags", 3, "INTEGER"),
    ("type", 3, "VARCHAR"),
    ("pkt-srcaddr", 3, "VARCHAR"),
    ("pkt-dstaddr", 3, "VARCHAR"),
    ("region", 4, "VARCHAR"),
    ("az-id", 4, "VARCHAR"),
    ("sublocation-type", 4, "VARCHAR"),
    ("sublocation-id", 4, "VARCHAR"),
    ("pkt-src-aws-service", 5, "VARCHAR"),
    ("pkt-dst-aws-service", 5, "VARCHAR"),
    ("flow-direction", 5, "VARCHAR"),
    ("traffic-path", 5, "INTEGER"),
    ("ecs-cluster-arn", 7, "VARCHAR"),
    ("ecs-cluster-name", 7, "VARCHAR"),
    ("ecs-container-instance-arn", 7, "VARCHAR"),
    ("ecs-container-instance-id", 7, "VARCHAR"),
    ("ecs-container-id", 7, "VARCHAR"),
    ("ecs-second-container-id", 7, "VARCHAR"),
    ("ecs-service-name", 7, "VARCHAR"),
    ("ecs-task-definition-arn", 7, "VARCHAR"),
    ("ecs-task-arn", 7, "VARCHAR"),
    ("ecs-task-id", 7, "VARCHAR"),
    ("reject-reason", 8, "VARCHAR"),
]

FIELDS: dict[str, Field] = {name: Field(name, v, t) for name, v, t in _TABLE}
BY_COLUMN: dict[str, Field] = {f.column: f for f in FIELDS.values()}

# The default format (v2): `${version} ${account-id} ... ${log-status}`.
DEFAULT_FORMAT: tuple[str, ...] = tuple(name for name, v, _ in _TABLE if v == 2)

# Columns the roll-up needs. A record without them can be stored but not analysed.
ANALYSIS_COLUMNS = (
    "account_id",
    "interface_id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log_status",
    "tcp_flags",
    "flow_direction",
    "region",
)
# Without these a traffic (OK) record cannot enter the roll-up.
REQUIRED_FOR_ROLLUP = ("interface_id", "srcaddr", "dstaddr", "protocol", "start")

# The grammar of a value, declared once for both readers: the line parser (textparse.py) and the
# fast path's typed check (sql/record_check.sql, built per header by flowlogs/record_check.py).
# INTEGER/BIGINT fields: ASCII digits within the SQL type; these: an IP address without zone
# index or prefix; action and log-status: exactly what AWS writes; other fields: free text.
ADDRESS_COLUMNS = frozenset({"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"})
ACTIONS = ("ACCEPT", "REJECT")
LOG_STATUSES = ("OK", "NODATA", "SKIPDATA")
# start and end are Unix seconds, which the workspace turns into timestamps in microseconds: a
# value near BIGINT's limit would overflow there, so they end at 9999-12-31T23:59:59Z.
_LARGEST_TIME = 253402300799


# Fields whose meaning bounds them below their SQL type: a port is 16 bits, an IP protocol
# number 8 (IANA). A flow-log line with dstport 70000 is broken or forged, not a connection.
_LARGEST_BY_MEANING = {"srcport": 65535, "dstport": 65535, "protocol": 255}


def largest_value(column: str) -> int:
    """The largest value an integer column takes: its meaning's limit (ports, protocol numbers),
    the time limit, or its SQL type's limit."""
    if column in _LARGEST_BY_MEANING:
        return _LARGEST_BY_MEANING[column]
    if column in ("start", "end"):
        return _LARGEST_TIME
    return 2**31 - 1 if BY_COLUMN[column].sql_type == "INTEGER" else 2**63 - 1


_FIELD_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_LOG_FORMAT_TOKEN = re.compile(r"\$\{([a-z0-9-]+)\}")


def column_of(name: str) -> str:
    """The column for a text field name; unknown (newer) fields keep their own name with '_'."""
    return name.replace("-", "_")


def looks_like_header(tokens: list[str]) -> bool:
    """A header line: every token a field name, and at least two of them known fields."""
    if len(tokens) < 2 or not all(_FIELD_NAME.match(t) for t in tokens):
        return False
    return sum(t in FIELDS for t in tokens) >= 2


class LogFormatError(ValueError):
    """A LogFormat (`--log-format`, flow-logs.json) that is not `${field} ${field} ...`."""


def parse_log_format(log_format: str) -> tuple[str, ...]:
    """`${version} ${interface-id} ...` (DescribeFlowLogs LogFormat) -> field names in order.

    Every whitespace-separated token must be `${name}` with a flow-log field name: a token that
    is not (`interface_id`, `${interface_id}`, `${srcadr}`) would silently shift or drop columns,
    and every record would then be set aside. A name unknown to sgharden is accepted (AWS adds
    fields) unless it is close to a known one, which is a misspelling far more often.
    """
    tokens = log_format.split()
    if not tokens:
        raise LogFormatError("empty: expected '${version} ${account-id} ...'")
    names = []
    for position, token in enumerate(tokens, 1):
        match = _LOG_FORMAT_TOKEN.fullmatch(token)
        name = match.group(1) if match else token.removeprefix("${").removesuffix("}")
        guess = difflib.get_close_matches(name.replace("_", "-"), FIELDS, n=1, cutoff=0.75)
        hint = f" (did you mean ${{{guess[0]}}}?)" if guess else ""
        if not match or not _FIELD_NAME.match(name):
            raise LogFormatError(f"token {position} {token!r} is not ${{field-name}}{hint}")
        if name not in FIELDS and guess:
            raise LogFormatError(f"token {position} {token!r} is not a flow-log field{hint}")
        if name in names:
            raise LogFormatError(f"token {position} {token!r} appears twice")
        names.append(name)
    return tuple(names)


def log_format_fields(log_format: str | None) -> tuple[str, ...]:
    """The fields a flow log writes: its LogFormat parsed, or the default (v2) when it has none
    (DescribeFlowLogs leaves LogFormat out, or empty, for a default-format flow log)."""
    if not log_format or not log_format.strip():
        return DEFAULT_FORMAT
    return parse_log_format(log_format)
