"""A workspace reused for another snapshot is said to be so; the Markdown plan points a pip user
to a command, not to a file of the source tree. Real DuckDB, the plan_small fixture and the
bundled sample."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot

SMALL = Path(__file__).resolve().parent / "fixtures" / "plan_small" / "snapshot"


def test_a_workspace_holding_another_snapshots_data_is_warned_about(tmp_path: Path) -> None:
    workspace = tmp_path / "shared.duckdb"
    plan_md = tmp_path / "plan.md"
    first = CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(SMALL), "--workspace", str(workspace), "--quiet",
         "--format", "markdown", "--output", str(plan_md)],
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    assert "warning:" not in first.stderr  # its own data only
    text = plan_md.read_text()
    assert "sql/evidence.sql" not in text  # a pip user has no sql/ folder
    assert "sgharden ticket PLAN.json --snapshot SNAPSHOT --workspace WORKSPACE" in text

    second = CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(sample_snapshot()), "--workspace", str(workspace),
         "--no-ingest", "--format", "json", "--output", str(tmp_path / "other.json")],
    )  # fmt: skip
    warning = next(line for line in second.stderr.splitlines() if line.startswith("warning:"))
    assert "holds flow data of 3 interface(s) not in the snapshot" in warning
    assert "eni-0a0000000000000a1" in warning and "new --workspace" in warning
