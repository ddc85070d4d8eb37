"""Does the workspace hold data that is not this snapshot's? (sql/foreign_interfaces.sql)

`propose` reuses a workspace incrementally; run on another snapshot, it silently carried the
first one's data. That data is never analysed (the analysis reads the snapshot's interfaces
only), but the user is told, with the way to a clean workspace.
"""

from __future__ import annotations

import duckdb

from sgharden.analysis.connections import snapshot_interface_ids
from sgharden.analysis.params import id_list
from sgharden.moments import iso
from sgharden.resources import query
from sgharden.snapshot import Snapshot


def foreign_data_warning(
    con: duckdb.DuckDBPyConnection, snapshot: Snapshot, workspace: str | None
) -> str | None:
    """One warning line naming the interfaces the workspace holds beyond the snapshot's, or None."""
    rows = con.execute(
        query("foreign_interfaces"), {"interfaces": id_list(snapshot_interface_ids(snapshot))}
    ).fetchall()
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
