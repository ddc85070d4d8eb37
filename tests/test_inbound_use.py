"""The "inbound, accepted, in the window" scan of the roll-up is one definition (sql/inbound_use.sql),
and every analysis query reads the roll-up through it."""

from __future__ import annotations

import re
from datetime import datetime

from sgharden.resources import sql_dir
from sgharden.workspace import open_workspace

START = datetime(2026, 11, 1)
END = datetime(2026, 11, 8)


def _row(eni: str, direction: str, hour: datetime, accepted: int, port: int | None = 22) -> tuple:
    return (
        "111122223333", "eu-west-1", eni, direction, "tcp-flags", 6, "10.0.0.5", port,
        "198.51.100.7", 4, "c6336407", hour, 1, 1, 4, 400, 4, 400, accepted, 1 - min(accepted, 1),
        2, hour, hour,
    )  # fmt: skip


def test_inbound_accepted_keeps_only_what_the_interfaces_let_in_during_the_window() -> None:
    con = open_workspace(None)
    inside = datetime(2026, 11, 3, 10)
    rows = [
        _row("eni-a", "inbound", inside, 1),  # kept
        _row("eni-a", "inbound", inside, 1, port=None),  # kept, port_key -1
        _row("eni-a", "outbound", inside, 1),  # the interface opened it: not use
        _row("eni-a", "inbound", inside, 0),  # rejected only: no rule let it in
        _row("eni-a", "inbound", START, 1),  # the window's first hour: kept
        _row("eni-a", "inbound", END, 1),  # the window is [start, end): left out
        _row("eni-a", "inbound", datetime(2026, 10, 31, 23), 1),  # before the window
        _row("eni-b", "inbound", inside, 1),  # an interface not asked for
    ]
    con.executemany(f"INSERT INTO flow_rollup VALUES ({', '.join(['?'] * 23)})", rows)
    got = con.execute(
        "SELECT interface_id, direction, hour, accepted, port_key "
        "FROM inbound_accepted(['eni-a'], $start, $end) ORDER BY hour, port_key",
        {"start": START, "end": END},
    ).fetchall()
    assert got == [
        ("eni-a", "inbound", START, 1, 22),
        ("eni-a", "inbound", inside, 1, -1),
        ("eni-a", "inbound", inside, 1, 22),
    ]
    every = con.execute(
        "SELECT count(*), count(DISTINCT interface_id) FROM inbound_rows($start, $end)",
        {"start": START, "end": END},
    ).fetchone()
    assert every == (5, 2)  # rejected ones and other interfaces too: the classifier's signals


def test_analysis_queries_read_the_roll_up_through_the_macros() -> None:
    """Ingest statements write the roll-up; `rejected_since` reads rejections since a change (not
    use in a window). Every other query that reads it goes through inbound_use.sql."""
    writers_and_other_scans = {"rollup_insert", "rollup_last_hour", "rejected_since"}
    direct = []
    for path in sorted(sql_dir().glob("*.sql")):
        if path.stem in writers_and_other_scans | {"inbound_use"} or path.stem.startswith("athena"):
            continue
        text = path.read_text(encoding="utf-8")
        body = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
        if re.search(r"\bFROM\s+flow_rollup\b", body) and "'inbound'" in body:
            direct.append(path.name)
    assert direct == []
