"""The connections really made to the snapshot's interfaces, from the workspace's roll-up.

A connection here is one (interface, protocol, service port, remote address) over the window: the
remote peer opened it and the interface answered (direction `inbound`), and at least one of its
records was accepted. Return traffic of connections the interface opened is never in it (the
ingest folds responses into the connection they answer), so nothing here can justify a rule on
ephemeral ports.

A remote whose connections to a port all look like scanning is a *probe*: evidence that the port
is exposed, never evidence that anyone needs it. The thresholds are in `Thresholds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from sgharden.resources import query
from sgharden.snapshot import Snapshot


@dataclass(frozen=True)
class Thresholds:
    """When a remote's connections to a port count as scanning rather than use.

    A roll-up hour-row of a TCP key looks like scanning when, per connection, the remote sent
    - at most `probe_max_bytes_in` bytes in at most `probe_max_packets_in` packets (a SYN, maybe
      an ACK and a RST: handshake-sized), or
    - at most `probe_max_payload_in` bytes beyond minimal headers (40 bytes a packet for IPv4, 60
      for IPv6; an overestimate of the payload, so it errs towards real use): a banner grab, or
    - (`probe_no_response`) the interface sent nothing back: no application answered.
    Other protocols (UDP, ICMP...): the interface sent nothing back and the remote's traffic was
    handshake-sized (a real UDP exchange is answered; a one-way sender that sends more is real).
    A remote is a probe on a port when *every* hour-row of it looks like scanning; one real
    exchange makes it a real source.
    """

    probe_max_bytes_in: int = 120
    probe_max_packets_in: int = 3
    probe_max_payload_in: int = 64
    probe_no_response: bool = True

    def as_params(self) -> dict[str, Any]:
        return {
            "probe_max_bytes_in": self.probe_max_bytes_in,
            "probe_max_packets_in": self.probe_max_packets_in,
            "probe_max_payload_in": self.probe_max_payload_in,
            "probe_no_response": self.probe_no_response,
        }


@dataclass(frozen=True)
class Connection:
    """Inbound connections from one remote address to one service port of one interface."""

    interface_id: str
    protocol: int
    service_port: int | None  # None for protocols without ports (ICMP...)
    remote_addr: str
    remote_family: int  # 4 or 6
    connections: int
    packets: int  # both directions
    bytes: int  # both directions
    first_seen: datetime
    last_seen: datetime
    is_probe: bool
    daily: tuple[tuple[str, int], ...] = ()  # (YYYY-MM-DD, connections)

    @property
    def is_real(self) -> bool:
        return not self.is_probe


def snapshot_interface_ids(snapshot: Snapshot) -> list[str]:
    return sorted({eni.interface_id for eni in snapshot.all_interfaces()})


def observed_connections(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot | None,
    start: datetime,
    end: datetime,
    thresholds: Thresholds | None = None,
    interfaces: list[str] | None = None,
) -> list[Connection]:
    """Inbound connections to the snapshot's interfaces (or `interfaces`) in [start, end)."""
    if interfaces is None:
        if snapshot is None:
            raise ValueError("observed_connections needs a snapshot or a list of interfaces")
        interfaces = snapshot_interface_ids(snapshot)
    params = {
        "interfaces": interfaces,
        "start": start,
        "end": end,
        **(thresholds or Thresholds()).as_params(),
    }
    cur = con.execute(query("connections"), params)
    first_day = floor_hour(start).date()
    span = (floor_hour(end).date() - first_day).days + 2
    day_names = [(first_day + timedelta(days=i)).isoformat() for i in range(max(span, 1))]
    # column-wise fetch: much cheaper than a Python tuple per row on large roll-ups
    cols = {name: values.tolist() for name, values in cur.fetchnumpy().items()}
    out: list[Connection] = []
    for row in zip(
        cols["interface_id"],
        cols["protocol"],
        cols["service_port"],
        cols["remote_addr"],
        cols["remote_family"],
        cols["connections"],
        cols["packets"],
        cols["bytes"],
        cols["first_seen"],
        cols["last_seen"],
        cols["is_probe"],
        cols["daily"],
        strict=True,
    ):
        daily = []
        for part in row[11].split(","):
            offset, count = part.split(":")
            daily.append((day_names[int(offset)], int(count)))
        iface, proto, port, remote, family, conns, packets, nbytes, first, last, probe = row[:11]
        out.append(
            Connection(
                iface,
                proto,
                port,
                remote,
                family,
                conns,
                packets,
                nbytes,
                first,
                last,
                probe,
                tuple(daily),
            )
        )
    return out


@dataclass(frozen=True)
class Window:
    """The analysis window [start, end), whole UTC hours."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)


def floor_hour(moment: datetime) -> datetime:
    return _naive_utc(moment).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floored = floor_hour(moment)
    return floored if floored == _naive_utc(moment) else floored + timedelta(hours=1)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    offset = moment.utcoffset() or timedelta(0)
    return (moment - offset).replace(tzinfo=None)


def data_window(
    con: duckdb.DuckDBPyConnection,
    interfaces: list[str],
    days: float | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Window | None:
    """The window to analyse: explicit bounds, else the last `days` of data, else all of it.

    None when the workspace holds nothing for these interfaces and no bounds were given.
    """
    row = con.execute(query("window_bounds"), {"interfaces": interfaces}).fetchone()
    data_start, data_end = (row[0], row[1]) if row else (None, None)
    end = ceil_hour(until) if until else data_end
    if end is None:
        return None
    if since:
        start = floor_hour(since)
    elif days is not None:
        start = end - timedelta(days=days)
    else:
        start = data_start if data_start is not None else end
    start = floor_hour(start)
    return Window(start, max(end, start))


def outbound_destinations(
    con: duckdb.DuckDBPyConnection, interfaces: list[str], window: Window
) -> list[dict[str, Any]]:
    """Connections the interfaces opened, per remote address (for EC2.9's NAT question)."""
    cur = con.execute(
        query("outbound_destinations"),
        {"interfaces": interfaces, "start": window.start, "end": window.end},
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
