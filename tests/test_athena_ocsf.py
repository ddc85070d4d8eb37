"""Security Lake through the Athena path: the OCSF vectors in a lake bucket (moto S3 over HTTP),
the lake's Glue table as Security Lake source version 1 (Hive partitions region/accountid/
eventday) or 2 (Iceberg: columns region/accountid/time_dt), Athena's SQL played by DuckDB
(tests/athena_standin.py). The roll-up equals the local engine's on the original records."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pytest
from athena_standin import AthenaStandIn
from ocsf_vectors import SCHEMA, SOURCE_FILES, parquet_objects, partition, source_records
from test_ocsf import summary

from sgharden.aws.clients import AwsContext
from sgharden.flowlogs.engines.athena import AthenaEngine, AthenaOptions, Snapshot
from sgharden.flowlogs.ingest import ingest
from sgharden.workspace import open_workspace

LAKE = "aws-security-data-lake-us-east-1-abcdef"
TABLE = "amazon_security_lake_table_us_east_1_vpc_flow_2_0"
DATABASE = "amazon_security_lake_glue_db_us_east_1"
RESULTS = "s3://athena-results/x/"


def hive_type(t: pa.DataType) -> str:
    """A pyarrow type as Glue spells it (struct<ip:string,...>)."""
    if pa.types.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{hive_type(f.type)}" for f in t) + ">"
    if pa.types.is_list(t):
        return f"array<{hive_type(t.value_type)}>"
    names = {pa.int32(): "int", pa.int64(): "bigint", pa.string(): "string"}
    return names.get(t, "timestamp")


def lake_table(version: str) -> None:
    """The Glue table Security Lake keeps over its bucket."""
    keys = ["region", "accountid", "eventday"] if version == "v1" else []
    columns = [
        {"Name": f.name, "Type": hive_type(f.type)} for f in SCHEMA if f.name not in set(keys)
    ]
    boto3.client("glue").create_database(DatabaseInput={"Name": DATABASE})
    boto3.client("glue").create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": TABLE,
            "StorageDescriptor": {"Columns": columns, "Location": f"s3://{LAKE}/aws/VPC_FLOW/2.0/"},
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in keys],
            "Parameters": {"table_type": "ICEBERG"} if version == "v2" else {},
        },
    )


def lake_engine(vectors: Path, version: str, con: Any) -> Any:
    """The OCSF vectors in a lake bucket with its Glue table; returns run(options)."""
    records = source_records(vectors)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=LAKE)
    s3.create_bucket(Bucket="athena-results")
    for key, body in parquet_objects(records).items():
        s3.put_object(Bucket=LAKE, Key=key, Body=body)
    lake_table(version)
    stand_in = AthenaStandIn()
    ctx = AwsContext(hooks=(stand_in.hook(),))
    parts = {partition(r) for r in records}
    days = sorted({datetime.strptime(d, "%Y%m%d").date() for _, _, d in parts})
    pairs = tuple(sorted({(a, r) for r, a, _ in parts}))
    interfaces = tuple(sorted({r["interface_id"] for r in records}))

    def run(**options: Any) -> Any:
        athena = AthenaOptions(DATABASE, "primary", RESULTS, table=TABLE, **options)
        engine = AthenaEngine(con, athena, lambda service: ctx.client(service))
        return engine.run(Snapshot(pairs, interfaces), days)

    return run, stand_in


@pytest.mark.parametrize("version", ["v1", "v2", "v2-split"])
def test_security_lake_through_athena_equals_original_records(
    aws: str, tmp_path: Path, vectors: Path, version: str
) -> None:
    con = open_workspace(tmp_path / "lake.duckdb")
    run, stand_in = lake_engine(vectors, version.split("-")[0], con)
    limit = {}
    if version.endswith("split"):  # a query limit just below the statements' splits them
        whole = run(dry_run=True).statements
        assert not stand_in.executed
        limit = {"query_limit": max(len(s.encode()) for s in whole.values()) - 1}
    report = run(**limit)
    assert len(stand_in.executed) == len(report.statements)
    assert len(report.statements) % 3 == 0 and (len(report.statements) > 3) == bool(limit)
    rollup = report.statements["rollup"]
    if version == "v1":
        assert "\"eventday\" = '20190826'" in rollup
    else:
        assert "\"time_dt\" >= CAST('2019-08-26 00:00:00' AS TIMESTAMP)" in rollup
    assert "ELEMENT_AT(src_endpoint.intermediate_ips, 1)" in rollup and "class_uid = 4001" in rollup

    original = open_workspace(None)
    ingest(original, [str(vectors / "flowlogs" / f) for f in SOURCE_FILES])
    expected, got = summary(original), summary(con)
    # A record without a region field (formats before v4) takes its partition's region in
    # Athena, as a local object takes the one its S3 key names; these local files have none.
    for part in ("rollup", "hours", "events"):
        expected[part] = sorted((r[0], r[1] or "us-east-1", *r[2:]) for r in expected[part])
    assert expected["rollup"] and expected["samples"] and expected["hours"]
    for part in expected:
        assert got[part] == expected[part], part
    assert report.records == sum(r[4] + r[5] + r[6] for r in got["hours"])
