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
    # one peer list per (inventory, VPC), not one per uncovered address: with thousands of
    # uncovered ENIs in one VPC, a list per target was thousands squared ids (~500 MiB in triage)
    targets: list[dict[str, str]] = []
    members: dict[str, set[str]] = {}
    vpc_of: dict[tuple[int, str], str] = {}
    for eni, inventory in uncovered:
        if not eni.vpc_id:
            continue
        key = vpc_of.get((id(inventory), eni.vpc_id))
        if key is None:
            key = vpc_of[(id(inventory), eni.vpc_id)] = str(len(vpc_of))
            members[key] = {
                i.interface_id for i in inventory.interfaces.values() if i.vpc_id == eni.vpc_id
            }
        targets += [
            {"interface_id": eni.interface_id, "address": a, "vpc": key} for a in eni.addresses
        ]
    if not targets:
        return {}
    peer_rows = [
        {"interface_id": i, "vpc": k} for k, ids in sorted(members.items()) for i in sorted(ids)
    ]
    rows = con.execute(
        query("peer_seen_use"),
        {
            "targets": json.dumps(targets),
            "peers": json.dumps(peer_rows),
            "start": window.start,
            "end": window.end,
        },
    ).fetchall()
    out: dict[str, list[PeerSeenUse]] = {}
    for interface_id, protocol, port, peers, connections in rows:
        out.setdefault(interface_id, []).append(
            PeerSeenUse(interface_id, int(protocol), port, int(peers), int(connections))
        )
    return {k: tuple(v) for k, v in out.items()}
