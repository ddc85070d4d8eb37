"""`sgharden flow-logs enable|status|disable` end to end against a moto server over HTTP.

moto rejects an S3 destination with a key prefix (it looks for a bucket named 'bucket/prefix'), so
these tests deliver to a bare bucket; the prefix form is covered by `Destination` unit tests. moto
also ignores DestinationOptions (file format, hive, per-hour): what was sent is checked instead.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from aws_seed import CALLER, MEMBER, REGION, ROLE, CallRecorder, World, deny_assume_role, seed
from click.testing import CliRunner, Result

from sgharden.aws.clients import AwsContext
from sgharden.aws.collect import collect
from sgharden.aws.flow_logs import (
    ANALYSIS_FIELDS,
    AUTHORIZATION_ONLY,
    DISABLE_IAM_ACTIONS,
    ENABLE_IAM_ACTIONS,
    LOG_FORMAT,
    MANAGED_TAG,
    STATUS_IAM_ACTIONS,
    Destination,
)
from sgharden.cli import main
from sgharden.errors import EXIT_INPUT, EXIT_PARTIAL, InputError
from sgharden.flowlogs.sufficiency import format_fields, is_sufficient
from sgharden.model import FlowLog
from sgharden.resources import query

BUCKET = "sgharden-evidence"


@pytest.fixture
def world(aws: str, vectors: Path) -> World:
    w = seed(vectors)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    return w


@pytest.fixture
def snapshot_dir(world: World, tmp_path: Path) -> Path:
    out = tmp_path / "snap"
    result = collect(AwsContext(role_name=ROLE), out)
    assert not result.failures, result.failures
    return out


def run(
    args: list[str], recorder: CallRecorder | None = None, hooks: tuple[Any, ...] = ()
) -> Result:
    all_hooks = [*([recorder.hook()] if recorder else []), *hooks]
    return CliRunner().invoke(main, ["flow-logs", *args], obj={"aws_hooks": all_hooks})


def flow_logs(session: Any = None) -> dict[str, dict[str, Any]]:
    ec2 = (session or boto3).client("ec2", region_name=REGION)
    return {fl["FlowLogId"]: fl for fl in ec2.describe_flow_logs()["FlowLogs"]}


def managed(fls: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        k: fl
        for k, fl in fls.items()
        if {"Key": MANAGED_TAG, "Value": "true"} in fl.get("Tags", [])
    }


def row(output: str, eni: str) -> str:
    return next(line for line in output.splitlines() if eni in line)


def make_workspace(path: Path, eni: str, flow_log_id: str, hours: int) -> None:
    """A workspace holding `hours` hours of delivery for one ENI, as ingest would record it."""
    con = duckdb.connect(str(path))
    con.execute(query("schema"))
    start = dt.datetime(2026, 11, 1)
    for h in range(hours):
        con.execute(
            "INSERT INTO interface_hours VALUES (?, ?, ?, ?, 10, 0, 0)",
            ["123456789012", REGION, eni, start + dt.timedelta(hours=h)],
        )
    for n in range(3):
        con.execute(
            "INSERT INTO ingested_objects VALUES (?, 100, 'v1', 'parquet', ?, ?, ?, ?, 0, now())",
            [f"s3://{BUCKET}/obj-{n}.parquet", "123456789012", REGION, flow_log_id, hours * 10],
        )
    con.close()


def test_enable_twice_status_disable(world: World, snapshot_dir: Path, tmp_path: Path) -> None:
    dest = f"s3://{BUCKET}"
    before = flow_logs()
    snap = ["--snapshot", str(snapshot_dir), "--role-name", ROLE]

    # Dry run: DryRun=True on every create, nothing made.
    recorder = CallRecorder()
    result = run(["enable", *snap, "--destination", dest, "--dry-run"], recorder)
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.count("would-create") == 4
    assert flow_logs() == before and not flow_logs(world.member_session)
    creates = [p for a, p in recorder.params if a == "ec2:CreateFlowLogs"]
    assert len(creates) == 4 and all(p["DryRun"] for p in creates)

    # Enable: one flow log on each target ENI lacking a sufficient one; web-1's is reused.
    recorder = CallRecorder()
    result = run(["enable", *snap, "--destination", dest], recorder)
    assert result.exit_code == 0, result.output + result.stderr
    assert "cost driver: 4 ENIs to log (of 5 targets; 1 already logged)" in result.stderr
    assert "aggregation interval 60s" in result.stderr
    assert "created 4, reused 1, failed 0" in result.stdout
    reused = row(result.stdout, world.web_enis[0])
    assert "reused" in reused and world.foreign_full_flow_log in reused
    assert "not sgharden" in reused
    ours = managed(flow_logs())
    assert {fl["ResourceId"] for fl in ours.values()} == {
        world.web_enis[1],
        world.bastion_eni,
        world.db_eni,
    }
    for fl in ours.values():
        assert fl["LogFormat"] == LOG_FORMAT
        assert fl["MaxAggregationInterval"] == 60
        assert fl["TrafficType"] == "ALL"
        assert fl["LogDestination"] == f"arn:aws:s3:::{BUCKET}"
    db_log = next(fl for fl in ours.values() if fl["ResourceId"] == world.db_eni)
    tags = {t["Key"]: t["Value"] for t in db_log["Tags"]}
    assert tags["sgharden:serves"] == "orders" and tags["sgharden:controls"] == "RDS.2"
    member_logs = managed(flow_logs(world.member_session))
    assert [fl["ResourceId"] for fl in member_logs.values()] == [world.member_eni]
    sent = [p for a, p in recorder.params if a == "ec2:CreateFlowLogs"]
    assert all(
        p["DestinationOptions"]
        == {"FileFormat": "parquet", "HiveCompatiblePartitions": False, "PerHourPartition": False}
        for p in sent
    )
    assert set(recorder.actions) == set(ENABLE_IAM_ACTIONS) - AUTHORIZATION_ONLY

    # Again: nothing created, every target reused.
    again = run(["enable", *snap, "--destination", dest])
    assert again.exit_code == 0
    assert "created 0, reused 5, failed 0" in again.stdout
    assert len(managed(flow_logs())) == 3 and len(managed(flow_logs(world.member_session))) == 1

    # Status, with a workspace holding three days for the DB's ENI.
    workspace = tmp_path / "ws.duckdb"
    make_workspace(
        workspace, world.db_eni, next(iter(k for k, fl in ours.items() if fl is db_log)), 72
    )
    recorder = CallRecorder()
    status = run(["status", *snap, "--workspace", str(workspace)], recorder)
    assert status.exit_code == 0, status.output + status.stderr
    db_row = row(status.stdout, world.db_eni)
    assert "sufficient" in db_row and "72 h, 720 records, 3 objects" in db_row
    assert db_row.split()[-1] == "11.0"  # 14 days minimum - 3 delivered
    bastion_row = row(status.stdout, world.bastion_eni)
    assert "sufficient" in bastion_row and bastion_row.split()[-1] == "14.0"
    assert "none" in bastion_row
    assert set(recorder.actions) == set(STATUS_IAM_ACTIONS) - AUTHORIZATION_ONLY

    # Disable: dry run deletes nothing; then only sgharden's tagged flow logs go.
    dry = run(["disable", *snap, "--dry-run"])
    assert dry.exit_code == 0 and dry.stdout.count("would-delete") == 4
    assert len(managed(flow_logs())) == 3
    recorder = CallRecorder()
    gone = run(["disable", *snap], recorder)
    assert gone.exit_code == 0, gone.output + gone.stderr
    assert gone.stdout.count("deleted") == 4
    assert set(flow_logs()) == set(before)  # the team's flow logs are untouched
    assert not flow_logs(world.member_session)
    assert set(recorder.actions) == set(DISABLE_IAM_ACTIONS) - AUTHORIZATION_ONLY

    # After: web-2 is back to the team's default-format flow log, which is not enough.
    after = run(["status", *snap])
    web2 = row(after.stdout, world.web_enis[1])
    assert world.foreign_v2_flow_log in web2 and "missing vpc-id" in web2


def test_one_eni_failing_is_reported_and_the_rest_go_on(world: World, snapshot_dir: Path) -> None:
    # The DB's ENI disappears between collect and enable.
    boto3.client("ec2", region_name=REGION).delete_network_interface(
        NetworkInterfaceId=world.db_eni
    )
    result = run(
        ["enable", "--snapshot", str(snapshot_dir), "--role-name", ROLE,
         "--destination", f"s3://{BUCKET}"]
    )  # fmt: skip
    assert result.exit_code == EXIT_PARTIAL
    assert "created 3, reused 1, failed 1" in result.stdout
    assert "failed" in row(result.stdout, world.db_eni)
    assert "InvalidNetworkInterfaceID.NotFound" in row(result.stdout, world.db_eni)


def test_cloudwatch_destination_and_s3_options(world: World, snapshot_dir: Path) -> None:
    recorder = CallRecorder()
    dry = run(
        ["enable", "--snapshot", str(snapshot_dir), "--role-name", ROLE, "--dry-run",
         "--destination", f"s3://{BUCKET}/flows", "--file-format", "plain-text", "--hive",
         "--per-hour"],
        recorder,
    )  # fmt: skip
    assert dry.exit_code == 0, dry.output + dry.stderr
    sent = [p for a, p in recorder.params if a == "ec2:CreateFlowLogs"]
    assert sent and all(p["LogDestination"] == f"arn:aws:s3:::{BUCKET}/flows" for p in sent)
    assert all(
        p["DestinationOptions"]
        == {"FileFormat": "plain-text", "HiveCompatiblePartitions": True, "PerHourPartition": True}
        for p in sent
    )

    # Flow logs already there (any destination) with every field are reused, so the S3 dry run
    # above must come first.
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="sgharden-flows")
    role = f"arn:aws:iam::{CALLER}:role/flow-logs-delivery"
    result = run(
        ["enable", "--snapshot", str(snapshot_dir), "--role-name", ROLE,
         "--destination", "cloudwatch:sgharden-flows", "--role-arn", role]
    )  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr
    ours = managed(flow_logs())
    assert ours and all(fl["LogDestinationType"] == "cloud-watch-logs" for fl in ours.values())
    assert all(fl["LogGroupName"] == "sgharden-flows" for fl in ours.values())


def test_cloudwatch_without_role_is_one_line(world: World, snapshot_dir: Path) -> None:
    result = run(["enable", "--snapshot", str(snapshot_dir), "--destination", "cloudwatch:g"])
    assert result.exit_code == EXIT_INPUT
    assert result.stderr.count("\n") == 1 and "--role-arn" in result.stderr


def _flow_log(log_format: str, traffic: str = "ALL", status: str = "ACTIVE") -> FlowLog:
    return FlowLog("fl-1", "eni-1", "1", REGION, log_format, "s3", "arn", traffic, status=status)


def test_format_sufficiency() -> None:
    assert is_sufficient(_flow_log(LOG_FORMAT))
    assert is_sufficient(_flow_log(LOG_FORMAT, traffic="ACCEPT"))
    assert not is_sufficient(_flow_log(LOG_FORMAT, traffic="REJECT"))
    assert not is_sufficient(_flow_log(LOG_FORMAT.replace(" ${tcp-flags}", "")))
    assert not is_sufficient(_flow_log(""))  # the default format is v2 only
    assert format_fields("") == ANALYSIS_FIELDS[:14]
    assert not is_sufficient(_flow_log(LOG_FORMAT, status="INACTIVE"))


def test_destination_parsing() -> None:
    d = Destination.parse("s3://bucket/some/prefix/")
    assert d.create_arguments()["LogDestination"] == "arn:aws:s3:::bucket/some/prefix"
    assert Destination.parse("s3://bucket").create_arguments()["LogDestination"] == (
        "arn:aws:s3:::bucket"
    )
    for bad in ("s3://", "bucket", "cloudwatch:"):
        with pytest.raises(InputError):
            Destination.parse(bad, role_arn="arn:aws:iam::1:role/r")


def _listed(doc: str, heading: str) -> set[str]:
    """The `service:Action` bullets right after the line that starts with `heading`."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    actions: set[str] = set()
    for line in lines[start + 1 :]:
        if line.startswith("- `"):
            actions.add(line[3:].split("`", 1)[0])
        elif actions:
            break
    return actions


def test_docs_list_exactly_the_declared_iam_actions() -> None:
    from sgharden.aws.collect import COLLECT_IAM_ACTIONS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "aws.md").read_text()
    assert _listed(doc, "`collect` (") == set(COLLECT_IAM_ACTIONS)
    assert _listed(doc, "`flow-logs enable` (") == set(ENABLE_IAM_ACTIONS)
    assert _listed(doc, "`flow-logs status` (") == set(STATUS_IAM_ACTIONS)
    assert _listed(doc, "`flow-logs disable` (") == set(DISABLE_IAM_ACTIONS)
    for action in AUTHORIZATION_ONLY:
        assert f"`{action}` (authorization only" in doc


def test_since_is_utc_minutes() -> None:
    from sgharden.render.summary import _since

    assert _since("2026-11-28 14:02:07+00:00") == "2026-11-28T14:02Z"
    assert _since("2026-11-28T16:02:07+02:00") == "2026-11-28T14:02Z"
    assert _since(None) == "-"


def test_a_vpc_or_subnet_flow_log_covers_the_eni() -> None:
    from sgharden.flowlogs.sufficiency import coverage_label
    from sgharden.model import Interface
    from sgharden.targets import covering

    eni = Interface("eni-1", "1", REGION, "vpc-1", "subnet-1", ("sg-1",), ("10.0.0.5",))
    on_vpc = FlowLog("fl-v", "vpc-1", "1", REGION, LOG_FORMAT, "s3", "arn")
    on_subnet_v2 = FlowLog("fl-s", "subnet-1", "1", REGION, "", "s3", "arn")
    elsewhere = FlowLog("fl-x", "vpc-2", "1", REGION, LOG_FORMAT, "s3", "arn")
    assert covering([on_vpc, on_subnet_v2, elsewhere], eni) == [on_vpc, on_subnet_v2]
    assert coverage_label([on_vpc, elsewhere], eni) == "sufficient"
    assert coverage_label([on_subnet_v2], eni) == "insufficient"
    assert coverage_label([elsewhere], eni) == "none"


def test_denied_member_account_is_reported(world: World, snapshot_dir: Path) -> None:
    snap = ["--snapshot", str(snapshot_dir), "--role-name", ROLE]
    hooks = (deny_assume_role(MEMBER),)
    result = run(["enable", *snap, "--destination", f"s3://{BUCKET}"], hooks=hooks)
    assert result.exit_code == EXIT_PARTIAL
    assert "created 3, reused 1, failed 1" in result.stdout
    assert "AssumeRole: AccessDenied" in row(result.stdout, world.member_eni)
    status = run(["status", *snap], hooks=hooks)
    assert status.exit_code == EXIT_PARTIAL
    assert "AssumeRole: AccessDenied" in row(status.stdout, world.member_eni)
    gone = run(["disable", *snap], hooks=hooks)
    assert gone.exit_code == EXIT_PARTIAL
    assert gone.stdout.count("deleted") == 3
    assert "AssumeRole: AccessDenied" in row(gone.stdout, MEMBER)
