"""The example each command's --help ends with, and the order `sgharden --help` lists them in.

Kept in one place (and set as click's epilog by cli.py) so every command has one, written the
same way, and a test can check that none is missing.
"""

from __future__ import annotations

import click

# the pipeline, in the order a user meets it; `sgharden --help` lists commands so
PIPELINE_ORDER = (
    "demo",
    "collect",
    "flow-logs",
    "ingest",
    "propose",
    "triage",
    "ticket",
    "dry-run",
    "apply",
    "stage",
    "promote",
    "verify",
    "rollback",
    "suppress",
    "recheck",
)

EXAMPLES = {
    "demo": "sgharden demo",
    "collect": "sgharden collect --out snapshot/ --region eu-west-1 --profile audit",
    "flow-logs": "sgharden flow-logs status --snapshot snapshot/",
    "flow-logs enable": (
        "sgharden flow-logs enable --snapshot snapshot/ --destination s3://flow-logs-bucket/vpc/"
    ),
    "flow-logs status": "sgharden flow-logs status --snapshot snapshot/ --workspace sgharden.duckdb",
    "flow-logs disable": "sgharden flow-logs disable --snapshot snapshot/",
    "ingest": "sgharden ingest s3://flow-logs-bucket/AWSLogs/ --workspace sgharden.duckdb",
    "propose": (
        "sgharden propose --snapshot snapshot/ --workspace sgharden.duckdb "
        "--format json --output plan.json"
    ),
    "triage": "sgharden triage --snapshot snapshot/ --plan plan.json --format html --output triage.html",
    "ticket": (
        "sgharden ticket plan.json --snapshot snapshot/ --workspace sgharden.duckdb --out tickets/"
    ),
    "dry-run": (
        "sgharden dry-run plan.json --snapshot snapshot/ --workspace sgharden.duckdb --check-aws "
        "--out tickets/"
    ),
    "apply": "sgharden apply plan.json --group sg-0123456789abcdef0 --backup-dir backups/",
    "stage": "sgharden stage status plan.json --snapshot snapshot/ s3://flow-logs-bucket/AWSLogs/",
    "stage status": (
        "sgharden stage status plan.json --snapshot snapshot/ s3://flow-logs-bucket/AWSLogs/"
    ),
    "promote": "sgharden promote plan.json --snapshot snapshot/ s3://flow-logs-bucket/AWSLogs/",
    "verify": (
        "sgharden verify plan.json --since 2026-11-16T09:30:00Z --snapshot snapshot/ "
        "s3://flow-logs-bucket/AWSLogs/"
    ),
    "rollback": "sgharden rollback backups/backup-20261116T093012123456Z.json",
    "suppress": "sgharden suppress --snapshot snapshot/ --accepted sgharden.toml --dry-run",
    "recheck": "sgharden recheck plan.json --snapshot snapshot/ --format markdown",
}


def with_example(command: click.Command, name: str) -> click.Command:
    """Set the command's (and its subcommands') example as the last thing its --help shows."""
    example = EXAMPLES.get(name)
    if example and not command.epilog:
        command.epilog = f"\b\nExample:\n  {example}"
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            with_example(sub, f"{name} {sub_name}")
    return command
