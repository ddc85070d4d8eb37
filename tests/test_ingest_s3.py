"""Ingest reads s3:// sources in place, through DuckDB's httpfs, from a real moto server over HTTP."""

from __future__ import annotations

import gzip
import io
import json

import boto3
from click.testing import CliRunner

from sgharden.cli import main
from sgharden.errors import EXIT_INPUT

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
ACCT, REGION = "111122223333", "eu-west-1"


def _record(src: str, sport: int, dport: int, start: int) -> str:
    return f"2 {ACCT} eni-0aaa1111bbbb2222c {src} 10.0.1.5 {sport} {dport} 6 12 5200 {start} {start + 60} ACCEPT OK"


def test_ingest_s3_in_place_text_and_parquet(aws: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="flow-bucket")
    key = (
        f"AWSLogs/{ACCT}/vpcflowlogs/{REGION}/2026/10/01/"
        f"{ACCT}_vpcflowlogs_{REGION}_fl-0123456789abcdef0_20261001T1000Z_ab12cd34.log.gz"
    )
    body = (
        "\n".join(
            [
                HEADER,
                _record("198.51.100.7", 50123, 443, 1790848800),
                _record("198.51.100.8", 50124, 443, 1790848900),
            ]
        )
        + "\n"
    )
    s3.put_object(Bucket="flow-bucket", Key=key, Body=gzip.compress(body.encode()))
    table = pa.table(
        {
            "version": pa.array([5], pa.int32()),
            "account_id": [ACCT],
            "interface_id": ["eni-0aaa1111bbbb2222c"],
            "srcaddr": ["203.0.113.9"],
            "dstaddr": ["10.0.1.5"],
            "srcport": pa.array([40000], pa.int32()),
            "dstport": pa.array([22], pa.int32()),
            "protocol": pa.array([6], pa.int32()),
            "packets": pa.array([3], pa.int64()),
            "bytes": pa.array([180], pa.int64()),
            "start": pa.array([1790852400], pa.int64()),
            "end": pa.array([1790852460], pa.int64()),
            "action": ["ACCEPT"],
            "log_status": ["OK"],
            "tcp_flags": pa.array([2], pa.int32()),
            "flow_direction": ["ingress"],
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    hive = (
        f"AWSLogs/aws-account-id={ACCT}/aws-service=vpcflowlogs/aws-region={REGION}/year=2026/"
        f"month=10/day=01/hour=11/{ACCT}_vpcflowlogs_{REGION}_fl-0123456789abcdef0_20261001T1100Z_ee.log.parquet"
    )
    s3.put_object(Bucket="flow-bucket", Key=hive, Body=buf.getvalue())

    ws = str(tmp_path / "ws.duckdb")
    runner = CliRunner()
    result = runner.invoke(
        main, ["ingest", "s3://flow-bucket/AWSLogs/", "--workspace", ws, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["report"]["records"] == 3 and out["report"]["objects_read"] == 2
    (iface,) = out["interfaces"]
    assert (iface["interface_id"], iface["account_id"], iface["region"]) == (
        "eni-0aaa1111bbbb2222c",
        ACCT,
        REGION,
    )

    import duckdb

    con = duckdb.connect(ws)
    rows = con.execute(
        "SELECT direction, service_port, remote_addr, sum(records) FROM flow_rollup GROUP BY ALL ORDER BY 2, 3"
    ).fetchall()
    assert rows == [
        ("inbound", 22, "203.0.113.9", 1),
        ("inbound", 443, "198.51.100.7", 1),
        ("inbound", 443, "198.51.100.8", 1),
    ]
    kinds = con.execute("SELECT kind, flow_log_id FROM ingested_objects ORDER BY kind").fetchall()
    assert kinds == [("parquet", "fl-0123456789abcdef0"), ("text-gz", "fl-0123456789abcdef0")]
    con.close()

    # a second run reads nothing again
    again = runner.invoke(
        main, ["ingest", "s3://flow-bucket/AWSLogs/", "--workspace", ws, "--format", "json"]
    )
    assert json.loads(again.stdout)["report"]["objects_skipped"] == 2


def test_missing_bucket_is_one_clear_line(aws: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        main, ["ingest", "s3://no-such-bucket/AWSLogs/", "--workspace", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == EXIT_INPUT
    assert result.output.strip() == (
        "sgharden: error: s3://no-such-bucket/AWSLogs/: bucket 'no-such-bucket' does not exist — check the name"
    )
