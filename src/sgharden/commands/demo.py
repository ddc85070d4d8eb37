"""`sgharden demo`: the whole offline pipeline on the bundled sample snapshot."""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

import click

from sgharden.analysis.options import PlannerOptions
from sgharden.analysis.triage import triage
from sgharden.commands.output_options import Voice, voice_options
from sgharden.errors import InputError
from sgharden.pipeline import WindowRequest, propose_snapshot
from sgharden.render.markdown import render_summary
from sgharden.render.table import render_table
from sgharden.resources import samples_dir
from sgharden.snapshot import load_snapshot


def sample_snapshot() -> Path:
    snapshot = samples_dir() / "snapshot"
    if not snapshot.is_dir():
        raise InputError(
            f"{snapshot}: the bundled sample snapshot is missing",
            hint="reinstall sgharden, or run samples/generate.py in a checkout",
        )
    return snapshot


@click.command("demo")
@voice_options
def command(voice: Voice) -> None:
    """Ingest the bundled sample into a temporary workspace and show the plan (no AWS needed)."""
    snapshot = sample_snapshot()
    voice.progress(f"sample snapshot: {snapshot}")
    with tempfile.TemporaryDirectory(prefix="sgharden-demo-") as tmp:
        voice.explain(f"workspace: {tmp}/demo.duckdb (thrown away after the demo)")
        plan = propose_snapshot(
            snapshot,
            str(Path(tmp) / "demo.duckdb"),
            WindowRequest(),
            PlannerOptions(),
            notes=voice.printer() if voice.verbose else None,
        )
    click.echo(render_table(plan))
    click.echo(render_summary(plan))
    click.echo("Triage: " + triage(plan.to_dict(), load_snapshot(snapshot)).summary_line())
    click.echo(demo_hint(snapshot))


def demo_hint(snapshot: Path) -> str:
    """Commands that paste as printed: one per format, the path quoted, an explicit workspace so
    nothing lands silently in the current directory."""
    snap = shlex.quote(str(snapshot))
    base = f"sgharden propose --snapshot {snap} --workspace demo.duckdb"
    return (
        "Full plan (paste one):\n"
        f"  {base} --format json --output plan.json\n"
        f"  {base} --format markdown --output plan.md"
    )
