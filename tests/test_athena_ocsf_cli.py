"""`--dry-run` over a Security Lake table: the sample snapshot's flow logs (three days) written as
OCSF into a lake bucket (moto over HTTP), `ingest --engine athena --table <the lake's table>`
prints the UNLOAD statements, the bytes of the selected lake partitions and the cost, and sends
no query."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from aws_seed import CallRecorder
from click.testing import CliRunner
from ocsf_vectors import parquet_objects, records_from
from test_athena_ocsf import DATABASE, LAKE, TABLE, lake_table

from sgharden.cli import main
from sgharden.snapshot import load_snapshot

SNAPSHOT = Path(__file__).resolve().parents[1] / "samples" / "snapshot"


def test_dry_run_over_security_lake_prints_statements_bytes_and_cost(aws: str) -> None:
    (folder,) = load_snapshot(SNAPSHOT).flow_log_dirs
    days = folder / "AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/10"
    records = records_from([str(days / d) for d in ("01", "02", "03")])
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=LAKE)
    for key, body in parquet_objects(records).items():
        s3.put_object(Bucket=LAKE, Key=key, Body=body)
    lake_table("v2")
    first = datetime.fromtimestamp(min(r["start"] for r in records), UTC).date()
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    until = since + timedelta(days=3)
    recorder = CallRecorder()
    args = ["ingest", "--snapshot", str(SNAPSHOT), "--workspace", ":memory:",
            "--engine", "athena", "--database", DATABASE, "--table", TABLE,
            "--results", "s3://athena-results/run/", "--since", since.isoformat(),
            "--until", until.isoformat(), "--dry-run", "--price-per-tb", "6"]  # fmt: skip
    result = CliRunner().invoke(main, args, obj={"aws_hooks": [recorder.hook()]})
    assert result.exit_code == 0, result.output
    assert "athena:StartQueryExecution" not in recorder.actions
    assert result.stdout.count("UNLOAD (") == 3
    assert "\"accountid\" IN ('111122223333')" in result.stdout
    assert "src_endpoint.interface_uid" in result.stdout
    held = sum(o["Size"] for o in s3.list_objects_v2(Bucket=LAKE)["Contents"])
    assert held > 0 and f"-- selected partitions hold {held:,} bytes" in result.stdout
    cost = re.search(r"~\$([0-9.]+) at \$6/TB", result.stdout)
    assert cost and float(cost[1]) == pytest.approx(round(held * 3 / 1e12 * 6, 4))
