"""`sgharden recheck` on the sample: facts as events, the exit code, the state file that keeps a
notification to what is new, and delivery to EventBridge and SNS on the moto server (read back
from SQS queues subscribed to them) and to a webhook served on 127.0.0.1 by the test."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_seed import CallRecorder
from click.testing import CliRunner, Result

from sgharden.act.notify import IAM_ACTIONS
from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot
from sgharden.errors import EXIT_ATTENTION

SET = Path("111122223333") / "eu-west-1"
APP = "sg-0aa00000000000003"


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("recheck")
    out = tmp / "plan.json"
    result = CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(sample_snapshot()), "--workspace", str(tmp / "w.duckdb"),
         "--quiet", "--format", "json", "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A copy of the sample snapshot with one new finding and one group changed by hand."""
    snap = tmp_path / "fresh"
    shutil.copytree(sample_snapshot(), snap, ignore=shutil.ignore_patterns("flow-logs"))
    findings_path = snap / SET / "findings.json"
    doc = json.loads(findings_path.read_text())
    new = json.loads(json.dumps(doc["Findings"][0]))
    new["Id"] = new["Id"].rsplit("/", 1)[0] + "/new-finding-0001"
    new["Resources"][0]["Id"] = (
        new["Resources"][0]["Id"].rsplit("/", 1)[0] + "/sg-0aa0000000000aaaa"
    )
    new["Resources"][0]["Details"]["AwsEc2SecurityGroup"]["GroupId"] = "sg-0aa0000000000aaaa"
    doc["Findings"].append(new)
    findings_path.write_text(json.dumps(doc))
    groups_path = snap / SET / "security-groups.json"
    groups = json.loads(groups_path.read_text())
    app = next(g for g in groups["SecurityGroups"] if g["GroupId"] == APP)
    app["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 9999, "ToPort": 9999, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
         "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}
    )  # fmt: skip
    groups_path.write_text(json.dumps(groups))
    (snap / SET / "security-group-rules.json").unlink()  # its rule ids would not list the new one
    return snap


def run(args: list[str], hooks: list[Any] | None = None) -> Result:
    return CliRunner().invoke(main, args, obj={"aws_hooks": hooks or []})


def events(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_the_snapshot_the_plan_was_made_from_needs_no_attention(plan_file: Path) -> None:
    result = run(["recheck", str(plan_file), "--snapshot", str(sample_snapshot())])
    assert result.exit_code == 0, result.output
    assert events(result) == []


def test_a_new_finding_and_a_drifted_group_are_one_event_each(plan_file: Path, fresh: Path) -> None:
    result = run(["recheck", str(plan_file), "--snapshot", str(fresh)])
    assert result.exit_code == EXIT_ATTENTION, result.output
    got = events(result)
    assert {(e["kind"], e["target_id"]) for e in got} == {
        ("new-finding", "sg-0aa0000000000aaaa"),
        ("drift", APP),
    }
    for e in got:
        assert e["schema"] == "sgharden.recheck/v1" and len(e["key"]) == 24
        assert set(e) == {
            "schema",
            "key",
            "kind",
            "account_id",
            "region",
            "target_id",
            "summary",
            "detail",
        }
    md = run(["recheck", str(plan_file), "--snapshot", str(fresh), "--format", "markdown"])
    assert "## drift (1)" in md.stdout and "## new-finding (1)" in md.stdout


def test_after_apply_the_findings_the_change_should_close_are_still_active(plan_file: Path) -> None:
    plan = json.loads(plan_file.read_text())
    ready = [
        g for g in plan["groups"] if g["status"] == "ready" and (g["revoke"] or g["authorize"])
    ]
    result = run(["recheck", str(plan_file), "--snapshot", str(sample_snapshot()), "--applied"])
    assert result.exit_code == EXIT_ATTENTION
    got = events(result)
    still = {e["detail"]["id"] for e in got if e["kind"] == "still-active"}
    assert still >= {i for g in ready for i in g["findings"]}
    # the snapshot still has the old rules: every changed group drifted from the applied plan
    assert {e["target_id"] for e in got if e["kind"] == "drift"} == {g["group_id"] for g in ready}


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return out
        out += [json.loads(m["Body"]) for m in got]
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_eventbridge_gets_each_new_fact_once(
    aws: str, plan_file: Path, fresh: Path, tmp_path: Path
) -> None:
    events_client = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    events_client.create_event_bus(Name="security")
    url, arn = _queue(sqs, "facts")
    events_client.put_rule(Name="sgharden", EventBusName="security",
                           EventPattern=json.dumps({"source": ["sgharden"]}))  # fmt: skip
    events_client.put_targets(
        Rule="sgharden", EventBusName="security", Targets=[{"Id": "q", "Arn": arn}]
    )
    state = tmp_path / "state.json"
    args = ["recheck", str(plan_file), "--snapshot", str(fresh), "--notify", "eventbridge:security",
            "--state", str(state)]  # fmt: skip
    recorder = CallRecorder()
    first = run(args, [recorder.hook()])
    assert first.exit_code == EXIT_ATTENTION, first.output
    assert recorder.actions == ["events:PutEvents"] and set(recorder.actions) <= set(IAM_ACTIONS)
    delivered = _drain(sqs, url)
    assert sorted(m["detail"]["kind"] for m in delivered) == ["drift", "new-finding"]
    assert all(
        m["source"] == "sgharden" and m["detail-type"] == "sgharden recheck fact" for m in delivered
    )
    # the same facts next week: reported (exit 6) but not sent again
    second = run(args)
    assert second.exit_code == EXIT_ATTENTION and "nothing new to notify" in second.stderr
    assert _drain(sqs, url) == []


def test_sns_gets_the_digest_of_what_is_new(aws: str, plan_file: Path, fresh: Path) -> None:
    sns = boto3.client("sns", region_name="eu-west-1")
    sqs = boto3.client("sqs", region_name="eu-west-1")
    topic = sns.create_topic(Name="security")["TopicArn"]
    url, arn = _queue(sqs, "digest")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    recorder = CallRecorder()
    result = run(
        ["recheck", str(plan_file), "--snapshot", str(fresh), "--notify", f"sns:{topic}"],
        [recorder.hook()],
    )
    assert result.exit_code == EXIT_ATTENTION, result.output
    assert recorder.actions == ["sns:Publish"] and set(recorder.actions) <= set(IAM_ACTIONS)
    (message,) = _drain(sqs, url)
    assert message["Subject"] == "sgharden recheck: 2 new fact(s)"
    assert "## drift (1)" in message["Message"] and APP in message["Message"]


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/T000/secret", received
    finally:
        server.shutdown()


def test_a_webhook_gets_a_slack_style_text(
    webhook: tuple[str, list[dict[str, Any]]], plan_file: Path, fresh: Path
) -> None:
    url, received = webhook
    result = run(
        ["recheck", str(plan_file), "--snapshot", str(fresh), "--notify", f"webhook:{url}"]
    )
    assert result.exit_code == EXIT_ATTENTION, result.output
    (body,) = received
    assert body["text"].startswith("# sgharden recheck") and "new-finding" in body["text"]


def test_a_bad_notify_target_is_one_line_exit_3(plan_file: Path) -> None:
    result = run(
        [
            "recheck",
            str(plan_file),
            "--snapshot",
            str(sample_snapshot()),
            "--notify",
            "webhook:file:///etc/passwd",
        ]
    )
    assert result.exit_code == 3 and "http(s) URL" in result.stderr
