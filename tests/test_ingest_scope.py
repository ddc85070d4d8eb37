"""Only the snapshot's accounts, regions, days and flow logs are listed and read from a shared bucket."""

from __future__ import annotations

import gzip
from datetime import date

import boto3

from sgharden.aws.clients import AwsContext
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.flowlogs.scope import s3_scope
from sgharden.workspace import enable_s3, open_workspace

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"


def _put(s3, acct: str, region: str, day: str, fl: str, hive: bool) -> str:  # type: ignore[no-untyped-def]
    y, m, d = day.split("-")
    name = f"{acct}_vpcflowlogs_{region}_{fl}_{y}{m}{d}T1000Z_aa.log.gz"
    if hive:
        key = (
            f"org/AWSLogs/aws-account-id={acct}/aws-service=vpcflowlogs/aws-region={region}/"
            f"year={y}/month={m}/day={d}/{name}"
        )
    else:
        key = f"org/AWSLogs/{acct}/vpcflowlogs/{region}/{y}/{m}/{d}/{name}"
    line = f"2 {acct} eni-0aaa1111bbbb2222c 198.51.100.7 10.0.1.5 50123 443 6 12 5200 1790848800 1790848860 ACCEPT OK"
    s3.put_object(
        Bucket="shared-flow-logs", Key=key, Body=gzip.compress(f"{HEADER}\n{line}\n".encode())
    )
    return f"s3://shared-flow-logs/{key}"


def test_scope_lists_and_reads_only_what_the_snapshot_needs(aws: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="shared-flow-logs")
    wanted = {
        _put(s3, "111122223333", "eu-west-1", "2026-10-01", "fl-0aaa", hive=False),
        _put(s3, "111122223333", "eu-west-1", "2026-10-02", "fl-0aaa", hive=True),
    }
    _put(s3, "111122223333", "eu-west-1", "2026-09-01", "fl-0aaa", hive=False)  # outside the window
    _put(s3, "111122223333", "eu-west-1", "2026-10-01", "fl-0bbb", hive=False)  # another flow log
    _put(s3, "444455556666", "eu-west-1", "2026-10-01", "fl-0ccc", hive=False)  # another account
    _put(s3, "111122223333", "us-east-1", "2026-10-01", "fl-0ddd", hive=True)  # another region

    scope = s3_scope(
        "s3://shared-flow-logs/org",
        [("111122223333", "eu-west-1")],
        ["fl-0aaa"],
        date(2026, 10, 1),
        date(2026, 10, 2),
    )
    ctx = AwsContext()
    con = open_workspace(None)
    enable_s3(con, ctx.base_session())
    report = ingest(
        con,
        list(scope.prefixes),
        IngestOptions(object_filter=scope.object_filter),
        lambda: ctx.client("s3"),
    )
    read = {r[0] for r in con.execute("SELECT source FROM ingested_objects").fetchall()}
    assert read == wanted
    # the other day's and the other flow log's objects were listed (same prefix) but not read;
    # other accounts, regions and days were never even listed
    assert report.objects_found == 2 and report.records == 2
