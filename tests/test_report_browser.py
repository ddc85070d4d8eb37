"""The HTML report in a real headless Chromium: it renders, runs its script without a console
message, sorts tables, draws one chart per rule with activity, and is screenshotted.

Driven through Chromium's command line (no Python browser driver): `--dump-dom` gives the DOM after
the page's scripts ran, `--enable-logging=stderr` prints every console message (errors, uncaught
exceptions, CSP violations) as a `CONSOLE` line, and `--screenshot` writes a PNG.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from sgharden.plan.read import load_plan
from sgharden.render.report import write_report
from sgharden.snapshot import load_snapshot

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "plan_small"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="chromium is not installed (apt-get install chromium); required when CI is set",
    ),
]


@dataclass
class Page:
    dom: str
    console: list[str]


def chromium_args(profile: Path) -> list[str]:
    if CHROMIUM is None:
        pytest.fail("CI is set but chromium is not installed: .ci/run must install it")
    return [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
    ]


def load(page: Path, tmp_path: Path) -> Page:
    result = subprocess.run(
        [*chromium_args(tmp_path / "profile-dom"), "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return Page(result.stdout, console)


def screenshot(page: Path, png: Path, tmp_path: Path) -> tuple[int, int]:
    subprocess.run(
        [
            *chromium_args(tmp_path / "profile-shot"),
            f"--screenshot={png}",
            "--window-size=1280,2400",
            "--hide-scrollbars",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    return write_report(
        load_plan(FIXTURE / "plan.json"), load_snapshot(FIXTURE / "snapshot"), out / "report.html"
    )


def test_console_check_catches_a_broken_script(tmp_path: Path) -> None:
    """The check below is only worth something if a JS error shows up in it."""
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!DOCTYPE html><html><body><p>x</p><script>undefinedFunction();</script></body></html>"
    )
    page = load(broken, tmp_path)
    assert any("Uncaught ReferenceError" in line for line in page.console), page.console


def test_report_renders_without_console_messages(report: Path, tmp_path: Path) -> None:
    page = load(report, tmp_path)
    assert page.console == []
    assert 'data-ready="true"' in page.dom  # the inline script ran to its end
    plan = load_plan(FIXTURE / "plan.json")
    with_activity = sum(
        1
        for g in plan.groups
        for rules in (g.revoke, g.authorize, g.keep)
        for pr in rules
        if pr.evidence.daily
    )
    assert page.dom.count('<svg class="activity"') == with_activity > 0
    assert page.dom.count('class="probe"') > 0 and page.dom.count('class="real"') > 0


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # and the page forbids itself any fetch


def test_sorting_works_in_the_browser(report: Path, tmp_path: Path) -> None:
    """Click a numeric header twice in the real page; the first row must follow."""
    probe = tmp_path / "sorted.html"
    clicker = """
<script>
var table = document.querySelector("table.sources");
var header = table.querySelectorAll("thead th")[2];
header.click();
var ascending = table.tBodies[0].rows[0].cells[2].dataset.value;
header.click();
var descending = table.tBodies[0].rows[0].cells[2].dataset.value;
document.body.dataset.sorted = ascending + "," + descending + "," + header.getAttribute("aria-sort");
</script>
</body>"""
    probe.write_text(report.read_text().replace("</body>", clicker))
    page = load(probe, tmp_path)
    assert page.console == []
    found = re.search(r'data-sorted="(\d+),(\d+),(\w+)"', page.dom)
    assert found, "the sorting probe did not run"
    low, high, order = int(found.group(1)), int(found.group(2)), found.group(3)
    assert low < high and order == "descending"


def test_screenshot(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    width, height = screenshot(report, png, tmp_path)
    assert (width, height) == (1280, 2400)
    assert png.stat().st_size > 20_000  # a blank page compresses to almost nothing
    keep = os.environ.get("SGHARDEN_SCREENSHOT_DIR")
    if keep:
        shutil.copy(png, Path(keep) / "report.png")


def test_the_demo_screenshot_script_still_runs(tmp_path: Path) -> None:
    """docs/demo-report.png is made by bench/screenshot_demo.py (README, docs/change.md): the
    script must keep working on the current report, or the picture can only go stale."""
    import sys

    script = Path(__file__).resolve().parents[1] / "bench" / "screenshot_demo.py"
    png = tmp_path / "demo.png"
    done = subprocess.run(
        [sys.executable, str(script), "--out", str(png), "--height", "600"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    assert width > 800 and height == 600
    assert png.stat().st_size > 20_000  # a blank page compresses to almost nothing
