"""Re-check a plan against a fresh snapshot (and the flow logs since): one event per fact.

Facts (`sgharden.recheck/v1`, docs/workflow.md):
- `new-finding`: an in-scope finding (ACTIVE + FAILED, after the dedupe) the plan does not know;
- `drift`: a planned group whose rules in the snapshot differ from what the plan expects (before
  apply: the rules it was made from; after apply: those it leaves);
- `still-active`: after apply, a finding of a changed group/resource still ACTIVE and FAILED;
- `real-user-rejected`: after apply, a former real user's connection REJECTed (change/verify.py).
- `would-cut`: before apply, a real (not scanner) source seen since the plan's window that the
  plan's rules would deny (the dry-run replay, change/replay.py, over the newer records).

Every event has a stable `key` (kind + the ids it is about), so a state file can remember what was
already notified and a notification carries only what is new.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from sgharden.atomic_write import write_atomically
from sgharden.change.replay import replay
from sgharden.change.verify import verify
from sgharden.errors import InputError
from sgharden.findings import in_scope
from sgharden.plan.read import Plan, parse_time
from sgharden.resources import query
from sgharden.snapshot import Snapshot

SCHEMA = "sgharden.recheck/v1"
KINDS = ("new-finding", "drift", "would-cut", "still-active", "real-user-rejected")


@dataclass(frozen=True)
class Event:
    kind: str
    account_id: str
    region: str
    target_id: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        ident = json.dumps([self.kind, self.account_id, self.region, self.target_id,
                            self.detail.get("id", "")])  # fmt: skip
        return hashlib.sha256(ident.encode()).hexdigest()[:24]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "key": self.key,
            "kind": self.kind,
            "account_id": self.account_id,
            "region": self.region,
            "target_id": self.target_id,
            "summary": self.summary,
            "detail": self.detail,
        }


def _rule_keys(rules: Iterable[Any]) -> set[tuple[Any, ...]]:
    return {r.key() for r in rules}


def recheck(
    plan: Plan,
    snapshot: Snapshot,
    applied: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
    since: datetime | None = None,
) -> list[Event]:
    """The facts about `plan` in `snapshot` (and, after apply, in the workspace since `since`)."""
    events: list[Event] = []
    known = {i for g in plan.groups for i in g.findings}
    known |= {str(i) for r in plan.resources for i in (r.raw.get("findings") or [])}
    unresolved = [str(u) for u in plan.settings.get("unresolved_findings", [])]
    findings = in_scope(snapshot.findings)
    for f in findings:
        if any(i in known for i in f.all_ids):
            continue
        if any(
            u.startswith((f"{f.control} {f.resource_id}:", f"{f.resource_id}:")) for u in unresolved
        ):
            continue
        events.append(Event("new-finding", f.account_id, f.region, f.resource_id,
                            f"new {f.control} finding on {f.resource_id} ({f.severity})",
                            {"id": f.finding_id, "control": f.control, "severity": f.severity}))  # fmt: skip
    drifted: set[str] = set()
    for g in plan.groups:
        inv = snapshot.inventory(g.account_id, g.region)
        group = inv.security_groups.get(g.group_id) if inv else None
        if group is None:
            continue
        before = _rule_keys(pr.rule for pr in (*g.revoke, *g.keep))
        changed = applied and g.has_changes
        expected = (
            (before - _rule_keys(pr.rule for pr in g.revoke))
            | _rule_keys(pr.rule for pr in g.authorize)
            if changed
            else before
        )
        live = _rule_keys(group.rules)
        if live != expected:
            drifted.add(g.group_id)
            added, removed = len(live - expected), len(expected - live)
            events.append(Event("drift", g.account_id, g.region, g.group_id,
                                f"{g.group_id} drifted from the plan: {added} rule(s) added, "
                                f"{removed} missing", {"id": "rules", "added": added,
                                                       "missing": removed}))  # fmt: skip
    if not applied and con is not None:
        events.extend(would_cut(con, plan, snapshot, since, drifted))
    if applied:
        active = {i: f for f in findings for i in f.all_ids}
        targets = [
            (g.account_id, g.region, g.group_id, g.findings) for g in plan.groups if g.has_changes
        ]
        targets += [(r.account_id, r.region, r.resource_id, tuple(str(i) for i in r.raw.get("findings") or ()))
                    for r in plan.resources if r.has_changes]  # fmt: skip
        for account, region, target, ids in targets:
            for i in ids:
                if i in active:
                    events.append(Event("still-active", account, region, target,
                                        f"{active[i].control} on {target} is still ACTIVE after the change",
                                        {"id": i, "control": active[i].control}))  # fmt: skip
        if con is not None and since is not None:
            result = verify(con, plan, since, snapshot)
            for r in result.real_users_rejected:
                events.append(Event("real-user-rejected", "", "", r.group_id,
                                    f"former real user {r.remote_addr} rejected on {r.interface_id} "
                                    f"port {r.port} ({r.connections} connections)",
                                    {"id": f"{r.interface_id}/{r.protocol}/{r.port}/{r.remote_addr}",
                                     **r.to_dict()}))  # fmt: skip
    return events


def would_cut(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    snapshot: Snapshot,
    since: datetime | None,
    drifted: set[str],
) -> list[Event]:
    """Before apply: real sources seen after the plan's window (or since `since`) that the plan
    would deny. The same replay as `dry-run`, over the newer records only (over the plan's own
    window a plan never cuts real use, by construction). Groups that drifted are left out: their
    live rules are no longer what the plan was made from, and the drift event already says so."""
    keep = tuple(g for g in plan.groups if g.group_id not in drifted)
    if not any(g.has_changes for g in keep):
        return []
    start = since or parse_time(plan.window_end)
    interfaces = sorted({e.interface_id for e in snapshot.all_interfaces()})
    (last,) = con.execute(query("rollup_last_hour"), {"interfaces": interfaces}).fetchone() or (
        None,
    )
    if last is None or last < start:
        return []
    result = replay(con, replace(plan, groups=keep), snapshot, (start, last + timedelta(hours=1)))
    where = {g.group_id: (g.account_id, g.region) for g in keep}
    events = []
    for d in result.unsafe:
        for gid in d.group_ids:
            account, region = where.get(gid, ("", ""))
            port = "any port" if d.port is None else f"port {d.port}"
            events.append(Event("would-cut", account, region, gid,
                                f"{gid}: new real source {d.remote_addr} on {d.interface_id} {port} "
                                f"({d.connections} connections since {result.window_start}) would "
                                f"be cut by the plan: re-run propose before apply",
                                {"id": f"{d.interface_id}/{d.protocol}/{d.port}/{d.remote_addr}",
                                 **d.to_dict()}))  # fmt: skip
    return events


def needs_attention(events: Iterable[Event]) -> bool:
    return any(True for _ in events)


def digest(events: list[Event], fresh: set[str] | None = None) -> str:
    """The Markdown digest; `fresh` (keys not notified before) marks what is new."""
    from sgharden.render.escape import markdown_text

    if not events:
        return "# sgharden recheck\n\nNothing needs attention.\n"
    lines = ["# sgharden recheck", ""]
    for kind in KINDS:
        items = [e for e in events if e.kind == kind]
        if not items:
            continue
        lines.append(f"## {kind} ({len(items)})\n")
        for e in items:
            mark = " **new**" if fresh is not None and e.key in fresh else ""
            place = f"{e.account_id}/{e.region} " if e.account_id else ""
            lines.append(f"- {markdown_text(place + e.summary)}{mark}")
        lines.append("")
    return "\n".join(lines)


def load_state(path: Path | None) -> set[str]:
    """The keys already notified (a JSON list); a missing file is an empty state."""
    if path is None or not path.exists():
        return set()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: not a recheck state file ({exc})", hint="delete it to start over"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("notified"), list):
        raise InputError(
            f"{path}: notified: expected a list of event keys", hint="delete it to start over"
        )
    return {str(k) for k in document["notified"]}


def save_state(path: Path, keys: set[str]) -> None:
    """Only facts still true are kept: a fact that went away and comes back is new again."""
    # whole or not at all: a state cut short would notify every fact again, or fail to load
    write_atomically(path, json.dumps({"schema": SCHEMA, "notified": sorted(keys)}, indent=1))
