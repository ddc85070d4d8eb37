"""One definition of a connection (docs/planner.md, "What a connection count is"): distinct
initiator (client) ports per (interface, direction, protocol, service port, remote, hour), the
same in v2 and flagged formats, exact when an hour's records arrive in two ingest runs; counted
as records, and said so, where the format has no ports. Real DuckDB workspaces, real log files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sgharden.analysis.counted_by import PORTS, RECORDS_NO_PORTS, counted_by
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.workspace import open_workspace

V2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
V5 = V2 + " tcp-flags flow-direction"
NO_PORTS = "version account-id interface-id srcaddr dstaddr protocol packets bytes start end action log-status"
H = 1790812800  # an hour's start (UTC)
ENI, SERVER, CLIENT = "eni-rdp", "10.0.1.5", "198.51.100.7"
KNOWN = {ENI: (SERVER,)}


def rdp_session(start: int, sport: int, minutes: int = 40, flags: bool = False) -> list[str]:
    """One RDP session at the 10-minute aggregation interval: a record each way per interval."""
    lines = []
    intervals = minutes // 10
    for i in range(intervals):
        t = start + i * 600
        c_flags = 2 if i == 0 else (1 if i == intervals - 1 else 0)  # SYN, -, FIN
        s_flags = 18 if i == 0 else (1 if i == intervals - 1 else 0)  # SYN-ACK, -, FIN
        up = (
            f"2 111122223333 {ENI} {CLIENT} {SERVER} {sport} 3389 6 40 9000 {t} {t + 599} ACCEPT OK"
        )
        down = f"2 111122223333 {ENI} {SERVER} {CLIENT} 3389 {sport} 6 35 30000 {t} {t + 599} ACCEPT OK"
        if flags:
            up = up.replace("2 ", "5 ", 1) + f" {c_flags} ingress"
            down = down.replace("2 ", "5 ", 1) + f" {s_flags} egress"
        lines += [up, down]
    return lines


def write_log(folder: Path, name: str, header: str, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return folder


def per_hour(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """Inbound RDP connections per hour offset from H, as every reader sums them."""
    rows = con.execute(
        "SELECT (epoch(hour)::BIGINT - $h) // 3600, sum(connections)::BIGINT FROM flow_rollup "
        "WHERE interface_id = $eni AND direction = 'inbound' AND protocol = 6 "
        "GROUP BY ALL ORDER BY ALL",
        {"h": H, "eni": ENI},
    ).fetchall()
    return {int(h): int(n) for h, n in rows}


def ingest_folder(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    report = ingest(con, [str(folder)], IngestOptions(known_addresses=KNOWN))
    assert report.rejected == 0, report.rejected_objects


def test_three_40_minute_rdp_sessions_in_v2_count_three(tmp_path: Path) -> None:
    lines = [*rdp_session(H, 50001), *rdp_session(H + 300, 50002), *rdp_session(H + 600, 50003)]
    assert len(lines) == 24  # 12 records from the clients, 12 answers
    con = open_workspace(None)
    ingest_folder(con, write_log(tmp_path / "logs", "rdp.log", V2, lines))
    assert per_hour(con) == {0: 3}
    assert counted_by(con, [ENI], protocol=6) == PORTS
    assert counted_by(con, [ENI], protocol=1) == "records: ICMP has no ports"


def sessions_over_an_hour_boundary(flags: bool) -> list[str]:
    # one session opened 20 minutes before hour 0 and carried on into it, two inside hour 0
    return [
        *rdp_session(H - 1200, 50001, flags=flags),
        *rdp_session(H + 300, 50002, flags=flags),
        *rdp_session(H + 900, 50003, flags=flags),
    ]


def test_v2_and_a_flagged_v5_format_count_the_same_sessions_alike(tmp_path: Path) -> None:
    counts = {}
    for name, header, flags in (("v2", V2, False), ("v5", V5, True)):
        con = open_workspace(None)
        lines = sessions_over_an_hour_boundary(flags)
        ingest_folder(con, write_log(tmp_path / name, "rdp.log", header, lines))
        counts[name] = per_hour(con)
    # per hour: the sessions that had traffic in it, whether or not they opened in it
    assert counts == {"v2": {-1: 1, 0: 3}, "v5": {-1: 1, 0: 3}}


def test_one_session_split_over_two_ingest_runs_counts_once_in_its_hour(tmp_path: Path) -> None:
    session = rdp_session(H, 50001)
    workspace = str(tmp_path / "ws.duckdb")
    for run, part in enumerate((session[:4], session[4:])):
        con = open_workspace(workspace)
        ingest_folder(con, write_log(tmp_path / f"run{run}", f"part{run}.log", V2, part))
        con.close()
    con = open_workspace(workspace)
    rows = con.execute(
        "SELECT count(*) FROM flow_rollup WHERE interface_id = $eni AND direction = 'inbound'",
        {"eni": ENI},
    ).fetchone()
    assert rows is not None and rows[0] >= 2  # two runs, two stored rows for the same key/hour
    assert per_hour(con) == {0: 1}
    # a third run that repeats a known client port and adds a new one counts only the new one
    extra = rdp_session(H + 1200, 50001, minutes=10) + rdp_session(H + 1200, 50009, minutes=10)
    ingest_folder(con, write_log(tmp_path / "run2", "part2.log", V2, extra))
    assert per_hour(con) == {0: 2}


def test_a_format_without_ports_counts_records_and_says_so(tmp_path: Path) -> None:
    lines = [
        f"2 111122223333 {ENI} {CLIENT} {SERVER} 6 40 9000 {H + i * 600} {H + i * 600 + 599} ACCEPT OK"
        for i in range(4)
    ]
    con = open_workspace(None)
    ingest_folder(con, write_log(tmp_path / "logs", "noports.log", NO_PORTS, lines))
    assert per_hour(con) == {0: 4}  # records the initiator sent: nothing better to count
    assert counted_by(con, [ENI], protocol=6) == RECORDS_NO_PORTS


def test_the_corpus_counts_the_same_connections_in_every_format() -> None:
    # the same traffic written as v2, v5 (tcp-flags, flow-direction), v5 in several ingest
    # batches and Parquet (tests/ingest_fingerprint.py): per key and hour, the same count
    from ingest_fingerprint import CASES, _root

    per_case = {}
    for case in CASES:
        if not case.name.startswith("corpus-"):
            continue
        with _root() as root:
            ((sources, options, _),) = list(case.build(root))
            con = open_workspace(None)
            ingest(con, sources, IngestOptions(**options))
            per_case[case.name] = con.execute(
                "SELECT interface_id, direction, protocol, service_port, remote_addr, hour, "
                "sum(connections)::BIGINT FROM flow_rollup GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            con.close()
    assert len(per_case) == 5
    first = next(iter(per_case.values()))
    assert len(first) > 1000
    for name, rows in per_case.items():
        assert rows == first, name
