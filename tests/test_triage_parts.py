"""Triage one run of account/regions at a time (sgharden.triage_parts) gives exactly the triage of
the whole snapshot read at once: the same bytes in every format, on generated many-account
snapshots, on the bundled sample (with its flow logs) and on a copy of it in a second account;
and a snapshot whose sets hold each other's findings is read whole."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from pathlib import Path

import pytest

import sgharden.commands.triage as triage_command
from sgharden.acceptance import acceptances_for
from sgharden.analysis.triage import Ordering
from sgharden.commands.demo import sample_snapshot
from sgharden.commands.triage import triage_snapshot
from sgharden.pipeline import WindowRequest
from sgharden.render.triage import TriageFormat, triage_renderer
from sgharden.snapshot import snapshot_parts
from sgharden.triage_parts import triage_parts
from sgharden.workspace import open_workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from triage_snapshot import write_snapshot

SAMPLE_ACCOUNT = "111122223333"


def _rendered(snapshot: Path, workspace: Path, ordering: Ordering) -> dict[str, str]:
    result = triage_snapshot(snapshot, str(workspace), ordering)
    return {f.value: triage_renderer(f)(result) for f in TriageFormat}


def _whole(
    monkeypatch: pytest.MonkeyPatch, snapshot: Path, workspace: Path, ordering: Ordering
) -> dict[str, str]:
    """Today's path: the snapshot read whole, one plan of it all."""
    with monkeypatch.context() as m:
        m.setattr(triage_command, "snapshot_parts", lambda _root: None)
        return _rendered(snapshot, workspace, ordering)


def _streamed(
    monkeypatch: pytest.MonkeyPatch,
    snapshot: Path,
    workspace: Path,
    ordering: Ordering,
    chunk: int,
) -> dict[str, str]:
    with monkeypatch.context() as m:
        m.setattr("sgharden.triage_parts.CHUNK_FINDINGS", chunk)
        return _rendered(snapshot, workspace, ordering)


@pytest.mark.parametrize("ordering", list(Ordering))
def test_a_generated_many_account_snapshot_triages_the_same_streamed_as_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ordering: Ordering
) -> None:
    snap = tmp_path / "snap"
    write_snapshot(snap, accounts=3, regions=2, groups=5)
    parts = snapshot_parts(snap)
    assert parts is not None and len(parts) == 6
    whole = _whole(monkeypatch, snap, tmp_path / "whole.duckdb", ordering)
    document = json.loads(whole["json"])
    assert document["findings"] > 30 and len({t["account_id"] for t in document["targets"]}) == 3
    # one set a plan, three sets a plan (chunks of uneven size), and all of them in one plan
    for chunk in (1, 25, 10_000):
        streamed = _streamed(monkeypatch, snap, tmp_path / f"s{chunk}.duckdb", ordering, chunk)
        for fmt, text in whole.items():
            assert streamed[fmt] == text, (chunk, fmt)


def _sample_in_two_accounts(out: Path) -> Path:
    """The sample, and a copy of its one set under a second account id: the same ENI and group
    ids, so the sample's flow logs are its traffic too; its own findings' ids."""
    shutil.copytree(sample_snapshot(), out)
    source = out / SAMPLE_ACCOUNT / "eu-west-1"
    copy = out / "444455556666" / "eu-west-1"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("flow-logs"))
    for path in copy.glob("*.json"):
        path.write_text(
            path.read_text(encoding="utf-8").replace(SAMPLE_ACCOUNT, "444455556666"),
            encoding="utf-8",
        )
    return out


def test_the_sample_and_a_two_account_copy_with_flow_logs_triage_the_same_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for snap in (sample_snapshot(), _sample_in_two_accounts(tmp_path / "two")):
        # one workspace for both reads: the second finds every object in the manifest and
        # plans over the same records (ingesting the sample's 2,016 objects is most of the time)
        workspace = tmp_path / f"{snap.name}.duckdb"
        whole = _whole(monkeypatch, snap, workspace, Ordering.PRESSURE)
        document = json.loads(whole["json"])
        assert any(t["real_users"] > 0 for t in document["targets"])  # traffic was planned
        streamed = _streamed(monkeypatch, snap, workspace, Ordering.PRESSURE, 1)
        assert streamed == whole


def test_sets_that_hold_each_others_findings_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = tmp_path / "snap"
    write_snapshot(snap, accounts=2, regions=1, groups=5)
    first, second = sorted(snap.glob("*/*/findings.json"))
    # one finding of the first set moved into the second set's file
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (first, second))
    b["Findings"].append(a["Findings"].pop())
    first.write_text(json.dumps(a), encoding="utf-8")
    second.write_text(json.dumps(b), encoding="utf-8")
    parts = snapshot_parts(snap)
    assert parts is not None
    con = open_workspace(None)
    try:
        state = acceptances_for(None, date(2026, 12, 2))
        got = triage_parts(con, snap, parts, state, Ordering.SEVERITY, WindowRequest(), None)
    finally:
        con.close()
    assert got is None
    whole = _whole(monkeypatch, snap, tmp_path / "w.duckdb", Ordering.SEVERITY)
    assert _rendered(snap, tmp_path / "s.duckdb", Ordering.SEVERITY) == whole
