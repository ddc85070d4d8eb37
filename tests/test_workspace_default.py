"""One workspace default: every command's --workspace is ./sgharden.duckdb (issue 11, defect 8).

Each test runs in an empty folder of its own (conftest.py), so ./sgharden.duckdb is the test's.
Also the result options of dry-run, verify and flow-logs status (--format, --output) and
--quiet / --verbose, on the same small fixture.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sgharden.cli import main
from sgharden.errors import EXIT_INPUT

PLAN_SMALL = Path(__file__).parent / "fixtures" / "plan_small"
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
WEB_ENI = "eni-0a0000000000000a1"
IN_WINDOW = 1793750000  # inside plan_small's window
AFTER, AFTER_EPOCH = "2026-11-20T00:00:00Z", 1795219200  # the change, and a day later


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def log_file(path: Path, *records: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "\n" + "\n".join(records) + "\n")
    return path


def record(src: str, port: int, action: str, when: int) -> str:
    return f"2 123456789012 {WEB_ENI} {src} 10.0.1.10 50999 {port} 6 4 240 {when} {when + 20} {action} OK"


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    shutil.copytree(PLAN_SMALL / "snapshot", tmp_path / "snap")
    return tmp_path / "snap"


@pytest.fixture
def planned(snap: Path, tmp_path: Path) -> Path:
    """A plan made with the default workspace and one flow-log file outside the snapshot, so
    only ./sgharden.duckdb holds all of the plan's data."""
    extra = log_file(
        tmp_path / "extra" / "x.log", record("198.51.100.61", 8080, "ACCEPT", IN_WINDOW)
    )
    plan = tmp_path / "plan.json"
    made = run(
        "propose", "--snapshot", str(snap), "--flow-logs", str(extra), "--format", "json",
        "--output", str(plan), "--quiet",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert Path("sgharden.duckdb").is_file()
    return plan


def test_dry_run_replays_from_the_default_workspace(snap: Path, planned: Path) -> None:
    """Before, dry-run ingested only the snapshot's flow-logs/ in memory: not all the plan's data."""
    default = run("dry-run", str(planned), "--snapshot", str(snap), "--format", "json", "--verbose")
    assert default.exit_code == 0, default.output
    assert "workspace: sgharden.duckdb" in default.stderr
    memory = run(
        "dry-run", str(planned), "--snapshot", str(snap), "--format", "json",
        "--workspace", ":memory:",
    )  # fmt: skip
    # the snapshot's logs alone lack the record the plan rests on: the plan's inputs say so
    assert memory.exit_code == EXIT_INPUT, memory.output
    assert "1 fewer" in memory.output, memory.output


def test_dry_run_without_the_default_replays_the_snapshot_and_says_so(
    snap: Path, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    made = run(
        "propose", "--snapshot", str(snap), "--workspace", ":memory:", "--format", "json",
        "--output", str(plan),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert not Path("sgharden.duckdb").exists()  # :memory: leaves nothing behind
    result = run("dry-run", str(plan), "--snapshot", str(snap))
    assert result.exit_code == 0, result.output
    assert "replayed the flow logs in" in result.stderr
    assert "(no workspace at sgharden.duckdb)" in result.stderr
    missing = run("dry-run", str(plan), "--snapshot", str(snap), "--workspace", "other.duckdb")
    assert missing.exit_code == EXIT_INPUT and "other.duckdb: no workspace here" in missing.output


def test_verify_ingests_into_the_default_and_reads_it_back(snap: Path, planned: Path) -> None:
    after = log_file(Path("after") / "a.log", record("198.51.100.61", 8080, "REJECT", AFTER_EPOCH))
    first = run("verify", str(planned), str(after), "--since", AFTER, "--snapshot", str(snap))
    assert "ingested 1 records" in first.stderr, first.output
    # no SOURCE: the default workspace holds them now (before: "verify needs the flow logs")
    again = run(
        "verify", str(planned), "--since", AFTER, "--snapshot", str(snap), "--format", "json",
        "--output", "verify.json",
    )  # fmt: skip
    assert again.exit_code == first.exit_code, again.output
    verdict = json.loads(Path("verify.json").read_text())
    rejected = verdict["real_users_rejected"] + verdict["others_rejected"]
    assert [r["remote_addr"] for r in rejected] == ["198.51.100.61"]
    assert rejected[0]["first_seen"].endswith("Z")


def test_verify_without_logs_or_workspace_says_what_it_needs(snap: Path, planned: Path) -> None:
    Path("sgharden.duckdb").unlink()
    result = run("verify", str(planned), "--since", AFTER, "--snapshot", str(snap))
    assert result.exit_code == EXIT_INPUT
    assert "needs the flow logs since the change: no workspace at sgharden.duckdb" in result.output


def test_dry_run_formats_and_output(snap: Path, planned: Path) -> None:
    as_json = run(
        "dry-run", str(planned), "--snapshot", str(snap), "--format", "json", "--out", "d"
    )
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    written = json.loads(Path("d/dry-run.json").read_text())
    assert document["replay"] == written["replay"] and document["schema"] == "sgharden.dry-run/v1"
    table = run(
        "dry-run", str(planned), "--snapshot", str(snap), "--format", "table", "--output", "t.txt"
    )
    assert table.exit_code == 0 and table.stdout == "", table.output
    text = Path("t.txt").read_text()
    assert text.startswith("safe to apply") and "probe conns shut out" in text


def test_ticket_summary_formats(snap: Path, planned: Path) -> None:
    result = run("ticket", str(planned), "--snapshot", str(snap), "--out", "t", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {"path", "kind", "what"} == set(rows[0])
    assert any(r["kind"] == "report" and r["path"].endswith("report.html") for r in rows)
    assert any(r["kind"] == "dry-run" for r in rows)  # the default workspace was there


def test_quiet_silences_progress_and_verbose_explains(snap: Path, tmp_path: Path) -> None:
    args = ["propose", "--snapshot", str(snap), "--workspace", str(tmp_path / "q.duckdb")]
    quiet = run(*args, "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr
    loud = run(*args, "--verbose")
    assert loud.exit_code == 0, loud.output
    assert f"workspace: {tmp_path / 'q.duckdb'}" in loud.stderr
    assert "window: 2026-11-" in loud.stderr
    both = run(*args, "--quiet", "--verbose")
    assert both.exit_code == 2 and "not both" in both.output
