"""The Athena engine against a moto server (Athena, Glue, S3 over HTTP), Athena's SQL played by
DuckDB (tests/athena_standin.py): the exact statements sent, transpiled back, give the same
roll-up, samples and coverage as the local engine reading the same S3 objects."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from athena_standin import AthenaStandIn

from sgharden.aws.clients import AwsContext
from sgharden.flowlogs.engines.athena import AthenaEngine, AthenaOptions, Snapshot
from sgharden.flowlogs.engines.athena_sql import key_hash_expression
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.workspace import enable_s3, open_workspace

BUCKET, RESULTS = "org-flow-logs", "s3://athena-results/sgharden-test/"
DEFAULT_ACCOUNT, DEFAULT_REGION = "123456789010", "us-east-1"
TEXT_COLUMNS = [
    "version",
    "account_id",
    "interface_id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log_status",
    "tcp_flags",
    "flow_direction",
]
VECTOR_FILES = (
    "aws-docs/01_default_v2_examples.log",
    "aws-docs/02_tcp_flag_sequence_v3.log",
    "aws-docs/05_service_path_direction_v5.log",
    "otel-contrib/valid_vpc_flow_log.log",
    "otel-contrib/valid_vpc_flow_log_multi.log",
    "flowlogs-reader/v4_file_with_header_alpha_order.log",
)


def vector_records(vectors: Path) -> list[dict[str, Any]]:
    """The analysable records of the text vectors (parsed by the local engine)."""
    return records_of([str(vectors / "flowlogs" / f) for f in VECTOR_FILES])


def records_of(paths: list[str]) -> list[dict[str, Any]]:
    con = open_workspace(None)
    ingest(con, paths, IngestOptions(keep_records=True))
    columns = ", ".join(f'"{c}"' for c in TEXT_COLUMNS)
    cursor = con.execute(
        f"SELECT {columns}, region FROM flow_records "
        "WHERE interface_id IS NOT NULL AND start IS NOT NULL AND (log_status IN ('NODATA', "
        "'SKIPDATA') OR (srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND protocol IS NOT NULL))"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _partition(record: dict[str, Any]) -> tuple[str, str, date]:
    day = datetime.fromtimestamp(record["start"], UTC).date()
    account = record["account_id"] or ""
    # one vector carries an 11-digit account id: its objects go under the default account's prefix
    account = account if len(account) == 12 and account.isdigit() else DEFAULT_ACCOUNT
    return account, record["region"] or DEFAULT_REGION, day


def write_objects(records: list[dict[str, Any]], layout: str) -> set[tuple[str, str]]:
    """The records as a flow-log bucket holds them: Hive Parquet hourly, or gzip text daily."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    groups: dict[tuple[str, str, date], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(_partition(r), []).append(r)
    for (acct, region, day), rows in groups.items():
        name = f"{acct}_vpcflowlogs_{region}_fl-0123456789abcdef0_{day:%Y%m%d}T0000Z_a1"
        if layout == "hive":
            key = (
                f"flows/AWSLogs/aws-account-id={acct}/aws-service=vpcflowlogs/aws-region={region}/"
                f"year={day:%Y}/month={day:%m}/day={day:%d}/hour=00/{name}.log.parquet"
            )
            table = pa.Table.from_pylist([{c: r[c] for c in TEXT_COLUMNS} for r in rows])
            buf = io.BytesIO()
            pq.write_table(table, buf)
            body = buf.getvalue()
        else:
            key = f"flows/AWSLogs/{acct}/vpcflowlogs/{region}/{day:%Y/%m/%d}/{name}.log.gz"
            lines = [" ".join(c.replace("_", "-") for c in TEXT_COLUMNS)]
            lines += [
                " ".join("-" if r[c] is None else str(r[c]) for c in TEXT_COLUMNS) for r in rows
            ]
            body = gzip.compress(("\n".join(lines) + "\n").encode())
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    s3.create_bucket(Bucket="athena-results")
    return {(a, r) for a, r, _ in groups}


def hive_table() -> None:
    """An existing Glue table, as an organisation's flow-log integration would have made it."""
    glue = boto3.client("glue")
    string = lambda n: {"Name": n, "Type": "string"}  # noqa: E731
    glue.create_table(
        DatabaseName="flowlogs",
        TableInput={
            "Name": "vpc_flow_logs",
            "StorageDescriptor": {
                "Columns": [
                    {"Name": c, "Type": "bigint" if c in ("packets", "bytes", "start", "end") else
                     "int" if c in ("version", "srcport", "dstport", "protocol", "tcp_flags") else "string"}
                    for c in TEXT_COLUMNS
                ],
                "Location": f"s3://{BUCKET}/flows/AWSLogs/",
            },
            "PartitionKeys": [string(k) for k in ("aws-account-id", "aws-service", "aws-region", "year", "month", "day", "hour")],
            "Parameters": {"classification": "parquet"},
        },
    )  # fmt: skip


def _summary(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "rollup": con.execute(
            "SELECT account_id, region, interface_id, direction, basis, protocol, local_addr, "
            "service_port, remote_addr, remote_family, remote_hex, hour, sum(records), "
            "sum(connections), sum(packets_in), sum(bytes_in), sum(packets_out), sum(bytes_out), "
            "sum(accepted), sum(rejected), bit_or(tcp_flags), min(first_seen), max(last_seen) "
            "FROM flow_rollup GROUP BY ALL ORDER BY ALL"
        ).fetchall(),
        # The sample rule: per key the earliest record, remote -> interface on a tie. A tie beyond
        # that goes to the first read locally and to the smaller md5 in Athena (docs/athena.md),
        # so the record itself is checked apart (test below: it is a real record of the key).
        "samples": con.execute(
            "SELECT key_hash, direction, service_port, is_rx, interface_id, protocol, start "
            "FROM flow_sample_records ORDER BY ALL"
        ).fetchall(),
        "hours": con.execute(
            "SELECT account_id, region, interface_id, hour, sum(ok_records), sum(nodata_records), "
            "sum(skipdata_records) FROM interface_hours GROUP BY ALL ORDER BY ALL"
        ).fetchall(),
        "events": con.execute("SELECT * FROM coverage_events ORDER BY ALL").fetchall(),
    }


def _local(tmp_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    ctx = AwsContext()
    con = open_workspace(tmp_path / "local.duckdb")
    enable_s3(con, ctx.base_session())
    ingest(con, [f"s3://{BUCKET}/flows/"], IngestOptions(), lambda: ctx.client("s3"))
    return _summary(con)


@pytest.mark.parametrize("layout", ["hive", "projected", "text"])
def test_athena_rollup_equals_local(aws: str, tmp_path: Path, vectors: Path, layout: str) -> None:
    records = vector_records(vectors)
    pairs = write_objects(records, "text" if layout == "text" else "hive")
    stand_in = AthenaStandIn()
    ctx = AwsContext(hooks=(stand_in.hook(),))
    boto3.client("glue").create_database(DatabaseInput={"Name": "flowlogs"})
    if layout == "hive":
        hive_table()
        options = AthenaOptions("flowlogs", "primary", RESULTS)
    else:
        options = AthenaOptions(
            "flowlogs", "primary", RESULTS, create_table="text_gz" if layout == "text" else "projected_parquet",
            table_location=f"s3://{BUCKET}/flows/AWSLogs/",
        )  # fmt: skip
    days = sorted({_partition(r)[2] for r in records})
    interfaces = tuple(sorted({r["interface_id"] for r in records}))
    con = open_workspace(tmp_path / "athena.duckdb")
    engine = AthenaEngine(con, options, lambda service: ctx.client(service))
    report = engine.run(Snapshot(tuple(sorted(pairs)), interfaces), days)

    assert len(stand_in.executed) == 3  # rollup, interface_hours, coverage_events
    assert report.records == len(records)
    remote, local = _summary(con), _local(tmp_path)
    assert remote["rollup"] and remote["samples"] and remote["hours"]
    for part in remote:
        assert remote[part] == local[part], part
    # every sample Athena chose is one of the vectors' records
    chosen = con.execute(
        "SELECT interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start "
        "FROM flow_sample_records"
    ).fetchall()
    known = {
        tuple(r[c] for c in ("interface_id", "srcaddr", "dstaddr", "srcport", "dstport",
                             "protocol", "packets", "bytes", "start"))
        for r in records
    }  # fmt: skip
    assert chosen and set(chosen) <= known

    again = AthenaEngine(con, options, lambda service: ctx.client(service)).run(
        Snapshot(tuple(sorted(pairs)), interfaces), days
    )
    assert again.objects_skipped == len(days) and not again.statements
    assert len(stand_in.executed) == 3  # nothing sent again


def test_key_hash_is_rollup_batchs() -> None:
    from sgharden.resources import query

    expected = key_hash_expression().lower().replace(" ", "")
    assert expected in query("athena_load_rollup").lower().replace(" ", "").replace("\n", "")
