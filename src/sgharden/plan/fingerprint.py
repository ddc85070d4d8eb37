"""What a plan rests on, and the one check that a plan meets the same inputs again.

`propose` records `inputs` in the plan: per security group a digest of its rules and of the ENIs
that carry it (addresses, groups, attach time), per account/region a digest of the flow logs, the
window, and a digest of the flow-log data the workspace holds for the window (`sql/window_digest.sql`:
sums per interface, hour, protocol and remote address, with the set of ports they carried). `ticket`, `dry-run` and `apply` recompute what they can see (the snapshot they are
given; for `apply`, AWS's live rules) and refuse a plan whose inputs differ: a plan judged on other
rules or other interfaces says "safe" about something it never saw. A plan that records no inputs
(hand-made, edited, or written by an older sgharden) is refused the same way: nothing could tell
it from a plan of another snapshot.

`plan_fingerprint` identifies one plan file (the stage record of a staged rollout names its plan
by it); it covers the recorded inputs, so two plans from two snapshots never share it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sgharden.errors import InputError
from sgharden.model import FlowLog, Interface, Rule

# 2: the workspace part is a digest of the window's flow-log data, not only its span
# 3: the digest holds the ports each traffic line carried, and the workspace part names the
#    interfaces it covers (so `apply --workspace`, which sees no snapshot, can recompute it)
INPUTS_VERSION = 3


def _digest(items: Iterable[Any]) -> str:
    canonical = json.dumps(sorted(json.dumps(i, sort_keys=True, default=str) for i in items))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def rules_digest(rules: Iterable[Rule]) -> str:
    """The rules as permissions (description and rule id left out: neither changes access)."""
    return _digest(r.key() for r in rules)


def interfaces_digest(interfaces: Iterable[Interface]) -> str:
    return _digest(
        (e.interface_id, sorted(e.addresses), sorted(e.group_ids), e.attach_time)
        for e in interfaces
    )


def flow_logs_digest(flow_logs: Iterable[FlowLog]) -> str:
    return _digest(
        (
            f.flow_log_id,
            f.resource_id,
            f.log_format,
            f.traffic_type,
            f.status,
            f.deliver_logs_status,
            f.creation_time,
        )
        for f in flow_logs
    )


def snapshot_inputs(
    snapshot: Any, group_ids: Iterable[str], window: tuple[str, str]
) -> dict[str, Any]:
    """The `inputs` block of a plan over `group_ids` (a `snapshot.Snapshot`) and its window."""
    wanted = set(group_ids)
    groups: dict[str, Any] = {}
    flow_logs: dict[str, str] = {}
    for (account, region), inv in sorted(snapshot.inventories.items()):
        for gid, group in inv.security_groups.items():
            if gid not in wanted:
                continue
            enis = [e for e in inv.interfaces.values() if gid in e.group_ids]
            groups[gid] = {
                "rules": rules_digest((*group.ingress, *group.egress)),
                "enis": interfaces_digest(enis),
            }
        flow_logs[f"{account}/{region}"] = flow_logs_digest(inv.flow_logs)
    return {
        "version": INPUTS_VERSION,
        "window": {"start": window[0], "end": window[1]},
        "groups": groups,
        "flow_logs": flow_logs,
    }


def workspace_inputs(
    con: Any, interfaces: list[str], window: tuple[str, str], batch_rows: int = 0
) -> dict[str, Any]:
    """The flow-log data the workspace holds for `interfaces` inside the plan's window: its span
    (first and last hour), its record count and a digest of it (`sql/window_digest.sql`). A
    replay over other data would judge the plan on what it never saw, and records added inside
    the same span change only the digest."""
    from sgharden.analysis.connections import data_window
    from sgharden.analysis.params import id_list
    from sgharden.moments import iso, parse
    from sgharden.resources import query

    covered = sorted(set(interfaces))
    bounds = data_window(con, interfaces)
    if bounds is None:
        return {"interfaces": covered, "data": None, "records": 0, "digest": None}
    start = max(iso(bounds.start) or "", window[0])
    end = min(iso(bounds.end) or "", window[1])
    if start > end:
        return {"interfaces": covered, "data": None, "records": 0, "digest": None}
    params = {"interfaces": id_list(interfaces), "start": parse(window[0]), "end": parse(window[1])}
    digest = _LineDigest()
    digest.add(con.execute(query("window_digest_delivered"), params))
    units = con.execute(query("window_digest_units"), params).fetchall()
    for ranges in digest_batches(units, batch_rows or DIGEST_BATCH_ROWS):
        digest.add(con.execute(query("window_digest"), {"ranges": json.dumps(ranges)}))
    records, digest_hex = digest.records, digest.hexdigest()
    return {
        "interfaces": covered,
        "data": [start, end],
        "records": records,
        "digest": "md5:" + digest_hex,
    }


# flow_rollup rows per window_digest query: ~1 KiB of DuckDB memory each at the peak (the 20M
# benchmark's busiest ENI, 290,000 rows, ran in ~1.3 s), well inside the 1 GB default limit.
DIGEST_BATCH_ROWS = 400_000


def digest_batches(units: list[tuple[str, Any, int]], budget: int) -> list[list[dict[str, str]]]:
    """window_digest_units' (interface, hour, rows) cut into batches of about `budget` rows, in
    the order the digest's lines take; each batch a list of {interface_id, lo, hi} hour ranges
    (hi exclusive). An hour over the budget is a batch of its own."""
    batches: list[list[dict[str, str]]] = []
    current: list[dict[str, str]] = []
    size = 0
    for interface_id, hour, rows in sorted(units, key=lambda u: (u[0], u[1])):
        if current and size + rows > budget:
            batches.append(current)
            current, size = [], 0
        lo, hi = hour.isoformat(), (hour + timedelta(hours=1)).isoformat()
        if current and current[-1]["interface_id"] == interface_id and current[-1]["hi"] == lo:
            current[-1]["hi"] = hi
        else:
            current.append({"interface_id": interface_id, "lo": lo, "hi": hi})
        size += rows
    if current:
        batches.append(current)
    return batches


class _LineDigest:
    """The md5 of lines joined by newlines and the sum of their records, fed a query result at a
    time (each in line order, the results in turn) and read a chunk at a time: the digest once
    made by one string_agg in SQL, without holding every line."""

    def __init__(self) -> None:
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._first = True
        self.records = 0

    def add(self, result: Any, chunk: int = 50_000) -> None:
        while rows := result.fetchmany(chunk):
            text = "\n".join(line for line, _ in rows).encode("utf-8")
            self._md5.update(text if self._first else b"\n" + text)
            self.records += sum(int(n) for _, n in rows if n is not None)
            self._first = False

    def hexdigest(self) -> str:
        return self._md5.hexdigest()


def _span(part: dict[str, Any]) -> str:
    data = part.get("data")
    if not isinstance(data, list) or len(data) != 2:
        return "nothing (no flow-log data of these interfaces in the window)"
    return f"{data[0]} to {data[1]}"


def _workspace_change(now: dict[str, Any], was: dict[str, Any]) -> str:
    """What changed in the window's flow-log data, in the words a reviewer checks first."""
    if now.get("interfaces") != was.get("interfaces"):
        here, there = set(now.get("interfaces") or ()), set(was.get("interfaces") or ())
        return (
            f"the interfaces whose flow logs are read differ from the plan's "
            f"({len(here - there)} new, {len(there - here)} gone)"
        )
    if now.get("data") != was.get("data"):
        return (
            f"the flow-log data in the window spans {_span(now)}, the plan's spanned {_span(was)}"
        )
    n, m = now.get("records"), was.get("records")
    if isinstance(n, int) and isinstance(m, int) and n != m:
        more = f"{n - m} more" if n > m else f"{m - n} fewer"
        return (
            f"the window holds {n} flow record(s), the plan's held {m} ({more}, same span "
            f"{now.get('data')})"
        )
    return f"the window's flow records differ from the plan's (same count {n}, same span)"


def plan_fingerprint_mismatches(recorded: Any, current: dict[str, Any]) -> list[str]:
    """What differs between the inputs a plan recorded and `current`: the parts the caller can
    see, for the plan's groups (a group mapped to None is not where the caller looked).
    Empty when they agree; a plan that records no inputs is the caller's to judge."""
    out = []
    if "window" in current and recorded.get("window") != current["window"]:
        out.append(f"window {current['window']} is not the plan's {recorded.get('window')}")
    was_groups = recorded.get("groups") or {}
    for gid, parts in sorted((current.get("groups") or {}).items()):
        was = was_groups.get(gid)
        if parts is None:
            out.append(f"{gid}: not found here")
        elif was is None:
            out.append(f"{gid}: not in the inputs the plan records")
        else:
            out.extend(
                f"{gid}: its {part} changed"
                for part in ("rules", "enis")
                if part in parts and was.get(part) != parts[part]
            )
    if "workspace" in current and recorded.get("workspace") != current["workspace"]:
        out.append(_workspace_change(current["workspace"], recorded.get("workspace") or {}))
    was_logs = recorded.get("flow_logs") or {}
    for where, digest in sorted((current.get("flow_logs") or {}).items()):
        if where in was_logs and was_logs[where] != digest:
            out.append(f"{where}: its flow logs changed")
    return out


def recorded_inputs(plan: Any) -> dict[str, Any]:
    """The plan's `inputs` (a `planfile.Plan`); refused (exit 3) when it records none, or inputs
    of another version (an older sgharden's, which cannot be compared)."""
    inputs = plan.raw.get("inputs")
    if isinstance(inputs, dict) and inputs.get("version") == INPUTS_VERSION:
        return inputs
    found = (
        "records no inputs"
        if inputs is None
        else f"records inputs of version {inputs.get('version') if isinstance(inputs, dict) else inputs!r}, "
        f"not {INPUTS_VERSION}"
    )
    raise InputError(
        f"{plan.path}: the plan {found}, so nothing shows it was made from this snapshot and "
        "workspace (hand-made, edited, or written by an older sgharden)",
        hint="make it again with `sgharden propose --format json --output PLAN.json` "
        "from the snapshot and workspace you mean",
    )


def check_plan_itself(plan: Any) -> None:
    """For `apply`, which sees no snapshot (its drift check compares the live rules): refuse a
    plan whose keep + revoke rules are not the rules it records it was made from (edited after
    `propose`, or its inputs copied from another plan), and a plan that records no inputs."""
    recorded = recorded_inputs(plan)
    current = {
        "groups": {
            g.group_id: {"rules": rules_digest(r.rule for r in (*g.keep, *g.revoke))}
            for g in plan.groups
        }
    }
    refuse_mismatch(plan.path, recorded, current, "its own keep and revoke lists")


def check_against_workspace(plan: Any, con: Any, interfaces: list[str], against: str) -> None:
    """Refuse (exit 3) a replay over other flow-log data than the plan was made from."""
    recorded = recorded_inputs(plan)
    current = {"workspace": workspace_inputs(con, interfaces, (plan.window_start, plan.window_end))}
    refuse_mismatch(plan.path, recorded, current, against)


def check_plan_against_workspace(plan: Any, con: Any, against: str) -> None:
    """For `apply --workspace` (no snapshot): the workspace part recomputed over the interfaces
    the plan records it covered."""
    recorded = recorded_inputs(plan)
    interfaces = (recorded.get("workspace") or {}).get("interfaces")
    if not isinstance(interfaces, list) or not all(isinstance(i, str) for i in interfaces):
        raise InputError(
            f"{plan.path}: inputs.workspace.interfaces: missing, so the workspace cannot be "
            "checked against the plan",
            hint="make the plan again with `sgharden propose --format json --output PLAN.json`",
        )
    check_against_workspace(plan, con, interfaces, against)


def check_against_snapshot(plan: Any, snapshot: Any) -> None:
    """Refuse (exit 3) a plan used with another snapshot than the one it was made from."""
    recorded = recorded_inputs(plan)
    ids = [g.group_id for g in plan.groups]
    current = snapshot_inputs(snapshot, ids, (plan.window_start, plan.window_end))
    groups = current["groups"]
    current["groups"] = {gid: groups.get(gid) for gid in ids}
    del current["window"]  # taken from the plan: the snapshot says nothing about it
    refuse_mismatch(plan.path, recorded, current, f"the snapshot {snapshot.root}")


def refuse_mismatch(plan_path: Path, recorded: Any, current: dict[str, Any], against: str) -> None:
    """One line, exit 3, when the plan was made from other inputs than `against` holds."""
    problems = plan_fingerprint_mismatches(recorded or {}, current)
    if problems:
        shown = "; ".join(problems[:4]) + (
            f"; and {len(problems) - 4} more" if len(problems) > 4 else ""
        )
        raise InputError(
            f"{plan_path}: made from other inputs than {against}: {shown}",
            hint="make a new plan from what is there now (`sgharden propose`)",
        )


def plan_fingerprint(plan_path: Path) -> str:
    """The identity of one plan: the sha256 of its canonical JSON (key order and whitespace do not
    count; the recorded inputs do)."""
    from sgharden.schema import load_json_strict

    document = load_json_strict(plan_path, InputError)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
