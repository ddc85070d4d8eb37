"""The part of the snapshot a ticket rests on, as the AWS CLI wrote it (STYLE: the snapshot is
evidence — attach it): the group, its rules, its interfaces, the findings the change closes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sgharden.findings import finding_records
from sgharden.snapshot import SNAPSHOT_FILES, Snapshot


def _set_dir(snapshot: Snapshot, account_id: str, region: str) -> Path:
    nested = snapshot.root / account_id / region
    return nested if (nested / "security-groups.json").is_file() else snapshot.root


def _rows(directory: Path, name: str) -> list[dict[str, Any]]:
    path = directory / name
    if not path.is_file():
        return []
    key = SNAPSHOT_FILES[name][0]
    document = json.loads(path.read_text(encoding="utf-8"))
    if key == "Findings":
        return finding_records(document)
    return [r for r in document.get(key, []) if isinstance(r, dict)]


def group_extract(
    snapshot: Snapshot, account_id: str, region: str, group_id: str, finding_ids: tuple[str, ...]
) -> dict[str, Any]:
    directory = _set_dir(snapshot, account_id, region)
    wanted = set(finding_ids)
    findings = [f for f in _rows(directory, "findings.json") if f.get("Id") in wanted]
    if len(findings) < len(wanted) and directory != snapshot.root:
        findings += [f for f in _rows(snapshot.root, "findings.json") if f.get("Id") in wanted]
    return {
        "snapshot": str(snapshot.root),
        "account_id": account_id,
        "region": region,
        "SecurityGroups": [
            g for g in _rows(directory, "security-groups.json") if g.get("GroupId") == group_id
        ],
        "SecurityGroupRules": [
            r for r in _rows(directory, "security-group-rules.json") if r.get("GroupId") == group_id
        ],
        "NetworkInterfaces": [
            e
            for e in _rows(directory, "network-interfaces.json")
            if any(g.get("GroupId") == group_id for g in e.get("Groups", []))
        ],
        "Findings": findings,
    }
