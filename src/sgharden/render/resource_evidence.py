"""evidence.csv for a resource ticket (EC2.9, RDS.2): who reached it, and where it goes out to,
with the fix each outbound destination suggests once the public address is gone.

The plan carries the resource's top sources and destinations (`settings.top_sources`); the
counts of all of them are in TICKET.md's evidence. A destination is named by its port only: the
snapshot holds no AWS ip-ranges, so an S3 address is not told from another HTTPS server, and the
suggestion says both.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sgharden.plan.read import PlanResource

COLUMNS = (
    "resource_id",
    "kind",
    "address",
    "protocol",
    "port",
    "connections",
    "suggestion",
    "counted_by",  # what a connection is for the resource's flow logs (analysis/counted_by.py)
)
_PROTOCOLS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}


def outbound_fix(protocol: int | None, port: int | None) -> str:
    """What replaces the internet for this destination once the public IPv4 address is gone."""
    if protocol == 17 and port == 123:
        return "NTP: use the Amazon Time Sync Service (169.254.169.123 from the instance), no internet needed"
    if protocol == 17 and port == 53:
        return "DNS: use the VPC resolver (the VPC's .2 address)"
    if protocol == 6 and port in (80, 443):
        return (
            "HTTP(S): an AWS service (S3: a gateway endpoint, free; others: interface endpoints) "
            "or package mirrors and other internet servers: a NAT gateway"
        )
    return "a NAT gateway (or a VPC endpoint if the destination is an AWS service)"


def resource_rows(resource: PlanResource) -> list[dict[str, Any]]:
    ev = resource.evidence
    counted = ev.get("counted_by") or ""  # plans written before the note: empty
    rows: list[dict[str, Any]] = []
    for kind, items in (
        ("real", ev.get("sources") or []),
        ("private-client", ev.get("private_clients") or []),
    ):
        for s in items:
            rows.append(
                {
                    "resource_id": resource.resource_id,
                    "kind": kind,
                    "address": s.get("address", ""),
                    "protocol": "",
                    "port": ev.get("port", ""),
                    "connections": s.get("connections", 0),
                    "suggestion": "",
                    "counted_by": counted,
                }
            )
    outbound = ev.get("outbound_internet") or {}
    for d in outbound.get("destinations") or []:
        protocol = d.get("protocol")
        rows.append(
            {
                "resource_id": resource.resource_id,
                "kind": "outbound",
                "address": d.get("address", ""),
                "protocol": _PROTOCOLS.get(protocol, protocol if protocol is not None else ""),
                "port": d.get("port", ""),
                "connections": d.get("connections", 0),
                "suggestion": outbound_fix(protocol, d.get("port")),
                "counted_by": counted,
            }
        )
    return rows


def resource_csv(resource: PlanResource) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(resource_rows(resource))
    return buffer.getvalue()
