"""How a rule's connections were counted: the note its evidence carries (docs/planner.md,
"What a connection count is").

A connection is a distinct initiator (client) port per (interface, direction, protocol, service
port, remote address, hour), in every flow-log format. Where the records cannot tell (ICMP has no
ports; a custom format without srcport/dstport), the count is of records, and the note says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from sgharden.model import protocol_name
from sgharden.resources import query

PORTS = "connections = distinct client ports per hour"
PORTS_AND_RECORDS = PORTS + " (protocols without ports, such as ICMP: records)"
RECORDS_NO_PORTS = "records: this flow log's format has no ports"
_TCP_UDP = (6, 17)
_ICMP = {1: "ICMP", 58: "ICMPv6"}


def records_no_port_protocol(protocol: int) -> str:
    name = _ICMP.get(protocol) or f"protocol {protocol_name(protocol)}"
    return f"records: {name} has no ports"


@dataclass(frozen=True)
class CountingBasis:
    """The interfaces whose TCP/UDP traffic in the window was counted by records (no ports)."""

    portless: frozenset[str] = frozenset()

    @classmethod
    def load(
        cls,
        con: duckdb.DuckDBPyConnection,
        interfaces: Iterable[str],
        start: datetime,
        end: datetime,
    ) -> CountingBasis:
        enis = sorted(set(interfaces))
        if not enis:
            return cls()
        rows = con.execute(
            query("counted_by"), {"interfaces": enis, "start": start, "end": end}
        ).fetchall()
        return cls(frozenset(r[0] for r in rows))

    def note(self, interfaces: Iterable[str], protocol: int) -> str:
        """The note for a rule of `protocol` (-1: all) on these interfaces."""
        if protocol not in (-1, *_TCP_UDP):
            return records_no_port_protocol(protocol)
        if any(i in self.portless for i in interfaces):
            return RECORDS_NO_PORTS
        return PORTS if protocol in _TCP_UDP else PORTS_AND_RECORDS


def counted_by(
    con: duckdb.DuckDBPyConnection,
    interfaces: Iterable[str],
    protocol: int,
    start: datetime = datetime(1970, 1, 1),
    end: datetime = datetime(9999, 1, 1),
) -> str:
    """One rule's note, straight from the workspace."""
    enis = list(interfaces)
    return CountingBasis.load(con, enis, start, end).note(enis, protocol)
