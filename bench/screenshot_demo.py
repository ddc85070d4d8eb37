"""Screenshot of the demo's report.html, for the README and docs (docs/demo-report.png).

Runs the demo's pipeline on the bundled sample (propose into a temporary workspace, then
`sgharden ticket` with that workspace, so the report carries the dry-run verdict) and has
headless Chromium (Debian's `chromium` package) take the picture. Run it again when the report's
template changes:

    .venv/bin/python bench/screenshot_demo.py [--out docs/demo-report.png] [--height 1400]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot

REPO = Path(__file__).resolve().parents[1]


def make_report(tmp: Path) -> Path:
    snapshot = str(sample_snapshot())
    workspace, plan, out = tmp / "demo.duckdb", tmp / "plan.json", tmp / "tickets"
    runner = CliRunner()
    for argv in (
        ["propose", "--snapshot", snapshot, "--workspace", str(workspace), "--quiet",
         "--format", "json", "--output", str(plan)],
        ["ticket", str(plan), "--snapshot", snapshot, "--workspace", str(workspace),
         "--out", str(out)],
    ):  # fmt: skip
        result = runner.invoke(main, argv)
        if result.exit_code != 0:
            sys.exit(f"sgharden {argv[0]} failed ({result.exit_code}): {result.output}")
    return out / "report.html"


def screenshot(page: Path, png: Path, width: int, height: int, profile: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (Debian: apt-get install chromium)")
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            "--hide-scrollbars",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "demo-report.png")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sgharden-shot-") as tmp:
        page = make_report(Path(tmp))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(page, args.out, args.width, args.height, Path(tmp) / "profile")
    print(f"{args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main_()
