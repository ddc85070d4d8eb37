"""The triage HTML in a real headless Chromium: it renders with no console message, the injected
markup from a plan stays text, and every bucket's table is in the DOM."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from test_report_browser import CHROMIUM, load

from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.triage import triage
from sgharden.commands.demo import sample_snapshot
from sgharden.pipeline import WindowRequest, propose_snapshot
from sgharden.render.triage import render_html
from sgharden.snapshot import load_snapshot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="chromium is not installed (apt-get install chromium); required when CI is set",
    ),
]


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ws = tmp_path_factory.mktemp("triage-html") / "w.duckdb"
    made = propose_snapshot(sample_snapshot(), str(ws), WindowRequest(), PlannerOptions())
    doc: dict[str, Any] = json.loads(json.dumps(made.to_dict()))
    return doc


def test_triage_html_renders_and_keeps_markup_from_the_plan_as_text(
    plan: dict[str, Any], tmp_path: Path
) -> None:
    doc = copy.deepcopy(plan)
    web = next(g for g in doc["groups"] if g["group_id"] == "sg-0aa00000000000002")
    web["status"] = "needs-decision"
    web["warnings"] = ['<img src=x onerror="console.error(1)">']
    result = triage(doc, load_snapshot(sample_snapshot()))
    page_path = tmp_path / "triage.html"
    page_path.write_text(render_html(result))
    page = load(page_path, tmp_path)
    assert page.console == []
    assert "<img" not in page.dom and "&lt;img src=x" in page.dom
    assert result.summary_line() in page.dom
    for bucket in ("fix now", "decide", "wait", "no change needed"):
        assert f'data-bucket="{bucket}"' in page.dom
