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

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from sgharden.analysis.params import id_list
from sgharden.resources import query
from sgharden.snapshot import Snapshot

# Addresses that never come from the internet: private, shared (CGNAT), link-local, loopback.
# Everything else counts as internet — documentation ranges too, so examples behave like reality.
INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


def hex_span(family: int, lo: int, hi: int) -> dict[str, Any]:
    """An address range as the SQL compares it: fixed-width hex, so text order is number order."""
    width = 8 if family == 4 else 32
    return {"family": family, "lo": f"{lo:0{width}x}", "hi": f"{hi:0{width}x}"}


def hex_range(network: str | ipaddress.IPv4Network | ipaddress.IPv6Network) -> dict[str, Any]:
    net = ipaddress.ip_network(network, strict=False)
    return hex_span(net.version, int(net.network_address), int(net.broadcast_address))


@dataclass(frozen=True)
class Thresholds:
    """When a source counts as a scanner rather than a user (sql/classify_sources.sql).

    Every value is named in the plan's settings and described in docs/planner.md. None is tuned
    to one kind of traffic: each follows from what a protocol's first exchange carries
    (../shared/TRAFFIC_FACTS.md) or from how people and scanners come back.

    Handshake-sized (a roll-up hour-row, per connection the remote sent):
    - at most `probe_max_bytes_in` bytes in at most `probe_max_packets_in` packets, or
    - at most `probe_max_payload_in` bytes beyond minimal headers (a banner grab), or
    - (`probe_no_response`) nothing came back. Other protocols: unanswered and handshake-sized.
    Small session: at most `probe_max_session_bytes` both ways (a failed login carries a few KB).
    Opening exchange: a request of at most `probe_max_request_bytes` answered with at most
    `probe_max_answer_bytes` (a TLS server's first flight with certificates is a few KB).
    Burst: at least `burst_min_sessions` small sessions within `burst_max_hours`.
    Came back: first and last record on the key at least `return_min_hours` apart.
    Sweeps: reached `sweep_min_ports` (protocol, port)s anywhere, or was rejected on a target
    where nothing was accepted.
    """

    probe_max_bytes_in: int = 120
    probe_max_packets_in: int = 3
    probe_max_payload_in: int = 64
    probe_no_response: bool = True
    probe_max_session_bytes: int = 32768
    probe_max_request_bytes: int = 1024
    probe_max_answer_bytes: int = 8192
    burst_max_hours: int = 3
    burst_min_sessions: int = 3
    return_min_hours: int = 20
    sweep_min_ports: int = 3

    def as_params(self) -> dict[str, Any]:
        """The named parameter `classify` every classifying query takes (a STRUCT)."""
        return {
            "classify": {
                "max_bytes_in": self.probe_max_bytes_in,
                "max_packets_in": self.probe_max_packets_in,
                "max_payload_in": self.probe_max_payload_in,
                "no_response": self.probe_no_response,
                "max_session_bytes": self.probe_max_session_bytes,
                "max_request_bytes": self.probe_max_request_bytes,
                "max_answer_bytes": self.probe_max_answer_bytes,
                "burst_max_hours": self.burst_max_hours,
                "burst_min_sessions": self.burst_min_sessions,
                "return_min_hours": self.return_min_hours,
                "sweep_min_ports": self.sweep_min_ports,
                "internal": [hex_range(n) for n in INTERNAL_NETWORKS],
            }
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
    verdict: str = ""  # the classifier's reasons (sql/classify_sources.sql)

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
        cols["verdict"],
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
                row[12],
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
    row = con.execute(query("window_bounds"), {"interfaces": id_list(interfaces)}).fetchone()
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
        {"interfaces": id_list(interfaces), "start": window.start, "end": window.end},
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
