"""Plays Athena's part for the tests, openly: moto records queries but runs no SQL.

Registered as a botocore hook on the product's own clients (`after-call.athena.
StartQueryExecution`), it reads the query string back through moto's API (GetQueryExecution), and
- for `CREATE EXTERNAL TABLE`: creates the Glue table through moto's Glue API, with the columns,
  partition keys and location the DDL names (what Athena does on the caller's behalf);
- for `UNLOAD (query) TO 's3://...'`: transpiles the query from Trino to DuckDB with sqlglot,
  runs it in DuckDB over the table's S3 objects (downloaded from moto), and writes the result as
  Parquet to the named S3 folder.
Everything else is real: the product's requests, moto's S3, Glue and Athena APIs over HTTP.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import duckdb
import sqlglot

_COLUMN = re.compile(r"`([A-Za-z0-9_-]+)` (int|bigint|string)")
_UNLOAD = re.compile(
    r"^UNLOAD \((?P<query>.*)\) TO '(?P<target>s3://[^']+)' WITH \(format = 'PARQUET'\)$", re.S
)
_HIVE_PART = re.compile(r"([A-Za-z_-]+)=([^/]+)/")


@dataclass
class AthenaStandIn:
    executed: list[str] = field(default_factory=list)  # DuckDB SQL actually run

    def hook(self) -> tuple[str, Any]:
        def handler(parsed: dict[str, Any], **_: Any) -> None:
            self.play(parsed["QueryExecutionId"])

        return ("after-call.athena.StartQueryExecution", handler)

    def play(self, query_id: str) -> None:
        athena = boto3.client("athena")
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        text = execution["Query"]
        database = execution.get("QueryExecutionContext", {}).get("Database", "default")
        if text.startswith("CREATE EXTERNAL TABLE"):
            self._create_table(text)
            return
        match = _UNLOAD.match(text)
        assert match, f"the stand-in plays only CREATE EXTERNAL TABLE and UNLOAD: {text[:80]}"
        self._unload(match["query"], match["target"], database)

    def _create_table(self, ddl: str) -> None:
        name = re.search(r"`([^`]+)`\.`([^`]+)`", ddl)
        assert name
        columns_text, partitions_text = ddl.split("PARTITIONED BY", 1)
        columns = [{"Name": n, "Type": t} for n, t in _COLUMN.findall(columns_text)]
        keys = [{"Name": n, "Type": t} for n, t in _COLUMN.findall(partitions_text.split(")")[0])]
        location = re.search(r"LOCATION '([^']+)'", ddl)
        assert location
        props = dict(re.findall(r"'([^']+)' = '([^']*)'", ddl))
        boto3.client("glue").create_table(
            DatabaseName=name[1],
            TableInput={
                "Name": name[2],
                "StorageDescriptor": {"Columns": columns, "Location": location[1]},
                "PartitionKeys": keys,
                "Parameters": props,
                "TableType": "EXTERNAL_TABLE",
            },
        )

    def _unload(self, trino_query: str, target: str, database: str) -> None:
        duck_sql = sqlglot.transpile(trino_query, read="trino", write="duckdb")[0]
        self.executed.append(duck_sql)
        with tempfile.TemporaryDirectory() as tmp:
            con = duckdb.connect()
            tables = sqlglot.parse_one(duck_sql, read="duckdb").find_all(sqlglot.exp.Table)
            for db, table in {(t.db, t.name) for t in tables if t.db}:
                _table_view(con, db, table, Path(tmp))
            out = Path(tmp) / "result.parquet"
            con.execute(f"COPY ({duck_sql}) TO '{out}' (FORMAT parquet)")
            bucket, _, prefix = target[len("s3://") :].partition("/")
            boto3.client("s3").upload_file(str(out), bucket, f"{prefix}part-00000.parquet")


def _table_view(con: duckdb.DuckDBPyConnection, db: str, table: str, tmp: Path) -> None:
    """The Glue table as a DuckDB view: its columns, its partition columns from the keys, $path."""
    glue = boto3.client("glue").get_table(DatabaseName=db, Name=table)["Table"]
    storage = glue["StorageDescriptor"]
    columns = [(c["Name"], c["Type"]) for c in storage["Columns"]]
    keys = [k["Name"] for k in glue.get("PartitionKeys", [])]
    bucket, _, prefix = storage["Location"][len("s3://") :].partition("/")
    s3 = boto3.client("s3")
    sql_types = {"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR"}
    rows = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            local = tmp / f"obj{len(rows)}"
            s3.download_file(bucket, item["Key"], str(local))
            rows.append(
                (
                    f"s3://{bucket}/{item['Key']}",
                    str(local),
                    _partitions(item["Key"][len(prefix) :], keys),
                )
            )
    selects = []
    for url, local, parts in rows:
        cols = ", ".join(f'"{n}"' for n, _ in columns)
        if not glue["Parameters"].get("skip.header.line.count"):
            # Athena reads a column the Parquet object lacks as NULL
            present = {
                r[0]
                for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{local}')").fetchall()
            }
            cols = ", ".join(
                f'"{n}"' if n in present else f'NULL::{sql_types[t]} AS "{n}"' for n, t in columns
            )
        if glue["Parameters"].get("skip.header.line.count"):  # gzip text
            types = "{" + ", ".join(f"'{n}': '{sql_types[t]}'" for n, t in columns) + "}"
            source = f"read_csv('{local}', delim=' ', header=true, columns={types}, nullstr='-', auto_detect=false, compression='gzip')"
        else:
            source = f"read_parquet('{local}')"
        extra = "".join(f"'{v}' AS \"{k}\", " for k, v in parts.items())
        selects.append(f"SELECT {cols}, {extra}'{url}' AS \"$path\" FROM {source}")
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{db}"')
    con.execute(f'CREATE VIEW "{db}"."{table}" AS ' + " UNION ALL BY NAME ".join(selects))


def _partitions(relative_key: str, keys: list[str]) -> dict[str, str]:
    """Partition values from a key: Hive name=value prefixes, else the plain layout's folders."""
    # Hive names compared lower-case, as Glue keeps them (Security Lake writes accountId=)
    hive = {k.lower(): v for k, v in _HIVE_PART.findall(relative_key)}
    if hive or not keys:
        values = {k: hive.get(k.lower(), hive.get(k.lower().replace("_", "-"), "")) for k in keys}
        return values
    account, _, region, y, m, d = relative_key.split("/")[:6]
    plain = {"aws_account_id": account, "aws_region": region, "date": f"{y}/{m}/{d}"}
    return {k: plain[k] for k in keys}
