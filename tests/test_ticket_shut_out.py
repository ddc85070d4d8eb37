"""The per-group line "shuts out N scanner sources; none was a real user" travels from the plan
JSON into the ticket; a malformed one is one line naming the field."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from test_ticket import PLAN, SNAPSHOT, WEB, plan_document

from sgharden.cli import main
from sgharden.errors import EXIT_INPUT

LINE = "shuts out 41 scanner source(s); none was a real user"


def _with_shut_out(tmp_path: Path, value: object) -> Path:
    doc = plan_document()
    for g in doc["groups"]:
        if g["group_id"] == WEB:
            g["shut_out"] = value
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    return path


def test_the_ticket_says_whom_the_change_shuts_out(tmp_path: Path) -> None:
    value = {"scanner_sources": 41, "real_sources": 2, "real_sources_cut": 0, "line": LINE}
    plan = _with_shut_out(tmp_path, value)
    out = tmp_path / "t"
    result = CliRunner().invoke(
        main, ["ticket", str(plan), "--snapshot", str(SNAPSHOT), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = (out / f"123456789012-us-east-1-{WEB}" / "TICKET.md").read_text()
    assert f"**This change {LINE}.**" in text


def test_a_plan_without_the_line_still_tickets(tmp_path: Path) -> None:
    out = tmp_path / "t"
    result = CliRunner().invoke(
        main, ["ticket", str(PLAN), "--snapshot", str(SNAPSHOT), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "This change shuts out"
        not in (out / f"123456789012-us-east-1-{WEB}" / "TICKET.md").read_text()
    )


def test_a_malformed_shut_out_is_one_line_naming_the_field(tmp_path: Path) -> None:
    plan = _with_shut_out(tmp_path, "lots")
    result = CliRunner().invoke(main, ["ticket", str(plan), "--out", str(tmp_path / "t")])
    assert result.exit_code == EXIT_INPUT
    assert "shut_out" in result.stderr and result.stderr.count("\n") == 1


def test_the_html_report_says_it_too_and_escapes_a_hostile_line(tmp_path: Path) -> None:
    from sgharden.plan.read import load_plan
    from sgharden.render.report import write_report

    good = _with_shut_out(tmp_path, {"line": LINE})
    html = write_report(load_plan(good), None, tmp_path / "r.html").read_text()
    assert f"This change {LINE}." in html
    hostile = _with_shut_out(tmp_path, {"line": "<img src=x onerror=alert(1)>"})
    html = write_report(load_plan(hostile), None, tmp_path / "r2.html").read_text()
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_a_hostile_line_is_escaped_in_the_ticket(tmp_path: Path) -> None:
    plan = _with_shut_out(tmp_path, {"line": "<img src=x onerror=alert(1)> [link](http://x)"})
    out = tmp_path / "t"
    result = CliRunner().invoke(main, ["ticket", str(plan), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / f"123456789012-us-east-1-{WEB}" / "TICKET.md").read_text()
    assert "<img" not in text and "[link](http://x)" not in text
