"""`sgharden verify PLAN.json --since ISO [SOURCE...]`: are real users rejected since the change?"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from tabulate import tabulate

from sgharden.change.verify import Rejection, ingest_after_change, verify
from sgharden.errors import EXIT_SAFETY, InputError
from sgharden.plan.read import load_plan, parse_time
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace


def _rows(items: list[Rejection]) -> list[list[object]]:
    return [
        [
            r.group_id,
            r.interface_id,
            f"{r.protocol}/{r.port}",
            r.remote_addr,
            r.rejected_records,
            r.first_seen,
            r.last_seen,
        ]
        for r in items
    ]


HEADERS = ["group", "interface", "proto/port", "remote", "rejected records", "first", "last"]


@click.command("verify")
@click.argument("plan_path", metavar="PLAN.json", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("sources", nargs=-1)
@click.option(
    "--since", required=True, help="When the change was applied (ISO 8601, UTC if no offset)."
)
@click.option(
    "--workspace",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Workspace with the flow logs since the change (SOURCEs are ingested into it; default: in memory).",
)
@click.option(
    "--snapshot",
    "snapshot_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The snapshot: more interfaces of the groups, and their addresses.",
)
@click.option(
    "--group", "groups", multiple=True, metavar="SG_ID", help="Only this group (repeatable)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def command(
    plan_path: Path,
    sources: tuple[str, ...],
    since: str,
    workspace: Path | None,
    snapshot_dir: Path | None,
    groups: tuple[str, ...],
    fmt: str,
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
    if not sources and workspace is None:
        raise InputError(
            "verify needs the flow logs since the change",
            hint="give them as SOURCE arguments (files, folders, s3://...) or --workspace PATH",
        )
    snapshot = load_snapshot(snapshot_dir) if snapshot_dir else None
    con = open_workspace(workspace)
    if sources:
        report = ingest_after_change(con, list(sources), snapshot)
        click.echo(
            f"ingested {report.records:,} records from {report.objects_read} object(s)", err=True
        )
    result = verify(con, plan, moment, snapshot, groups)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "since": since,
                    "groups": result.groups,
                    "real_users_rejected": [r.to_dict() for r in result.real_users_rejected],
                    "others_rejected": [r.to_dict() for r in result.others_rejected],
                },
                indent=2,
            )
        )
    else:
        click.echo(
            f"groups {', '.join(result.groups) or 'none'}; interfaces {', '.join(result.interfaces) or 'none'}; since {since}"
        )
        if result.real_users_rejected:
            click.echo("\nREAL USERS REJECTED (they used this access before the change):")
            click.echo(tabulate(_rows(result.real_users_rejected), headers=HEADERS))
        else:
            click.echo("\nno real user from before the change was rejected")
        if result.others_rejected:
            click.echo("\nrejected probes and other sources (expected after hardening):")
            click.echo(tabulate(_rows(result.others_rejected), headers=HEADERS))
    if result.real_users_rejected:
        click.echo(
            f"sgharden: error: {len(result.real_users_rejected)} real source(s) rejected since {since}: roll back with `sgharden rollback BACKUP.json`",
            err=True,
        )
        sys.exit(EXIT_SAFETY)
