"""`sgharden ingest SOURCE...`: flow-log objects into the DuckDB workspace."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sgharden.aws.clients import AwsContext
from sgharden.commands.aws_options import AwsOptions, aws_line, s3_options
from sgharden.commands.engine_options import (
    ENGINE_OPTION_NAMES,
    athena_options,
    dry_run_text,
    engine_options,
    query_progress,
    run_lines,
)
from sgharden.commands.input_options import snapshot_option
from sgharden.commands.output_options import Voice, emit, output_options, voice_options
from sgharden.commands.workspace_option import workspace_option, workspace_to_write
from sgharden.errors import EXIT_PARTIAL, InputError
from sgharden.flowlogs.fields import LogFormatError, parse_log_format
from sgharden.flowlogs.ingest import IngestOptions, ingest, iter_summary
from sgharden.pipeline import report_lines, s3_factory_for
from sgharden.render.rows import rows_text
from sgharden.workspace import enable_s3, open_workspace


def progress_printer(quiet: bool) -> object:
    """A progress callback writing to stderr on a terminal; None when quiet or not a TTY."""
    if quiet or not sys.stderr.isatty():
        return None
    import time

    started = time.perf_counter()

    def show(done: int, total: int, records: int) -> None:
        rate = records / max(time.perf_counter() - started, 1e-6)
        end = "\n" if done == total else ""
        click.echo(
            f"\r  objects {done}/{total}  records {records:,}  {rate:,.0f} records/s",
            err=True,
            nl=False,
        )
        if end:
            click.echo("", err=True)

    return show


@click.command("ingest")
@click.argument("sources", nargs=-1)
@workspace_option("DuckDB workspace file (created when absent).")
@output_options()
@voice_options
@click.option(
    "--log-format", help="Field order for objects without a header: '${version} ${account-id} ...'."
)
@click.option(
    "--flow-logs-json",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="describe-flow-logs output whose LogFormat applies to header-less objects (also found beside them).",
)
@click.option(
    "--keep-records", is_flag=True, help="Also store every parsed record in flow_records."
)
@snapshot_option(required=False, purpose="athena: the accounts, regions and interfaces to roll up.")
@click.option("--since", help="athena: first day (ISO 8601, UTC); default 14 days back.")
@click.option("--until", help="athena: end of the window (exclusive); default now.")
@engine_options
@s3_options
@click.pass_context
def command(
    ctx: click.Context,
    /,
    sources: tuple[str, ...],
    workspace: Path,
    fmt: str,
    output: Path | None,
    voice: Voice,
    aws: AwsOptions,
    log_format: str | None,
    flow_logs_json: tuple[Path, ...],
    keep_records: bool,
    snapshot_dir: Path | None,
    since: str | None,
    until: str | None,
    **engine: object,
) -> None:
    """Read VPC Flow Logs (text, gzip, Parquet, CloudWatch JSON; files, folders or s3://) into a workspace.

    With --engine athena the roll-up runs in Athena for --snapshot's accounts, regions and
    interfaces (no SOURCES) and only its result is loaded. Exit code 4 when any line or object
    was rejected (they are kept in the `rejects` table).
    """
    assert set(engine) == set(ENGINE_OPTION_NAMES)
    aws_ctx = aws.context(ctx)
    target = workspace_to_write(workspace)
    voice.explain(f"workspace: {target or 'in memory'}")
    if engine["engine"] == "athena":
        _athena(aws_ctx, target, fmt, output, voice, snapshot_dir, since, until, engine)
        return
    if not sources:
        raise click.UsageError("give at least one SOURCE (file, folder or s3:// prefix)")
    options = IngestOptions(
        log_format=_log_format(log_format) if log_format else None,
        flow_logs_json=flow_logs_json,
        keep_records=keep_records,
    )
    con = open_workspace(target)
    session, factory = s3_factory_for(list(sources), aws_ctx)
    if session is not None:
        voice.explain(f"S3 reads: {aws_line(aws_ctx)}")
        enable_s3(con, session)
    report = ingest(con, list(sources), options, factory, progress_printer(voice.quiet))  # type: ignore[arg-type]
    if fmt != "json":
        for line in report_lines(report):
            voice.progress(line)
    # The per-interface summary scans the whole roll-up: not for a quiet run to the terminal.
    if fmt == "json" or output is not None or not voice.quiet:
        summary = list(iter_summary(con))
        if fmt == "json":
            text = json.dumps(
                {"report": report.__dict__, "interfaces": summary}, default=str, indent=2
            )
        else:
            headers = list(summary[0]) if summary else ["interface"]
            text = rows_text(
                headers, [list(r.values()) for r in summary], fmt, empty="no interfaces"
            )
        emit(text, output, voice)
    if report.anything_rejected:
        sys.exit(EXIT_PARTIAL)


def _athena(
    aws_ctx: AwsContext,
    workspace: Path | None,
    fmt: str,
    output: Path | None,
    voice: Voice,
    snapshot_dir: Path | None,
    since: str | None,
    until: str | None,
    engine: dict[str, object],
) -> None:
    from sgharden.flowlogs.engines.athena_run import athena_rollup
    from sgharden.pipeline import parse_moment
    from sgharden.snapshot import load_snapshot

    if snapshot_dir is None:
        raise click.UsageError("--engine athena needs --snapshot (its accounts, regions, ENIs)")
    options = athena_options(engine)
    con = open_workspace(workspace)
    report = athena_rollup(
        con,
        load_snapshot(snapshot_dir),
        options,
        lambda service: aws_ctx.client(service),
        parse_moment(since),
        parse_moment(until),
        query_progress(voice.quiet),
    )
    if options.dry_run:
        emit(dry_run_text(report, options.price_per_tb), output, voice)
        return
    if fmt == "json":
        emit(json.dumps({"report": report.__dict__}, default=str, indent=2), output, voice)
    else:
        for line in run_lines(report):
            voice.progress(line)


def _log_format(text: str) -> tuple[str, ...]:
    try:
        return parse_log_format(text)
    except LogFormatError as exc:
        raise InputError(
            f"--log-format: {exc}",
            hint="write it as AWS does: '${version} ${account-id} ${interface-id} ...'",
        ) from None
