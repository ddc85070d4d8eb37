"""`sgharden recheck PLAN.json --snapshot DIR`: what changed since the plan, one JSON event per fact,
a Markdown digest, an exit code, and optional delivery of only what was not notified before."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sgharden.act.notify import IAM_ACTIONS, deliver, parse_target
from sgharden.change.recheck import digest, load_state, recheck, save_state
from sgharden.commands.aws_options import AwsOptions, aws_line, aws_options
from sgharden.commands.input_options import plan_argument, snapshot_option
from sgharden.commands.output_options import Voice, voice_options
from sgharden.errors import EXIT_ATTENTION
from sgharden.pipeline import ingest_after_change, parse_moment
from sgharden.plan.read import load_plan
from sgharden.snapshot import load_snapshot
from sgharden.workspace import DEFAULT_WORKSPACE, open_workspace

__all__ = ["IAM_ACTIONS", "command"]


@click.command("recheck")
@plan_argument
@snapshot_option(purpose="A fresh one, to recheck the plan against.")
@click.option(
    "--applied", is_flag=True, help="The plan was applied: check what it should have fixed."
)
@click.option(
    "--since",
    help="After apply: when the change landed (ISO 8601); checks rejections. Before apply: where "
    "the check for new real sources starts (default: the end of the plan's window).",
)
@click.option(
    "--workspace",
    type=click.Path(dir_okay=False),
    help=f"DuckDB workspace (default {DEFAULT_WORKSPACE}). Before apply, giving it (or "
    "--flow-logs) also checks the records since the plan for real sources it would cut.",
)
@click.option("--flow-logs", "flow_logs", multiple=True, help="New flow logs to ingest first.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "markdown"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one sgharden.recheck/v1 event a line; markdown: the digest.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keys of facts already notified; --notify sends only the others, and updates it.",
)
@click.option(
    "--notify", "notify", multiple=True, help="eventbridge:BUS, sns:TOPIC-ARN, webhook:URL."
)
@voice_options
@aws_options
@click.pass_context
def command(
    click_ctx: click.Context,
    plan_path: Path,
    snapshot_dir: Path,
    applied: bool,
    since: str | None,
    workspace: str | None,
    flow_logs: tuple[str, ...],
    fmt: str,
    state_path: Path | None,
    notify: tuple[str, ...],
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Report new findings, drifted groups, new real sources the plan would cut (before apply),
    findings still ACTIVE after apply and former real users rejected. Exit 6 when anything needs
    attention, 0 when nothing does."""
    targets = [parse_target(n) for n in notify]
    plan = load_plan(plan_path)
    snapshot = load_snapshot(snapshot_dir)
    moment = parse_moment(since)
    ctx = aws.context(click_ctx)
    con = None
    if (applied and moment is not None) or (not applied and (workspace or flow_logs)):
        voice.explain(f"workspace: {workspace or DEFAULT_WORKSPACE}")
        con = open_workspace(workspace or DEFAULT_WORKSPACE)
        if flow_logs:
            ingest_after_change(con, list(flow_logs), snapshot, ctx)
    try:
        events = recheck(
            plan, snapshot, applied, con, moment.replace(tzinfo=None) if moment else None
        )
    finally:
        if con is not None:
            con.close()
    notified = load_state(state_path)
    fresh = [e for e in events if e.key not in notified]
    if fmt == "jsonl":
        for e in events:
            click.echo(json.dumps(e.to_dict()))
    else:
        click.echo(digest(events, {e.key for e in fresh}), nl=False)
    if targets and fresh:
        voice.explain(aws_line(ctx))
        for target in targets:
            sent = deliver(target, fresh, ctx)
            voice.progress(f"notified {target.kind}: {sent} new fact(s)")
    elif targets:
        voice.progress("nothing new to notify")
    if state_path is not None:
        # facts no longer true drop out: if one comes back it is news again
        save_state(state_path, {e.key for e in events} if targets else notified | set())
    if events:
        sys.exit(EXIT_ATTENTION)
