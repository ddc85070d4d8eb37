"""An Athena run writes what it learned (listeners, inferred addresses) back to the workspace and a
later run starts from it, as consecutive local ingests do (moto over HTTP, Athena's SQL played
by DuckDB: tests/athena_standin.py).

Day one is the AWS docs' TCP flag sequence (a SYN, the interface's SYN-ACK from port 5001, the
FINs); day two holds only that vector's FIN records, moved two days on: without the learned
listener their service port is decided by the port rule, with it by the listener."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import boto3
from athena_standin import AthenaStandIn
from test_athena_engine import BUCKET, RESULTS, hive_table, records_of, write_objects
from test_ocsf import summary

from sgharden.aws.clients import AwsContext
from sgharden.flowlogs.engines.athena import AthenaEngine, AthenaOptions, Snapshot
from sgharden.flowlogs.ingest import ingest
from sgharden.workspace import enable_s3, open_workspace

DAY_ONE, DAY_TWO = date(2019, 8, 26), date(2019, 8, 28)
TWO_DAYS = 2 * 86400


def test_a_later_run_starts_from_what_an_earlier_run_learned(
    aws: str, tmp_path: Path, vectors: Path
) -> None:
    flags = records_of([str(vectors / "flowlogs/aws-docs/02_tcp_flag_sequence_v3.log")])
    day_one = [r for r in flags if r["start"] < 1566864000]  # before 2019-08-27
    day_two = [
        {**r, "start": r["start"] + TWO_DAYS, "end": r["end"] + TWO_DAYS}
        for r in day_one
        if r["tcp_flags"] == 1
    ]
    pairs = write_objects(day_one + day_two, "hive")
    boto3.client("glue").create_database(DatabaseInput={"Name": "flowlogs"})
    hive_table()
    stand_in = AthenaStandIn()
    ctx = AwsContext(hooks=(stand_in.hook(),))
    con = open_workspace(tmp_path / "athena.duckdb")
    snapshot = Snapshot(tuple(sorted(pairs)), ("eni-1235b8ca123456789",))  # no inventory addresses

    def run(day: date) -> dict[str, str]:
        options = AthenaOptions("flowlogs", "primary", RESULTS)
        engine = AthenaEngine(con, options, lambda service: ctx.client(service))
        return engine.run(snapshot, [day]).statements

    run(DAY_ONE)
    assert con.execute("SELECT * FROM listeners").fetchall() == [("eni-1235b8ca123456789", 6, 5001)]
    assert con.execute("SELECT * FROM interface_addresses").fetchall() == [
        ("eni-1235b8ca123456789", "10.0.0.62", "inferred")
    ]
    second = run(DAY_TWO)["rollup"]
    # the second run was sent what the first learned
    assert "('eni-1235b8ca123456789', '10.0.0.62', 'inferred')" in second
    assert "('eni-1235b8ca123456789', 6, 5001)" in second

    local = open_workspace(tmp_path / "local.duckdb")
    enable_s3(local, ctx.base_session())
    hive = f"s3://{BUCKET}/flows/AWSLogs/aws-account-id=123456789010/aws-service=vpcflowlogs/aws-region=us-east-1/"
    for day in (DAY_ONE, DAY_TWO):  # two ingests, one a day, as the two runs
        prefix = f"{hive}year={day:%Y}/month={day:%m}/day={day:%d}/"
        ingest(local, [prefix], s3_client_factory=lambda: ctx.client("s3"))
    expected, got = summary(local), summary(con)
    day_two_rows = [r for r in got["rollup"] if r[11].date() == DAY_TWO]
    assert day_two_rows and {r[4] for r in day_two_rows} == {"listener"}
    for part in expected:
        assert got[part] == expected[part], part
