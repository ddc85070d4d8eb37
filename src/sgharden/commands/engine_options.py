"""--engine and the Athena options `ingest` and `propose` share, and how a run is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from sgharden.flowlogs.engines import Engine
from sgharden.flowlogs.engines.athena import DEFAULT_PRICE_PER_TB, AthenaOptions, AthenaReport
from sgharden.flowlogs.engines.athena_client import QueryProgress
from sgharden.flowlogs.engines.athena_tables import CREATABLE

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS: list[Callable[[F], F]] = [
    click.option(
        "--engine",
        type=click.Choice([e.value for e in Engine]),
        default=Engine.LOCAL.value,
        show_default=True,
        help="Where the roll-up runs: here (local) or in Athena over a Glue table (athena).",
    ),
    click.option("--database", help="athena: the Glue database of the flow-log table."),
    click.option("--workgroup", default="primary", show_default=True, help="athena: workgroup."),
    click.option("--results", metavar="S3URL", help="athena: s3:// folder for UNLOAD results."),
    click.option(
        "--table", default="vpc_flow_logs", show_default=True, help="athena: the Glue table."
    ),
    click.option(
        "--create-table",
        type=click.Choice(CREATABLE),
        help="athena: create the table (AWS's DDL for this layout) when it does not exist.",
    ),
    click.option(
        "--table-location",
        metavar="S3URL",
        help="athena: s3://BUCKET/PREFIX/AWSLogs/ to create it over.",
    ),
    click.option(
        "--dry-run", is_flag=True, help="athena: print the statements, bytes and cost; run nothing."
    ),
    click.option(
        "--max-scan-gb", type=float, help="athena: refuse a run estimated to scan more than this."
    ),
    click.option(
        "--price-per-tb",
        type=float,
        default=DEFAULT_PRICE_PER_TB,
        show_default=True,
        help="athena: USD per TB scanned, for the estimate.",
    ),
]


def engine_options(func: F) -> F:
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def athena_options(values: dict[str, Any]) -> AthenaOptions:
    """The AthenaOptions of the parsed options; usage errors for what Athena needs."""
    missing = [f"--{n}" for n in ("database", "results") if not values.get(n)]
    if missing:
        raise click.UsageError(f"--engine athena needs {' and '.join(missing)}")
    return AthenaOptions(
        database=values["database"],
        workgroup=values["workgroup"],
        results=values["results"],
        table=values["table"],
        create_table=values["create_table"],
        table_location=values["table_location"],
        dry_run=values["dry_run"],
        max_scan_gb=values["max_scan_gb"],
        price_per_tb=values["price_per_tb"],
    )


ENGINE_OPTION_NAMES = (
    "engine", "database", "workgroup", "results", "table", "create_table", "table_location",
    "dry_run", "max_scan_gb", "price_per_tb",
)  # fmt: skip


def query_progress(quiet: bool) -> QueryProgress | None:
    """One stderr line each time a query's state or scanned bytes change."""
    if quiet:
        return None
    last: dict[str, tuple[str, int]] = {}

    def show(part: str, state: str, scanned: int, query_id: str) -> None:
        if last.get(query_id) != (state, scanned):
            last[query_id] = (state, scanned)
            click.echo(
                f"  athena {part} {query_id} {state} {scanned / 1e6:,.1f} MB scanned", err=True
            )

    return show


def dry_run_text(report: AthenaReport, price_per_tb: float) -> str:
    lines = []
    for part, statement in report.statements.items():
        lines += [f"-- {part}", statement + ";", ""]
    days = ", ".join(d.isoformat() for d in report.days) or "none (all rolled up already)"
    lines += [
        f"-- days to roll up: {days} ({report.objects_skipped} already in the workspace)",
        f"-- selected partitions hold {report.partition_bytes:,} bytes "
        f"({report.partition_bytes / 1e9:,.3f} GB)",
        f"-- estimated scan: {report.estimated_scan_bytes / 1e9:,.3f} GB "
        f"({len(report.statements)} statements read them), "
        f"~${report.estimated_cost:,.4f} at ${price_per_tb:g}/TB",
    ]
    return "\n".join(lines) + "\n"


def run_lines(report: AthenaReport) -> list[str]:
    return [
        f"athena: {len(report.days)} day(s) rolled up, {report.objects_skipped} already in the "
        f"workspace; {report.records:,} records; {report.bytes_scanned / 1e9:,.3f} GB scanned "
        f"({', '.join(report.query_ids) or 'no queries'})",
    ]
