"""docs/workflow.md's commands, run: every `sgharden ...` line of its ```sh blocks is parsed by the
real CLI (a renamed or removed option fails here), and those that can run on the moto server run
as written and exit as the doc says.

The world they run in (the test's own folder): `snap` and `snap-new` are a generated snapshot
(bench/triage_snapshot.py --flow-logs: one account, 111122223333 as the doc's S3 paths name, in
eu-west-1, four groups, 15 days of flow logs); its delivered flow-log objects are in the moto
bucket `my-flow-log-bucket` under `AWSLogs/...` as AWS writes them, and not in the snapshot; the
EventBridge bus `security` and the SNS topic `security` of 111122223333 exist (moto plays that
account). `snap-new` stands for next week's collect: unchanged. Before the weekly recheck, the
week's flow logs arrive: one object delivered in November, where AWS puts it under the prefix the
weekly step reads, in which a new internet user works on a port the plan narrows; the recheck must
ingest it and report that user as the one `would-cut` fact, and deliver it to the topic. (Not the
bundled sample: its 2,017 objects take propose over a minute to read from moto.)
"""

from __future__ import annotations

import json
import random
import re
import shlex
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import click
import pytest
from click.testing import CliRunner

from sgharden.cli import main
from sgharden.errors import EXIT_ATTENTION
from sgharden.workspace import open_workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from triage_snapshot import (
    flow_log_body,
    flow_log_key,
    internal_sources,
    real_session,
    write_snapshot,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "workflow.md"
BUCKET = "my-flow-log-bucket"
ACCOUNT, REGION = "111122223333", "eu-west-1"
NEWCOMER = "198.51.100.23"  # an internet user the plan's window (October) never saw
DELIVERED = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # in the month the weekly step reads

# Commands that are parsed but not run, and why. Anything else must run.
NOT_RUN = {
    ("collect",): "needs an organisation of member accounts with a SecurityAudit role and Security "
    "Hub findings in them; moto has no Security Hub findings to give (tests/test_collect.py runs "
    "collect on a seeded moto server)",
    ("flow-logs", "enable"): "creates flow logs on the snapshot's VPCs/ENIs, which exist nowhere "
    "(the sample's ids); tests/test_flow_logs_admin.py runs it on groups made in moto",
}


def doc_commands() -> list[list[str]]:
    """Each `sgharden` command line of the doc's ```sh blocks, continuations joined, as argv."""
    text = DOC.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            argv = shlex.split(line, comments=True)
            if argv and argv[0] == "sgharden":
                out.append(argv[1:])
    return out


def parse(argv: list[str]) -> None:
    """What click does before running a command: every option and argument must exist and parse."""
    ctx = main.make_context("sgharden", list(argv))
    command: click.Command = main
    with ctx:
        while isinstance(command, click.Group):
            rest = [*ctx._protected_args, *ctx.args]
            name, sub, args = command.resolve_command(ctx, rest)
            assert sub is not None and name is not None, argv
            ctx = sub.make_context(name, args, parent=ctx)
            command = sub


def not_run_reason(argv: list[str]) -> str | None:
    for prefix, reason in NOT_RUN.items():
        if tuple(argv[: len(prefix)]) == prefix:
            return reason
    return None


def expected_exit(argv: list[str]) -> int:
    """The exit code the doc implies: the weekly recheck reads the week's flow logs, where a new
    real user the plan would cut appears (6); recheck after apply on a snapshot the change never
    reached reports the findings still ACTIVE (6); everything else here succeeds."""
    if argv[0] == "recheck":
        return EXIT_ATTENTION
    return 0


def deliver_the_week(
    s3: Any, plan: dict[str, Any]
) -> tuple[str, dict[str, Any], str, int, list[dict[str, object]]]:
    """Put the week's object into the bucket, under the weekly step's prefix: on one ENI of a
    ready group the plan narrows, the office (the sources it is narrowed to) as before, and the
    newcomer's three working sessions on the same port. Returns (its key, the group, the ENI, the
    port, its records)."""
    group = next(g for g in plan["groups"] if g["status"] == "ready" and g["authorize"])
    port = group["authorize"][0]["FromPort"]
    eni_id = group["coverage"]["enis"][0]
    folder = Path("snap-new") / ACCOUNT / REGION
    enis = json.loads((folder / "network-interfaces.json").read_text())["NetworkInterfaces"]
    addr = next(e["PrivateIpAddress"] for e in enis if e["NetworkInterfaceId"] == eni_id)
    (flow_log,) = json.loads((folder / "flow-logs.json").read_text())["FlowLogs"]
    rng = random.Random(11)
    t0 = int(DELIVERED.timestamp())
    records: list[dict[str, object]] = []
    for i, source in enumerate(internal_sources(group["group_id"])):
        records += real_session(ACCOUNT, eni_id, addr, source, port, t0 - 3600 * (i + 1), rng)
    for hours in (6, 4, 2):
        records += real_session(ACCOUNT, eni_id, addr, NEWCOMER, port, t0 - 3600 * hours, rng)
    key = flow_log_key(ACCOUNT, REGION, flow_log["FlowLogId"], DELIVERED)
    s3.put_object(Bucket=BUCKET, Key=key, Body=flow_log_body(records))
    return key, group, eni_id, port, records


def test_the_doc_has_the_commands_this_test_knows() -> None:
    names = [" ".join(a[:2]) if a[0] == "flow-logs" else a[0] for a in doc_commands()]
    assert names == ["collect", "flow-logs enable", "propose", "triage", "triage", "collect",
                     "recheck", "recheck"], names  # fmt: skip


@pytest.mark.parametrize("argv", doc_commands(), ids=lambda a: " ".join(a[:3]))
def test_every_command_of_the_doc_parses(argv: list[str]) -> None:
    parse(argv)


def test_parse_refuses_an_option_that_does_not_exist() -> None:
    with pytest.raises(click.UsageError):
        parse(["propose", "--snapshot", "snap", "--flow-log", "s3://b"])


def test_the_workflow_runs_as_written(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)  # the doc's SNS topic ARN names this account
    write_snapshot(Path("snap"), accounts=1, regions=1, groups=4, flow_logs=True,
                   first_account=int(ACCOUNT))  # fmt: skip
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    objects = sorted(p for p in Path("snap").rglob("flow-logs/AWSLogs/**/*") if p.is_file())
    assert objects and all(f"/{ACCOUNT}/vpcflowlogs/{REGION}/" in p.as_posix() for p in objects)
    for path in objects:
        key = path.as_posix().split("/flow-logs/", 1)[1]
        s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
        path.unlink()  # read from the bucket only, as the doc's --flow-logs says
    shutil.rmtree(Path("snap") / ACCOUNT / REGION / "flow-logs")
    shutil.copytree("snap", "snap-new")
    boto3.client("events", region_name="us-east-1").create_event_bus(Name="security")
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="security")["TopicArn"]
    assert topic == f"arn:aws:sns:{REGION}:{ACCOUNT}:security"
    queue = sqs.create_queue(QueueName="security-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])

    ran, weekly, outputs = [], None, {}
    for argv in doc_commands():
        if not_run_reason(argv):
            continue
        if argv[0] == "recheck" and weekly is None:  # the week's flow logs have arrived
            plan = json.loads(Path("plan.json").read_text())
            weekly = (argv, *deliver_the_week(s3, plan))
            prefixes = [argv[i + 1] for i, a in enumerate(argv) if a == "--flow-logs"]
            assert any(f"s3://{BUCKET}/{weekly[1]}".startswith(p) for p in prefixes), (
                "the week's object is under the prefix the weekly step reads",
                prefixes,
            )
        result = CliRunner().invoke(main, argv)
        assert result.exit_code == expected_exit(argv), (argv, result.output)
        ran.append(argv[0])
        outputs.setdefault(argv[0], []).append(result.stdout)
        if weekly is not None and argv is weekly[0] and len(outputs["recheck"]) == 1:
            # the same step again before anything else changes: the month prefix is read again,
            # but the object is not ingested twice, and the fact is reported, not sent, again
            again = CliRunner().invoke(main, argv)
            assert again.exit_code == EXIT_ATTENTION, again.output
            assert again.stdout == result.stdout.replace(" **new**", "")  # no longer news
            assert "nothing new to notify" in again.stderr
    assert ran == ["propose", "triage", "triage", "recheck", "recheck"]
    plan = json.loads(Path("plan.json").read_text())
    # the flow logs were read from the bucket: the used rules are narrowed to their real sources
    assert any(g["status"] == "ready" and g["authorize"] for g in plan["groups"]), plan["groups"]
    assert Path("triage.html").is_file()
    assert Path("recheck-state.json").is_file()

    # the weekly recheck read the week's object into the workspace, once
    assert weekly is not None
    _, key, group, eni_id, port, records = weekly
    con = open_workspace("sgharden.duckdb", read_only=True)
    try:
        manifest = con.execute(
            "SELECT records FROM ingested_objects WHERE source = $source",
            {"source": f"s3://{BUCKET}/{key}"},
        ).fetchall()
        newcomer = con.execute(
            "SELECT sum(records), sum(bytes_in + bytes_out) FROM flow_rollup "
            "WHERE remote_addr = $addr",
            {"addr": NEWCOMER},
        ).fetchone()
    finally:
        con.close()
    assert manifest == [(len(records),)]  # the office's two sessions, the newcomer's three
    sent = [r for r in records if NEWCOMER in (r["srcaddr"], r["dstaddr"])]
    # once, though the step ran twice: the newcomer's records, each counted one time
    assert newcomer == (len(sent), sum(int(str(r["bytes"])) for r in sent))
    # and found the one fact only that object holds: the newcomer, cut by the narrowed rule
    digest = outputs["recheck"][0]
    assert "## would-cut (1)" in digest and NEWCOMER in digest, digest
    assert f"{group['group_id']}: new real source {NEWCOMER} on {eni_id} port {port}" in digest
    assert digest.count("## ") == 1, "no other kind of fact: the snapshot is unchanged"
    # delivered to the doc's SNS topic (the digest of what is new), once
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["Subject"] == "sgharden recheck: 1 new fact(s)"
    assert NEWCOMER in body["Message"]

    # next week, after the after-apply check ran: its own state file kept the weekly one's
    # facts, so the newcomer is not sent again (one shared file would have forgotten it)
    assert Path("recheck-applied-state.json").is_file()
    next_week = CliRunner().invoke(main, weekly[0])
    assert next_week.exit_code == EXIT_ATTENTION, next_week.output
    assert "nothing new to notify" in next_week.stderr
    assert not sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages")
