"""Times as ISO 8601 with `Z`, everywhere (issue 11, One CLI): the demo's pipeline end to end
(propose, ticket, dry-run, verify, triage, recheck on the bundled sample, a real DuckDB), then
every file it wrote and every timestamp-looking value in it: each reads YYYY-MM-DDTHH:MM:SS[.f]Z.
No `+00:00`, no naive `2026-10-09 03:00:00`, no epoch seconds under a time's name.

One file is exempt, by design: a ticket's `snapshot.json` is the excerpt of the snapshot the
change rests on "as the AWS CLI wrote it" (render/extract.py), evidence a reviewer diffs against
the collected files, so its times are AWS's own (`AttachTime: ...+00:00`). The test checks that
every such time there is verbatim from the snapshot, and nothing sgharden wrote."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot

# anything that starts like a date followed by a time, with whatever zone it carries
TIME_LIKE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}| ?UTC)?"
)
ISO_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")
# names under which a number would be a time presented as epoch seconds
TIME_KEYS = re.compile(r"(^|_)(at|time|timestamp|since|until|start|end|seen|when)$")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-times")
    snapshot, workspace, plan = sample_snapshot(), root / "demo.duckdb", root / "plan.json"
    common = ("--snapshot", str(snapshot), "--workspace", str(workspace))
    result = run("propose", *common, "--quiet", "--format", "json", "--output", str(plan))
    assert result.exit_code == 0, result.output
    for fmt in ("table", "markdown"):
        result = run(
            "propose", *common, "--no-ingest", "--quiet", "--format", fmt,
            "--output", str(root / f"propose.{fmt}.txt"),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    result = run("ticket", str(plan), *common, "--out", str(root / "tickets"))
    assert result.exit_code == 0, result.output
    result = run(
        "dry-run", str(plan), *common, "--quiet", "--out", str(root / "dry-run"),
        "--format", "json", "--output", str(root / "dry-run.json"),
    )  # fmt: skip
    assert result.exit_code in (0, 5), result.output
    # since the middle of the window: the sample's rejections then fall after it
    window = json.loads(plan.read_text())["window"]
    start, end = (datetime.fromisoformat(window[k]) for k in ("start", "end"))
    since = (start + (end - start) / 2).strftime("%Y-%m-%dT%H:%M:%SZ")
    for fmt, name in (("json", "verify.json"), ("table", "verify.txt"), ("markdown", "verify.md")):
        result = run(
            "verify", str(plan), "--since", since, *common, "--quiet",
            "--format", fmt, "--output", str(root / name),
        )  # fmt: skip
        assert result.exit_code in (0, 5), result.output
    for fmt in ("json", "csv", "markdown", "html"):
        result = run(
            "triage", *common, "--plan", str(plan), "--no-ingest", "--quiet",
            "--format", fmt, "--output", str(root / f"triage.{fmt}"),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    result = run("recheck", str(plan), *common, "--quiet", "--format", "jsonl")
    assert result.exit_code in (0, 6), result.output
    (root / "recheck.jsonl").write_text(result.stdout)
    result = run("recheck", str(plan), *common, "--quiet", "--format", "markdown")
    assert result.exit_code in (0, 6), result.output
    (root / "recheck.md").write_text(result.stdout)
    return root


def _values(node: Any, path: str = "$") -> Iterator[tuple[str, str, Any]]:
    """(JSON path, key, value) of every scalar in a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from _values(value, f"{path}.{key}")
            else:
                yield f"{path}.{key}", str(key), value
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _values(value, f"{path}[{i}]")


def _documents(path: Path) -> list[Any]:
    if path.suffix == ".json":
        return [json.loads(path.read_text())]
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return []


def _bad_times(text: str) -> list[str]:
    return [m.group(0) for m in TIME_LIKE.finditer(text) if not ISO_Z.fullmatch(m.group(0))]


def test_every_output_file_writes_its_times_as_iso_8601_with_z(outputs: Path) -> None:
    files = sorted(p for p in outputs.rglob("*") if p.is_file() and p.suffix != ".duckdb")
    kinds = {p.suffix for p in files}
    # the walk saw each kind of file the pipeline writes
    assert {".json", ".jsonl", ".md", ".csv", ".html", ".sh", ".tf"} <= kinds, kinds
    names = {p.name for p in files}
    assert {"TICKET.md", "evidence.csv", "report.html", "dry-run.json", "verify.json"} <= names
    aws_own = {
        t for p in sample_snapshot().rglob("*.json") for t in _bad_times(p.read_text("utf-8"))
    }
    problems: list[str] = []
    times_seen = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        times_seen += len(ISO_Z.findall(text))
        bad = _bad_times(text)
        if path.name == "snapshot.json":  # AWS's JSON, verbatim (the docstring)
            bad = [t for t in bad if t not in aws_own]
        problems += [f"{path.relative_to(outputs)}: {t!r}" for t in bad]
        for doc in _documents(path):
            for where, key, value in _values(doc):
                if (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and TIME_KEYS.search(key)
                    and not key.endswith("epoch")
                ):
                    problems.append(f"{path.relative_to(outputs)} {where}: epoch {value!r}")
    assert not problems, "\n".join(problems[:40])
    assert times_seen > 100  # the walk saw times, so it could have failed


def test_the_plans_times_are_the_ones_a_reader_pastes(outputs: Path) -> None:
    doc = json.loads((outputs / "plan.json").read_text())
    for value in (doc["generated_at"], doc["window"]["start"], doc["window"]["end"]):
        assert ISO_Z.fullmatch(value), value


def test_the_check_catches_what_it_is_for() -> None:
    assert _bad_times("from 2026-10-09T03:00:00+00:00 to 2026-10-09 05:00:00 (UTC)") == [
        "2026-10-09T03:00:00+00:00",
        "2026-10-09 05:00:00",
    ]
    assert _bad_times("2026-10-09T03:00 and 2026-10-09 03:00 UTC") == [
        "2026-10-09T03:00",
        "2026-10-09 03:00 UTC",
    ]
    assert _bad_times("2026-10-09T03:00:00Z, 2026-10-09T03:00:00.250Z, day 2026-10-09") == []
    assert TIME_KEYS.search("generated_at") and TIME_KEYS.search("first_seen")
    assert not TIME_KEYS.search("connections") and not TIME_KEYS.search("start_epoch")
