"""Triage end to end: the bundled sample, generated many-account snapshots, and plan statuses this
version does not know. Every in-scope finding lands in exactly one bucket, from the plan."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.triage import Bucket, Ordering, triage
from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot
from sgharden.commands.triage import triage_snapshot
from sgharden.findings import in_scope
from sgharden.pipeline import WindowRequest, propose_snapshot
from sgharden.render.triage import TriageFormat, render_csv, render_markdown, triage_renderer
from sgharden.snapshot import load_snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from triage_snapshot import write_snapshot

WEB = "sg-0aa00000000000002"
CANARY = "sg-0aa00000000000007"
DEFAULT = "sg-0aa00000000000001"
SUMMARY = re.compile(
    r"^[\d,]+ network findings → [\d,]+ groups( \+ [\d,]+ resources)?: [\d,]+ fix now "
    r"\([\d,]+ real users affected\), [\d,]+ decide, [\d,]+ wait( \(median [\d.]+ days\))?, "
    r"[\d,]+ accepted, [\d,]+ no change needed$"
)


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ws = tmp_path_factory.mktemp("triage") / "sample.duckdb"
    plan = propose_snapshot(sample_snapshot(), str(ws), WindowRequest(), PlannerOptions())
    doc: dict[str, Any] = json.loads(json.dumps(plan.to_dict()))
    return doc


def _placed(result_dict: dict[str, Any]) -> list[str]:
    return [i for t in result_dict["targets"] for i in t["findings"]]


def test_every_in_scope_finding_of_the_sample_is_in_exactly_one_bucket(
    sample_plan: dict[str, Any],
) -> None:
    snapshot = load_snapshot(sample_snapshot())
    result = triage(sample_plan, snapshot).to_dict()
    placed = _placed(result)
    assert sorted(placed) == sorted(f.finding_id for f in in_scope(snapshot.findings))
    assert len(placed) == len(set(placed))
    assert sum(t["findings"] for t in result["totals"]) == len(placed)
    by_id = {t["target_id"]: t for t in result["targets"]}
    # the canary's ENI has no flow log: wait for the whole window, with the command to start it
    assert by_id[CANARY]["bucket"] == "wait"
    assert by_id[CANARY]["uncovered_enis"] and by_id[CANARY]["days_to_go"] == 14
    assert "sgharden flow-logs enable --snapshot" in result["flow_logs_command"]
    # the web group's plan is ready: fix now, and its change cuts none of its real users
    assert by_id[WEB]["bucket"] == "fix now" and by_id[WEB]["real_users_affected"] == 0
    assert by_id[WEB]["real_users"] > 0 and by_id[WEB]["scanner_sources_per_day"] > 0
    # the unused default group: revoke everything, fix now
    assert by_id[DEFAULT]["bucket"] == "fix now"
    assert SUMMARY.match(result["summary"]), result["summary"]
    assert result["summary"].startswith(f"{len(placed)} network findings → 7 groups + 5 resources")


def test_a_revoked_real_user_the_rules_after_the_change_do_not_admit_is_counted(
    sample_plan: dict[str, Any],
) -> None:
    plan = copy.deepcopy(sample_plan)
    web = next(g for g in plan["groups"] if g["group_id"] == WEB)
    assert web["authorize"], "the web group narrows SSH to its admins"
    dropped = web["authorize"].pop()
    result = triage(plan, load_snapshot(sample_snapshot()))
    target = next(t for t in result.targets if t.target_id == WEB)
    assert target.real_users_affected >= 1, dropped
    assert "0 real users affected" not in result.summary_line()


@pytest.mark.parametrize("status", ["needs-decision", "some-future-status"])
def test_a_status_this_version_does_not_know_goes_to_decide_never_to_fix_now(
    sample_plan: dict[str, Any], status: str
) -> None:
    plan = copy.deepcopy(sample_plan)
    web = next(g for g in plan["groups"] if g["group_id"] == WEB)
    web["status"] = status
    web["warnings"] = ["22/tcp: 40 real sources cannot be narrowed to 10 prefixes"]
    target = next(
        t for t in triage(plan, load_snapshot(sample_snapshot())).targets if t.target_id == WEB
    )
    assert target.bucket is Bucket.DECIDE
    assert status in target.reason and "cannot be narrowed" in target.reason


def test_the_four_orderings_sort_each_bucket_by_their_own_measure(
    sample_plan: dict[str, Any],
) -> None:
    snapshot = load_snapshot(sample_snapshot())
    measures = {
        Ordering.PRESSURE: lambda t: -t.scanner_sources_per_day,
        Ordering.BLAST: lambda t: -t.enis,
        Ordering.EFFORT: lambda t: t.rules_to_change,
        Ordering.SEVERITY: lambda t: ["CRITICAL", "HIGH", "MEDIUM", "LOW"].index(t.severity),
    }
    orders = set()
    for ordering, measure in measures.items():
        result = triage(sample_plan, snapshot, ordering)
        fix_now = result.in_bucket(Bucket.FIX_NOW)
        values = [measure(t) for t in fix_now]
        assert values == sorted(values), ordering
        orders.add(tuple(t.target_id for t in fix_now))
    assert len(orders) > 1, "the orderings must not all give the same list"


def test_triage_of_a_generated_many_account_snapshot_through_the_cli(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    written = write_snapshot(snap, accounts=3, regions=2, groups=8)
    runner = CliRunner()
    out = tmp_path / "triage.json"
    result = runner.invoke(
        main,
        ["triage", "--snapshot", str(snap), "--workspace", str(tmp_path / "w.duckdb"),
         "--quiet", "--format", "json", "--output", str(out), "--order", "blast"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    snapshot = load_snapshot(snap)
    scoped = in_scope(snapshot.findings)
    assert len(snapshot.findings) == written > len(scoped)  # the CIS duplicates collapsed
    placed = _placed(doc)
    assert sorted(placed) == sorted(f.finding_id for f in scoped)
    dupes = [i for t in doc["targets"] for i in t["duplicate_findings"]]
    assert dupes and all("cis-aws-foundations" not in i for i in placed if i in dupes)
    accounts = {(t["account_id"], t["region"]) for t in doc["totals"]}
    assert len(accounts) == 6
    for t in doc["targets"]:
        inv = snapshot.inventory(t["account_id"], t["region"])
        assert inv is not None
        if t["kind"] != "group":
            continue
        group = inv.security_groups[t["target_id"]]
        # no flow data at all: groups with ENIs wait, groups without can be fixed now
        if group.is_default and t["enis"]:
            assert t["bucket"] == "decide" and "default group" in t["reason"]
        elif t["enis"]:
            assert t["bucket"] == "wait" and t["days_to_go"] == 14
        else:
            assert t["bucket"] == "fix now"
    assert {t["bucket"] for t in doc["targets"]} >= {"fix now", "decide", "wait"}
    assert any(t["uncovered_enis"] for t in doc["targets"])
    assert doc["summary"] in result.stderr.splitlines()


@pytest.mark.parametrize("fmt", list(TriageFormat))
def test_the_cli_writes_each_format_piece_by_piece_as_the_whole_text(
    tmp_path: Path, fmt: TriageFormat
) -> None:
    """--output FILE and stdout get the same bytes as the text rendered at once; the JSON is
    json.dumps(indent=2) of the triage's dict, and every output ends its last line."""
    snap = tmp_path / "snap"
    write_snapshot(snap, accounts=2, regions=1, groups=4)
    ws = tmp_path / "w.duckdb"
    args = [
        "triage",
        "--snapshot",
        str(snap),
        "--workspace",
        str(ws),
        "--quiet",
        "--format",
        fmt.value,
    ]
    out = tmp_path / f"triage.{fmt.value}"
    to_file = CliRunner().invoke(main, [*args, "--output", str(out)])
    assert to_file.exit_code == 0, to_file.output
    to_stdout = CliRunner().invoke(main, args)
    assert to_stdout.exit_code == 0, to_stdout.output
    written = out.read_bytes()
    assert to_stdout.stdout_bytes == written and written.endswith(b"\n")
    result = triage_snapshot(snap, str(ws), Ordering.SEVERITY, do_ingest=False)
    text = triage_renderer(fmt)(result)
    assert written.decode("utf-8") == (text if text.endswith("\n") else text + "\n")
    if fmt is TriageFormat.JSON:
        assert written.decode("utf-8") == json.dumps(result.to_dict(), indent=2) + "\n"
        assert len(result.targets) > 8


def test_every_format_renders_and_escapes_what_came_from_files(
    sample_plan: dict[str, Any],
) -> None:
    plan = copy.deepcopy(sample_plan)
    web = next(g for g in plan["groups"] if g["group_id"] == WEB)
    web["status"] = "needs-decision"
    web["warnings"] = ['=HYPERLINK("x") | `rm` <script>alert(1)</script>\x1b[31m']
    result = triage(plan, load_snapshot(sample_snapshot()))
    for fmt in TriageFormat:
        text = triage_renderer(fmt)(result)
        assert "\x1b" not in text, fmt  # JSON writes it as \u001b, the others drop it
        if fmt in (TriageFormat.MARKDOWN, TriageFormat.HTML):
            assert "<script>" not in text, fmt
    md = render_markdown(result)
    assert "\\| \\`rm\\` &lt;script&gt;" in md
    rows = list(csv.reader(io.StringIO(render_csv(result))))
    reason = next(r[-1] for r in rows if r[1] == WEB)
    assert reason.startswith("needs-decision")
    formula = next(r[-1] for r in rows if r[1] == WEB).split(": ", 1)[1]
    assert formula.startswith("=HYPERLINK")  # inside the cell, not at its start: harmless
    html = triage_renderer("html")(result)
    assert "&lt;script&gt;" in html and result.summary_line() in html
    assert json.loads(triage_renderer("json")(result))["schema"] == "sgharden.triage/v1"


def test_the_demo_prints_the_triage_summary_line() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    lines = [x for x in result.stdout.splitlines() if x.startswith("Triage: ")]
    assert len(lines) == 1 and SUMMARY.match(lines[0].removeprefix("Triage: ")), lines
    assert "7 groups + 5 resources" in lines[0] and "0 real users affected" in lines[0]
