"""Does the workspace hold data that is not this snapshot's? (sql/foreign_interfaces.sql)

`propose` reuses a workspace incrementally; run on another snapshot, it silently carried the
first one's data. That data is never analysed (the analysis reads the snapshot's interfaces
only), but the user is told, with the way to a clean workspace.

Times too: the snapshot says which rules and ENIs the traffic met at the moment it was taken.
Records from well after that moment met rules the snapshot may not show; a workspace whose data
ends well before it (ingested from another period, or logs that stopped) is judged as if it were
the snapshot's present. Both are said, with what to do; neither is refused, since an S3 bucket
read a day after `collect` holds that day too.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb

from sgharden.analysis.connections import ceil_hour, data_window, floor_hour, snapshot_interface_ids
from sgharden.analysis.params import id_list
from sgharden.moments import iso
from sgharden.resources import query
from sgharden.snapshot import Snapshot

# Flow-log objects of the collect's hour arrive within minutes of it: not "after the snapshot".
AFTER_SLACK = timedelta(hours=1)
# Delivery is every 5-10 minutes; a whole day missing before the snapshot is another period.
BEFORE_SLACK = timedelta(days=1)


def workspace_warnings(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    workspace: str | None,
    interfaces: list[str] | None = None,
) -> list[str]:
    """Every line the user must read about data in the workspace that is not the snapshot's.
    `interfaces`: the snapshot's interface ids (sorted), when `snapshot` holds no inventory
    (a snapshot read one account/region at a time: sgharden.triage_parts)."""
    ids = snapshot_interface_ids(snapshot) if interfaces is None else interfaces
    found = [
        foreign_data_warning(con, snapshot, workspace, ids),
        time_warning(con, snapshot, workspace, ids),
    ]
    return [line for line in found if line]


def time_warning(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    workspace: str | None,
    interfaces: list[str] | None = None,
) -> str | None:
    """One line when the snapshot's interfaces have data from well after or well before the
    snapshot was taken (collect-report.json's `collected_at`; else its findings' newest
    `UpdatedAt`, which only bounds it from below), or None."""
    ids = snapshot_interface_ids(snapshot) if interfaces is None else interfaces
    data = data_window(con, ids)
    if data is None:
        return None
    where = f"the workspace {workspace or '(in memory)'}"
    taken = snapshot.collected_at
    if taken is not None and data.end - ceil_hour(taken) > AFTER_SLACK:
        return (
            f"{where} holds flow data of the snapshot's interfaces up to {iso(data.end)}, "
            f"{_span(data.end - taken)} after the snapshot {snapshot.root} was taken "
            f"({iso(taken)}): that traffic met rules and ENIs the snapshot may not show; "
            f"collect a new snapshot, or end the window at it with --until {iso(taken)}"
        )
    bound, what = (
        (taken, "the snapshot was taken")
        if taken is not None
        else (snapshot.findings_updated, "its findings were last updated")
    )
    if bound is not None and floor_hour(bound) - data.end > BEFORE_SLACK:
        return (
            f"{where} holds flow data of the snapshot's interfaces only up to {iso(data.end)}, "
            f"{_span(bound - data.end)} before {what} ({iso(bound)}; snapshot {snapshot.root}): "
            "the plan judges that older period as the snapshot's present; ingest the logs up "
            "to the snapshot (--flow-logs s3://BUCKET, or its flow-logs/ folder), or use a "
            "new --workspace per snapshot"
        )
    return None


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} hour(s)" if hours < 48 else f"{hours / 24:.0f} day(s)"


def foreign_data_warning(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    workspace: str | None,
    interfaces: list[str] | None = None,
) -> str | None:
    """One warning line naming the interfaces the workspace holds beyond the snapshot's, or None."""
    ids = snapshot_interface_ids(snapshot) if interfaces is None else interfaces
    rows = con.execute(query("foreign_interfaces"), {"interfaces": id_list(ids)}).fetchall()
    if not rows:
        return None
    first = iso(min(r[1] for r in rows))
    last = iso(max(r[2] for r in rows))
    named = ", ".join(r[0] for r in rows[:5]) + (
        f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    )
    return (
        f"the workspace {workspace or '(in memory)'} also holds flow data of {len(rows)} "
        f"interface(s) not in the snapshot {snapshot.root} ({named}; {first} to {last}): "
        "it is not analysed; use a new --workspace per snapshot to keep them apart"
    )
