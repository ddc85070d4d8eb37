"""Direction without guessing: v2 records (no tcp-flags, no flow-direction), ingested with and
without the snapshot's addresses, into a real DuckDB workspace.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.workspace import open_workspace

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
T = 1790812800


def rollup(tmp_path: Path, lines: list[str], known: dict[str, tuple[str, ...]] | None = None):
    d = tmp_path / "logs"
    d.mkdir()
    (d / "records.log").write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    con = open_workspace(None)
    report = ingest(con, [str(d)], IngestOptions(known_addresses=known or {}))
    assert report.rejected == 0, report.rejected_objects
    return con.execute(
        "SELECT interface_id, direction, protocol, service_port, remote_addr FROM flow_rollup "
        "ORDER BY ALL"
    ).fetchall()


def session(
    eni: str, client: str, server: str, sport: int, dport: int, proto: int = 6
) -> list[str]:
    return [
        f"2 111122223333 {eni} {client} {server} {sport} {dport} {proto} 10 4000 {T} {T + 30} ACCEPT OK",
        f"2 111122223333 {eni} {server} {client} {dport} {sport} {proto} 8 6000 {T} {T + 30} ACCEPT OK",
    ]


@pytest.mark.parametrize("peer", ["10.0.1.20", "10.0.1.9", "198.51.100.3"])
def test_a_lone_peer_never_decides_the_interface_by_string_order(tmp_path: Path, peer: str) -> None:
    # one peer in every record: both addresses tie; without inventory the responder rule holds
    rows = rollup(tmp_path, session("eni-a", peer, "10.0.1.5", 40000, 22))
    assert rows == [("eni-a", "inbound", 6, 22, peer)]


def test_return_traffic_on_ephemeral_ports_is_outbound_use(tmp_path: Path) -> None:
    # an app tier calling external APIs, a database and a package mirror: v2, no inventory
    lines = []
    for i, (dest, port) in enumerate(
        [("52.94.1.10", 443), ("3.120.5.5", 5432), ("151.101.2.10", 80)]
    ):
        lines += session("eni-app", "10.0.2.10", dest, 50000 + i, port)
    lines += session("eni-app", "10.0.1.50", "10.0.2.10", 41000, 8080)  # and one real client
    rows = rollup(tmp_path, lines)
    inbound = [r for r in rows if r[1] == "inbound"]
    assert inbound == [("eni-app", "inbound", 6, 8080, "10.0.1.50")]
    assert {r[3] for r in rows if r[1] == "outbound"} == {80, 443, 5432}


def test_equal_ports_go_to_the_side_that_sent_first(tmp_path: Path) -> None:
    # one-way syslog 514 -> 514 from a host, seen on the sender's interface
    lines = [
        f"2 111122223333 eni-h 10.0.1.10 10.0.3.30 514 514 17 5 900 {T} {T + 60} ACCEPT OK",
    ]
    rows = rollup(tmp_path, lines, known={"eni-h": ("10.0.1.10",)})
    assert rows == [("eni-h", "outbound", 17, 514, "10.0.3.30")]
