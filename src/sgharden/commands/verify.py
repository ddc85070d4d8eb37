"""`sgharden verify PLAN.json --since ISO [SOURCE...]`: are real users rejected since the change?"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sgharden.change.verify import verify
from sgharden.commands.aws_options import AwsOptions, aws_line, s3_options
from sgharden.commands.input_options import plan_argument, snapshot_option
from sgharden.commands.output_options import Voice, emit, output_options, voice_options
from sgharden.commands.workspace_option import logs_workspace, workspace_option
from sgharden.errors import EXIT_SAFETY, InputError
from sgharden.pipeline import ingest_after_change
from sgharden.plan.read import load_plan, parse_time
from sgharden.render.verify_report import verify_text
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace


@click.command("verify")
@plan_argument
@click.argument("sources", nargs=-1)
@click.option(
    "--since", required=True, help="When the change was applied (ISO 8601, UTC if no offset)."
)
@workspace_option(
    "Workspace with the flow logs since the change (SOURCEs are ingested into it; created when "
    "absent). The plan's own workspace also knows every real user of the window."
)
@snapshot_option(required=False, purpose="More interfaces of the groups, and their addresses.")
@click.option(
    "--group", "groups", multiple=True, metavar="SG_ID", help="Only this group (repeatable)."
)
@output_options()
@voice_options
@s3_options
@click.pass_context
def command(
    ctx: click.Context,
    plan_path: Path,
    sources: tuple[str, ...],
    since: str,
    workspace: Path,
    snapshot_dir: Path | None,
    groups: tuple[str, ...],
    fmt: str,
    output: Path | None,
    voice: Voice,
    aws: AwsOptions,
) -> None:
    """Report REJECTed connections on the changed groups' ports since the change.

    Sources that were real users in the plan's evidence are listed apart from probes and others.
    Exit 5 when real users are being rejected: the signal to roll back.
    """
    plan = load_plan(plan_path)
    try:
        moment = parse_time(since)
    except ValueError:
        raise InputError(
            f"--since {since!r}: not an ISO 8601 time", hint="e.g. 2026-11-16T09:30:00Z"
        ) from None
    target = logs_workspace(workspace, sources, "verify needs the flow logs since the change")
    voice.explain(f"workspace: {target or 'in memory'}")
    snapshot = load_snapshot(snapshot_dir) if snapshot_dir else None
    con = open_workspace(target)
    if sources:
        aws_ctx = aws.context(ctx)
        if any(s.startswith("s3://") for s in sources):
            voice.explain(f"S3 reads: {aws_line(aws_ctx)}")
        report = ingest_after_change(con, list(sources), snapshot, aws_ctx)
        voice.progress(f"ingested {report.records:,} records from {report.objects_read} object(s)")
    result = verify(con, plan, moment, snapshot, groups)
    emit(verify_text(result, fmt), output, voice)
    if result.real_users_rejected:
        click.echo(
            f"sgharden: error: {len(result.real_users_rejected)} real source(s) rejected since "
            f"{since}: roll back with `sgharden rollback BACKUP.json`",
            err=True,
        )
        sys.exit(EXIT_SAFETY)
