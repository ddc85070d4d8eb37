"""What an interface without flow logs did, as far as its peers' flow logs show it.

An uncovered ENI's use is unknown, not zero (analysis/readiness.py), but when other interfaces of
its VPC log their traffic, the connections they opened to it are there, from the other side. That
does not make the group ready (the internet and unlogged peers stay unseen, and one direction of
a conversation is not the whole of it): it tells the reader the ENI is in use, and on which ports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from sgharden.analysis.connections import Window
from sgharden.model import Interface, Inventory, protocol_name
from sgharden.resources import query


@dataclass(frozen=True)
class PeerSeenUse:
    interface_id: str
    protocol: int
    port: int | None
    peers: int  # distinct logged interfaces that opened connections to it
    connections: int

    def text(self) -> str:
        port = protocol_name(self.protocol) + ("" if self.port is None else f"/{self.port}")
        return f"{self.interface_id} {port}: {self.connections:,} connection(s) from {self.peers} peer ENI(s)"


def peer_seen_use(
    con: duckdb.DuckDBPyConnection,
    uncovered: Iterable[tuple[Interface, Inventory]],
    window: Window,
) -> dict[str, tuple[PeerSeenUse, ...]]:
    """Per uncovered interface, what the other interfaces of its VPC (those with flow-log data:
    only they have rows) opened to it in the window."""
    targets = []
    for eni, inventory in uncovered:
        peers = sorted(
            i.interface_id
            for i in inventory.interfaces.values()
            if i.vpc_id == eni.vpc_id and i.interface_id != eni.interface_id
        )
        if peers and eni.vpc_id:
            targets += [
                {"interface_id": eni.interface_id, "address": a, "peers": peers}
                for a in eni.addresses
            ]
    if not targets:
        return {}
    rows = con.execute(
        query("peer_seen_use"),
        {"targets": json.dumps(targets), "start": window.start, "end": window.end},
    ).fetchall()
    out: dict[str, list[PeerSeenUse]] = {}
    for interface_id, protocol, port, peers, connections in rows:
        out.setdefault(interface_id, []).append(
            PeerSeenUse(interface_id, int(protocol), port, int(peers), int(connections))
        )
    return {k: tuple(v) for k, v in out.items()}
