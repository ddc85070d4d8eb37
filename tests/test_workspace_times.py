"""A workspace whose records lie outside the snapshot's time is said to be so, in one line with
what to do: records from well after the snapshot was taken (collect-report.json's
`collected_at`), or data that ends well before it (or before its findings were last updated).
Real DuckDB, the plan_small fixture (data 2026-11-01 to 2026-11-15), propose and triage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sgharden.cli import main

SMALL = Path(__file__).resolve().parent / "fixtures" / "plan_small" / "snapshot"


def _snapshot(tmp_path: Path, collected_at: str | None, findings_updated: str | None) -> Path:
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SMALL, snapshot)
    if collected_at is not None:
        report = {"collected_at": collected_at, "sets": [], "failures": []}
        (snapshot / "collect-report.json").write_text(json.dumps(report))
    if findings_updated is not None:
        path = snapshot / "findings.json"
        document = json.loads(path.read_text())
        for finding in document["Findings"]:
            finding["UpdatedAt"] = findings_updated
        path.write_text(json.dumps(document))
    return snapshot


def _propose(snapshot: Path, tmp_path: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(snapshot), "--workspace", str(tmp_path / "ws.duckdb"),
         "--quiet", "--format", "json", "--output", str(tmp_path / "plan.json"), *extra],
    )  # fmt: skip


def _warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "warning:" in line]


def test_records_from_days_after_the_snapshot_was_taken_are_warned_about(tmp_path: Path) -> None:
    result = _propose(_snapshot(tmp_path, "2026-11-12T09:30:00Z", None), tmp_path)
    assert result.exit_code == 0, result.output
    (line,) = _warnings(result)
    assert "up to 2026-11-15T00:00:00Z, 3 day(s) after the snapshot" in line
    assert "(2026-11-12T09:30:00Z)" in line
    assert "--until 2026-11-12T09:30:00Z" in line  # what to do, pasteable

    # the advice works: the window ended at the snapshot, nothing after it is in the plan
    ended = _propose(tmp_path / "snapshot", tmp_path, "--until", "2026-11-12T09:30:00Z")
    assert ended.exit_code == 0, ended.output
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["window"]["end"] == "2026-11-12T10:00:00Z"


def test_data_that_ends_weeks_before_the_snapshot_is_warned_about(tmp_path: Path) -> None:
    result = _propose(_snapshot(tmp_path, "2026-12-01T08:00:00Z", None), tmp_path)
    assert result.exit_code == 0, result.output
    (line,) = _warnings(result)
    assert "only up to 2026-11-15T00:00:00Z, 16 day(s) before the snapshot was taken" in line
    assert "ingest the logs up to the snapshot" in line and "new --workspace" in line


def test_without_a_collect_report_the_findings_bound_the_snapshots_time(tmp_path: Path) -> None:
    # an AWS CLI dump: no collected_at, but it cannot be older than its findings' last update
    result = _propose(_snapshot(tmp_path, None, "2026-11-20T06:00:00.000Z"), tmp_path)
    assert result.exit_code == 0, result.output
    (line,) = _warnings(result)
    assert "5 day(s) before its findings were last updated (2026-11-20T06:00:00Z" in line


@pytest.mark.parametrize(
    ("collected_at", "findings_updated"),
    [
        # collected in the last data hour but one: that hour's objects arrive after it
        ("2026-11-14T22:50:00Z", "2026-11-14T22:00:00Z"),
        # collected the evening after the data ends: less than a day, the same period
        ("2026-11-15T20:00:00Z", "2026-11-15T18:00:00Z"),
    ],
)
def test_a_snapshot_taken_as_its_data_ends_is_not_warned_about(
    tmp_path: Path, collected_at: str, findings_updated: str
) -> None:
    result = _propose(_snapshot(tmp_path, collected_at, findings_updated), tmp_path)
    assert result.exit_code == 0, result.output
    assert _warnings(result) == []


def test_triage_says_it_too(tmp_path: Path) -> None:
    snapshot = _snapshot(tmp_path, "2026-11-12T09:30:00Z", None)
    result = CliRunner().invoke(
        main,
        ["triage", "--snapshot", str(snapshot), "--workspace", str(tmp_path / "ws.duckdb"),
         "--quiet", "--format", "json", "--output", str(tmp_path / "triage.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert any("after the snapshot" in line for line in _warnings(result))
    triaged = json.loads((tmp_path / "triage.json").read_text())
    assert any("after the snapshot" in w for w in triaged["warnings"])


def test_a_collect_report_with_a_bad_time_is_one_line_and_exit_3(tmp_path: Path) -> None:
    result = _propose(_snapshot(tmp_path, "last tuesday", None), tmp_path)
    assert result.exit_code == 3
    assert "collect-report.json: collected_at 'last tuesday' is not an ISO 8601 time" in (
        result.stderr
    )


def test_the_report_collect_writes_is_the_one_the_snapshot_reads() -> None:
    from sgharden.aws.collect import REPORT_FILE
    from sgharden.snapshot import COLLECT_REPORT

    assert REPORT_FILE == COLLECT_REPORT
