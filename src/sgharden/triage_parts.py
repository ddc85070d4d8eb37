"""Triage a snapshot one run of account/regions at a time, so that memory follows the largest
account/region, not the whole snapshot.

A group is only ever planned with its own account/region's inventory (targets.resolve puts a
finding with its own account/region's inventory when there is one), and in_scope collapses the
CIS/FSBP duplicates per (account, region, control, resource): a set whose in-scope findings all
name that set's account/region can be planned apart from the others and gives the same targets.
The sets are read in `load_snapshot`'s order and planned a few thousand findings at a time (one
propose per set would repeat its fixed DuckDB work 150 times); only the compact triage rows are
kept. Their join is the order one plan of the whole snapshot gives: groups sorted by
(account, region, group), then the instances in finding order, then the DBs, then the findings
nothing placed. The classifier judges sources over the whole workspace whichever interfaces are
asked about, so planning apart changes no verdict.

When a set breaks the premise (a finding of another account/region in its findings.json, or a
finding id seen in an earlier set), `triage_parts` returns None and the caller reads the snapshot
whole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from sgharden.acceptance import AcceptanceState, apply_to_plan
from sgharden.analysis.connections import Window
from sgharden.analysis.matching import forget_inventories
from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.planner import propose
from sgharden.analysis.triage import Ordering, Triage, TriageRows, assemble, triage_rows
from sgharden.analysis.workspace_check import workspace_warnings
from sgharden.findings import in_scope
from sgharden.model import Finding, Interface, Inventory
from sgharden.pipeline import WindowRequest, plan_window
from sgharden.snapshot import (
    Snapshot,
    SnapshotPart,
    load_part,
    part_interfaces,
    snapshot_collected_at,
)

# In-scope findings planned at once. Memory grows with it (~5 KiB a finding while planning);
# each propose has a fixed cost of a few dozen DuckDB queries.
CHUNK_FINDINGS = 3000


def _joined(rows: list[TriageRows]) -> TriageRows:
    """The rows of the chunks in the order one plan of them all lists its targets."""
    resources = [t for r in rows for t in r.resources]
    return TriageRows(
        groups=tuple(t for r in rows for t in r.groups),  # chunks in (account, region) order
        resources=(  # the planner's order: every instance, then every DB
            *(t for t in resources if t.controls != ("RDS.2",)),
            *(t for t in resources if t.controls == ("RDS.2",)),
        ),
        unresolved=tuple(t for r in rows for t in r.unresolved),
    )


def triage_parts(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    parts: tuple[SnapshotPart, ...],
    state: AcceptanceState,
    ordering: Ordering,
    request: WindowRequest,
    workspace: str | None,
    ingest: Callable[[Snapshot], None] | None = None,
    extra_sources: bool = False,
    chunk_findings: int | None = None,
) -> tuple[Triage, list[str]] | None:
    """The triage of the snapshot at `root` (its `parts`), and the workspace warnings; None when
    a set holds findings that cross sets (the caller reads the snapshot whole then). `ingest`
    receives a snapshot holding the inventories' interfaces only (what ingest reads) and ingests
    its flow logs; `extra_sources` says whether it has sources beyond the snapshot's folders."""
    flow_dirs = tuple(
        p.directory / "flow-logs" for p in parts if (p.directory / "flow-logs").is_dir()
    )
    needs_addresses = ingest is not None and (bool(flow_dirs) or extra_sources)
    inventories: dict[tuple[str, str], Inventory] = {}
    interface_ids: set[str] = set()
    for part in parts:
        enis: list[Interface] = part_interfaces(part)
        interface_ids.update(e.interface_id for e in enis)
        inventories[(part.account_id, part.region)] = Inventory(
            part.account_id,
            part.region,
            interfaces={e.interface_id: e for e in enis} if needs_addresses else {},
        )
    if ingest is not None:
        ingest(Snapshot(root, (), inventories, flow_dirs))
    del inventories  # the ENIs were for ingest's orientation only
    interfaces = sorted(interface_ids)
    window = plan_window(con, interfaces, request)
    options = PlannerOptions()
    chunk_findings = CHUNK_FINDINGS if chunk_findings is None else chunk_findings

    collected: list[TriageRows] = []
    seen_ids: set[str] = set()
    updated: list[datetime] = []
    chunk: list[Snapshot] = []
    count = 0
    for index, part in enumerate(parts):
        snapshot = load_part(root, part)
        if snapshot.findings_updated is not None:
            updated.append(snapshot.findings_updated)
        scoped = in_scope(snapshot.findings)
        if not _own(scoped, part, seen_ids):
            return None
        chunk.append(snapshot)
        count += len(scoped)
        if count >= chunk_findings or index == len(parts) - 1:
            collected.append(_plan_and_triage(con, root, chunk, window, options, state))
            chunk, count = [], 0
            forget_inventories()  # the next chunk's groups never match this chunk's ENIs
    whole = Snapshot(
        root,
        (),
        collected_at=snapshot_collected_at(root),
        findings_updated=max(updated, default=None),
    )
    warnings = workspace_warnings(con, whole, workspace, interfaces)
    return assemble(_joined(collected), ordering, str(root)), warnings


def _own(scoped: list[Finding], part: SnapshotPart, seen_ids: set[str]) -> bool:
    """Whether every in-scope finding of the set names the set's account/region and no id of
    them was seen in an earlier set (then no dedupe or placement crosses sets)."""
    ids = [i for f in scoped for i in f.all_ids]
    if any((f.account_id, f.region) != (part.account_id, part.region) for f in scoped):
        return False
    if not seen_ids.isdisjoint(ids):
        return False
    seen_ids.update(ids)
    return True


def _plan_and_triage(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    chunk: list[Snapshot],
    window: Window,
    options: PlannerOptions,
    state: AcceptanceState,
) -> TriageRows:
    """Plan these sets together and keep only their triage rows."""
    snapshot = Snapshot(
        root,
        tuple(f for s in chunk for f in s.findings),
        {k: v for s in chunk for k, v in s.inventories.items()},
        tuple(d for s in chunk for d in s.flow_log_dirs),
    )
    plan = apply_to_plan(propose(con, snapshot, window, options).to_dict(), state)
    return triage_rows(plan, snapshot, state.accepted_findings(in_scope(snapshot.findings)))
