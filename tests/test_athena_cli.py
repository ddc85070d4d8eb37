"""`propose --engine athena` end to end against a moto server, Athena's SQL played by DuckDB
(tests/athena_standin.py): the plan equals the local engine's on the same S3 objects; --dry-run
prints the statements, the partitions' bytes and the cost and runs nothing; --max-scan-gb and an
Athena failure are one line (exit 3); the API calls made are the engine's declared IAM actions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from athena_standin import AthenaStandIn
from aws_seed import CallRecorder
from click.testing import CliRunner, Result
from test_athena_engine import BUCKET, hive_table, records_of, write_objects

from sgharden.aws.clients import AwsContext
from sgharden.cli import main
from sgharden.errors import EXIT_INPUT
from sgharden.flowlogs.engines.athena import IAM_ACTIONS
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.snapshot import load_snapshot
from sgharden.workspace import enable_s3, open_workspace

SNAPSHOT = Path(__file__).resolve().parents[1] / "samples" / "snapshot"
ATHENA = ["--engine", "athena", "--database", "flowlogs", "--results", "s3://athena-results/run/"]


@pytest.fixture
def org(aws: str) -> tuple[str, str]:
    """Three days of the sample's flow logs in an organisation bucket (Hive Parquet), with its
    Glue table (three days keep the test fast; --min-days 1 lets the plan decide on them)."""
    (folder,) = load_snapshot(SNAPSHOT).flow_log_dirs
    days = folder / "AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/10"
    records = records_of([str(days / d) for d in ("01", "02", "03")])
    write_objects(records, "hive")
    boto3.client("glue").create_database(DatabaseInput={"Name": "flowlogs"})
    hive_table()
    starts = [r["start"] for r in records]
    first = datetime.fromtimestamp(min(starts), UTC).replace(hour=0, minute=0, second=0)
    last = datetime.fromtimestamp(max(starts), UTC).replace(hour=0, minute=0, second=0)
    return first.isoformat(), (last + timedelta(days=1)).isoformat()


def run(args: list[str], hooks: list[Any]) -> Result:
    return CliRunner().invoke(main, args, obj={"aws_hooks": hooks})


def _plan(text: str) -> Any:
    """The plan, each quoted sample record reduced to its connection and time: which of two
    records of one connection in the same second is quoted is not decided by the rule, even
    locally (samples_insert.sql takes arg_min over roll-up rows of equal first_start; the notes
    of issue 13 say more), and Athena breaks the last tie by md5 (docs/athena.md)."""
    plan = json.loads(text)
    plan.pop("generated_at", None)

    def reduce(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: reduce(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [reduce(v, key) for v in node]
        if key == "sample" and isinstance(node, str):
            f = node.split()
            return (f[2], tuple(sorted((f[3], f[4]))), f[7], f[10])
        return node

    return reduce(plan)


def test_propose_through_athena_equals_local(org: tuple[str, str], tmp_path: Path) -> None:
    since, until = org
    window = ["--since", since, "--until", until, "--min-days", "1", "--format", "json", "--quiet"]
    snapshot = load_snapshot(SNAPSHOT)
    local_ws = tmp_path / "local.duckdb"
    con = open_workspace(local_ws)
    ctx = AwsContext()
    enable_s3(con, ctx.base_session())
    known = {e.interface_id: e.addresses for e in snapshot.all_interfaces()}
    ingest(
        con,
        [f"s3://{BUCKET}/flows/"],
        IngestOptions(known_addresses=known),
        lambda: ctx.client("s3"),
    )
    con.close()
    local = run(
        [
            "propose",
            "--snapshot",
            str(SNAPSHOT),
            "--workspace",
            str(local_ws),
            "--no-ingest",
            *window,
        ],
        [],
    )
    assert local.exit_code == 0, local.output

    stand_in, recorder = AthenaStandIn(), CallRecorder()
    args = [
        "propose",
        "--snapshot",
        str(SNAPSHOT),
        "--workspace",
        str(tmp_path / "a.duckdb"),
        *ATHENA,
        *window,
    ]
    remote = run([a for a in args if a != "--quiet"], [stand_in.hook(), recorder.hook()])
    assert remote.exit_code == 0, remote.output
    assert len(stand_in.executed) == 3
    # progress: each query's state and bytes scanned on stderr (moto reports 0 bytes)
    for part in ("rollup", "interface_hours", "coverage_events"):
        assert re.search(rf"athena {part} [0-9a-f-]{{36}} SUCCEEDED 0\.0 MB scanned", remote.stderr)
    assert "athena: " in remote.stderr and "3 day(s) rolled up" not in remote.stdout
    assert _plan(remote.stdout) == _plan(local.stdout)
    # the API operations as the IAM actions that allow them
    as_iam = {"s3:ListObjectsV2": "s3:ListBucket", "s3:HeadObject": "s3:GetObject"}
    assert {as_iam.get(a, a) for a in recorder.actions} <= set(IAM_ACTIONS)
    assert {"athena:StartQueryExecution", "athena:GetQueryExecution", "glue:GetTable"} <= set(
        recorder.actions
    )

    again = run(args, [stand_in.hook()])  # every day rolled up: nothing is sent again
    assert again.exit_code == 0 and len(stand_in.executed) == 3
    assert _plan(again.stdout) == _plan(local.stdout)


def test_dry_run_prints_statements_bytes_and_cost(org: tuple[str, str], tmp_path: Path) -> None:
    since, until = org
    recorder = CallRecorder()
    args = ["propose", "--snapshot", str(SNAPSHOT), "--workspace", str(tmp_path / "w.duckdb"), *ATHENA,
            "--since", since, "--until", until, "--dry-run", "--price-per-tb", "7"]  # fmt: skip
    result = run(args, [recorder.hook()])
    assert result.exit_code == 0, result.output
    assert "athena:StartQueryExecution" not in recorder.actions
    assert result.stdout.count("UNLOAD (") == 3
    assert "\"aws-account-id\" IN ('111122223333')" in result.stdout
    s3 = boto3.client("s3")
    held = sum(o["Size"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert f"-- selected partitions hold {held:,} bytes" in result.stdout
    cost = re.search(r"~\$([0-9.]+) at \$7/TB", result.stdout)
    assert cost and float(cost[1]) == pytest.approx(round(held * 3 / 1e12 * 7, 4))

    narrow = run([*args[:-2], "--until", since[:10] + "T23:00:00+00:00"], [])
    assert narrow.exit_code == 0
    assert re.search(r"days to roll up: \S+ \(", narrow.stdout)  # one day only


def test_max_scan_gb_refuses_in_one_line(org: tuple[str, str], tmp_path: Path) -> None:
    since, until = org
    args = ["propose", "--snapshot", str(SNAPSHOT), "--workspace", str(tmp_path / "w.duckdb"), *ATHENA,
            "--since", since, "--until", until, "--max-scan-gb", "0.000001"]  # fmt: skip
    result = run(args, [])
    assert result.exit_code == EXIT_INPUT
    (line,) = result.output.strip().splitlines()
    assert "above --max-scan-gb 1e-06" in line and "narrow the window" in line


def _fail_queries(reason: str) -> tuple[str, Any]:
    """Athena's part in a failure: the query ends FAILED with Athena's reason."""

    def handler(parsed: dict[str, Any], **_: Any) -> None:
        status = parsed["QueryExecution"]["Status"]
        status.update(State="FAILED", StateChangeReason=reason)

    return ("after-call.athena.GetQueryExecution", handler)


def test_athena_failure_is_one_line(org: tuple[str, str], tmp_path: Path) -> None:
    since, until = org
    reason = "COLUMN_NOT_FOUND: line 1:8: Column 'tcp_flags' cannot be resolved"
    args = ["ingest", "--snapshot", str(SNAPSHOT), "--workspace", str(tmp_path / "w.duckdb"), *ATHENA,
            "--since", since, "--until", until, "--quiet"]  # fmt: skip
    result = run(args, [AthenaStandIn().hook(), _fail_queries(reason)])
    assert result.exit_code == EXIT_INPUT
    (line,) = result.output.strip().splitlines()
    assert re.fullmatch(
        r"sgharden: error: Athena query [0-9a-f-]{36} \(rollup\) FAILED: " + re.escape(reason), line
    ), line
