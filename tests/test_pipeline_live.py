"""Issue 4 end to end on a moto server over HTTP: collect -> flow-logs enable (twice) -> collect
again -> flow-log objects delivered to S3 -> propose reading S3 -> flow-logs status -> disable.

moto delivers no flow-log records, so the test writes the objects a flow log would deliver, in the
AWS key layout and the format `enable` asked for (adapting the setup, not the product).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_seed import CALLER, REGION, ROLE, World, seed
from click.testing import CliRunner, Result

from sgharden.aws.flow_logs import ANALYSIS_FIELDS, MANAGED_TAG
from sgharden.cli import main

BUCKET = "org-flow-logs"
START = 1_790_812_800  # 2026-10-01T00:00:00Z
DAYS = 15
ADMIN = "198.51.100.10"


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def describe_flow_logs() -> dict[str, dict[str, Any]]:
    ec2 = boto3.client("ec2", region_name=REGION)
    return {fl["FlowLogId"]: fl for fl in ec2.describe_flow_logs()["FlowLogs"]}


def _line(fields: dict[str, object]) -> str:
    return " ".join(str(fields.get(name, "-")) for name in ANALYSIS_FIELDS)


def deliver(s3: Any, eni: str, address: str, flow_log_id: str, account: str = CALLER) -> None:
    """One object per day: an admin's SSH session every hour, NODATA nowhere needed."""
    for day in range(DAYS):
        lines = [" ".join(ANALYSIS_FIELDS)]
        for hour in range(24):
            t = START + day * 86400 + hour * 3600 + 60
            common = {
                "version": 5,
                "account-id": account,
                "interface-id": eni,
                "protocol": 6,
                "start": t,
                "end": t + 50,
                "action": "ACCEPT",
                "log-status": "OK",
                "type": "IPv4",
                "region": REGION,
            }
            lines.append(
                _line(
                    {
                        **common,
                        "srcaddr": ADMIN,
                        "dstaddr": address,
                        "srcport": 50000 + hour,
                        "dstport": 22,
                        "packets": 40,
                        "bytes": 9000,
                        "tcp-flags": 3,
                        "flow-direction": "ingress",
                    }
                )
            )
            lines.append(
                _line(
                    {
                        **common,
                        "srcaddr": address,
                        "dstaddr": ADMIN,
                        "srcport": 22,
                        "dstport": 50000 + hour,
                        "packets": 38,
                        "bytes": 30000,
                        "tcp-flags": 19,
                        "flow-direction": "egress",
                        "traffic-path": 8,
                    }
                )
            )
        stamp = f"202610{day + 1:02d}T0000Z"
        key = (
            f"AWSLogs/{account}/vpcflowlogs/{REGION}/2026/10/{day + 1:02d}/"
            f"{account}_vpcflowlogs_{REGION}_{flow_log_id}_{stamp}_0f0f0f0f.log.gz"
        )
        s3.put_object(
            Bucket=BUCKET, Key=key, Body=gzip.compress(("\n".join(lines) + "\n").encode())
        )


@pytest.mark.slow
def test_collect_enable_propose_from_s3_disable(aws: str, vectors: Path, tmp_path: Path) -> None:
    world: World = seed(vectors)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    snap = tmp_path / "snap"

    collected = cli("collect", "--out", str(snap), "--region", REGION, "--role-name", ROLE)
    assert collected.exit_code == 0, collected.output  # (denied accounts: tests/test_collect.py)

    before = describe_flow_logs()
    first = cli(
        "flow-logs",
        "enable",
        "--snapshot",
        str(snap),
        "--destination",
        f"s3://{BUCKET}",
        "--role-name",
        ROLE,
    )
    assert first.exit_code == 0, first.output
    created = {k: v for k, v in describe_flow_logs().items() if k not in before}
    assert created and all(
        {"Key": MANAGED_TAG, "Value": "true"} in fl["Tags"] for fl in created.values()
    )
    second = cli(
        "flow-logs",
        "enable",
        "--snapshot",
        str(snap),
        "--destination",
        f"s3://{BUCKET}",
        "--role-name",
        ROLE,
    )
    assert second.exit_code == 0, second.output
    assert (
        describe_flow_logs().keys() == before.keys() | created.keys()
    )  # the re-run creates nothing

    # collect again: the snapshot now lists the new flow logs
    assert (
        cli("collect", "--out", str(snap), "--region", REGION, "--role-name", ROLE).exit_code == 0
    )
    enis = json.loads((snap / CALLER / REGION / "network-interfaces.json").read_text())[
        "NetworkInterfaces"
    ]
    address = {e["NetworkInterfaceId"]: e["PrivateIpAddress"] for e in enis}
    by_eni = {fl["ResourceId"]: k for k, fl in describe_flow_logs().items()}
    for eni in world.web_enis:
        deliver(s3, eni, address[eni], by_eni[eni])
    deliver(s3, "eni-0ffffffffffffffff", "10.9.9.9", "fl-0notours", account="999999999999")

    ws = str(tmp_path / "ws.duckdb")
    proposed = cli(
        "propose",
        "--snapshot",
        str(snap),
        "--workspace",
        ws,
        "--flow-logs",
        f"s3://{BUCKET}",
        "--format",
        "json",
        "--quiet",
    )
    assert proposed.exit_code == 0, proposed.output
    plan = json.loads(proposed.stdout)
    ssh = next(g for g in plan["groups"] if g["group_id"] == world.ssh_group)
    assert ssh["status"] == "ready", ssh["coverage"]
    assert [(r["FromPort"], r.get("CidrIpv4")) for r in ssh["revoke"]] == [(22, "0.0.0.0/0")]
    assert [(r["FromPort"], r.get("CidrIpv4")) for r in ssh["authorize"]] == [(22, f"{ADMIN}/32")]
    assert ssh["authorize"][0]["evidence"]["connections"] == DAYS * 24 * len(world.web_enis)

    import duckdb

    con = duckdb.connect(ws, read_only=True)
    accounts = {
        r[0] for r in con.execute("SELECT DISTINCT account_id FROM ingested_objects").fetchall()
    }
    con.close()
    assert accounts == {CALLER}  # the other account's objects were never read

    status = cli("flow-logs", "status", "--snapshot", str(snap), "--workspace", ws)
    assert status.exit_code == 0, status.output
    for eni in world.web_enis:
        assert eni in status.output

    disabled = cli("flow-logs", "disable", "--snapshot", str(snap), "--role-name", ROLE)
    assert disabled.exit_code == 0, disabled.output
    assert describe_flow_logs().keys() == before.keys()  # only ours are gone
