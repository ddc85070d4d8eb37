"""`sgharden suppress` on the moto server: the exact BatchUpdateFindings requests, recorded on the
product's own clients. moto does not implement BatchUpdateFindings, so one test lets moto answer
(the command says the update failed, exit 4) and one plays AWS's answer with a `before-send` hook
on the product's client (nothing reaches moto then), as tests/aws_seed.py does for other answers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aws_seed import CallRecorder
from botocore.awsrequest import AWSResponse
from click.testing import CliRunner, Result

from sgharden.acceptance import load_acceptances, split_by_expiry
from sgharden.act.suppress import IAM_ACTIONS, planned_updates
from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot
from sgharden.errors import EXIT_PARTIAL
from sgharden.findings import in_scope
from sgharden.snapshot import load_snapshot

WEB = "sg-0aa00000000000002"
TOML = """
[[accepted]]
id = "web-ssh"
match = "group"
group = "sg-0aa00000000000002"
reason = "bastion replacement | scheduled"
owner = "team-web"
approver = "ciso"
expires = 2099-06-30
ticket = "SEC-4711"

[[accepted]]
id = "edge-ips"
match = "control"
control = "EC2.9"
account = "111122223333"
reason = "edge nodes"
owner = "team-edge"
approver = "ciso"
expires = 2020-01-01
ticket = "SEC-1"
"""


@pytest.fixture
def accepted(tmp_path: Path) -> Path:
    path = tmp_path / "sgharden.toml"
    path.write_text(TOML)
    return path


def run(args: list[str], hooks: list[Any]) -> Result:
    return CliRunner().invoke(main, args, obj={"aws_hooks": hooks})


def _expected_ids() -> tuple[set[str], set[str]]:
    findings = in_scope(load_snapshot(sample_snapshot()).findings)
    web = {i for f in findings if f.resource_id == WEB for i in f.all_ids}
    ec2_9 = {i for f in findings if f.control == "EC2.9" for i in f.all_ids}
    return web, ec2_9


def _sent(recorder: CallRecorder) -> list[dict[str, Any]]:
    return [p for a, p in recorder.params if a == "securityhub:BatchUpdateFindings"]


def test_the_exact_requests_reach_the_moto_server_and_a_failure_is_exit_4(
    aws: str, accepted: Path
) -> None:
    recorder = CallRecorder()
    result = run(
        ["suppress", "--snapshot", str(sample_snapshot()), "--accepted", str(accepted)],
        [recorder.hook()],
    )
    assert set(recorder.actions) <= set(IAM_ACTIONS), recorder.actions
    sent = _sent(recorder)
    web, ec2_9 = _expected_ids()
    by_status = {p["Workflow"]["Status"]: p for p in sent}
    assert set(by_status) == {"SUPPRESSED", "NOTIFIED"}
    suppressed, notified = by_status["SUPPRESSED"], by_status["NOTIFIED"]
    assert {f["Id"] for f in suppressed["FindingIdentifiers"]} == web
    assert {f["Id"] for f in notified["FindingIdentifiers"]} == ec2_9
    assert all(
        f["ProductArn"] == "arn:aws:securityhub:eu-west-1::product/aws/securityhub"
        for p in sent
        for f in p["FindingIdentifiers"]
    )
    assert suppressed["Note"] == {
        "Text": "sgharden: accepted risk web-ssh: bastion replacement | scheduled (owner team-web, "
        "approver ciso, expires 2099-06-30, ticket SEC-4711)",
        "UpdatedBy": "sgharden",
    }
    assert notified["Note"]["Text"].startswith(
        "sgharden: accepted risk edge-ips expired on 2020-01-01"
    )
    assert "accepted risk edge-ips expired" in result.stderr
    # moto has no BatchUpdateFindings: the command says so, exit 4
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert "BatchUpdateFindings for web-ssh" in result.stderr


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def security_hub_answers() -> tuple[str, Any]:
    """Play Security Hub's answer: every finding processed (what the real API returns)."""

    def handler(request: Any, **_: Any) -> AWSResponse:
        body = json.loads(request.body)
        answer = {
            "ProcessedFindings": body["FindingIdentifiers"],
            "UnprocessedFindings": [],
        }
        return AWSResponse(request.url, 200, {}, _Body(json.dumps(answer).encode()))

    return ("before-send.securityhub.BatchUpdateFindings", handler)


def test_with_security_hub_answering_every_covered_finding_is_updated(
    aws: str, accepted: Path
) -> None:
    recorder = CallRecorder()
    result = run(
        ["suppress", "--snapshot", str(sample_snapshot()), "--accepted", str(accepted)],
        [recorder.hook(), security_hub_answers()],
    )
    assert result.exit_code == 0, result.output
    web, ec2_9 = _expected_ids()
    assert f"{len(web) + len(ec2_9)} finding(s) updated" in result.stderr
    assert len(_sent(recorder)) == 2


def test_dry_run_sends_nothing(aws: str, accepted: Path) -> None:
    recorder = CallRecorder()
    result = run(
        [
            "suppress",
            "--snapshot",
            str(sample_snapshot()),
            "--accepted",
            str(accepted),
            "--dry-run",
        ],
        [recorder.hook()],
    )
    assert result.exit_code == 0, result.output
    assert recorder.actions == []
    assert "would set SUPPRESSED on" in result.stdout and "would set NOTIFIED on" in result.stdout


def test_findings_already_in_their_status_are_not_sent_again(accepted: Path) -> None:
    today = date(2026, 12, 1)
    state = split_by_expiry(load_acceptances(accepted), today)
    findings = load_snapshot(sample_snapshot()).findings
    first = planned_updates(findings, state, today)
    assert {u.status for u in first} == {"SUPPRESSED", "NOTIFIED"}
    done = tuple(
        replace(f, workflow_status="SUPPRESSED")
        if f.resource_id == WEB
        else replace(f, workflow_status="NOTIFIED")
        if f.control == "EC2.9"
        else f
        for f in findings
    )
    assert planned_updates(done, state, today) == []


def test_a_generated_many_account_snapshot_gets_one_request_set_per_account_and_region(
    tmp_path: Path,
) -> None:
    """Generated data (bench/triage_snapshot.py): a control entry in force in one account and an
    expired one in another reach exactly their findings (every id, the CIS duplicates too), in
    their own account and region, in batches Security Hub accepts."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from triage_snapshot import write_snapshot

    from sgharden.act.suppress import BATCH

    snap = tmp_path / "snap"
    write_snapshot(snap, accounts=3, regions=2, groups=8)
    first, second = "100000000000", "100000007919"
    toml = tmp_path / "sgharden.toml"
    toml.write_text(
        "[[accepted]]\nid = 'edge'\nmatch = 'control'\ncontrol = 'EC2.9'\n"
        f"account = '{first}'\nreason = 'edge'\nowner = 'o'\napprover = 'a'\n"
        "expires = 2099-01-01\nticket = 'T-1'\n\n"
        "[[accepted]]\nid = 'old'\nmatch = 'control'\ncontrol = 'EC2.19'\n"
        f"account = '{second}'\nreason = 'gone'\nowner = 'o'\napprover = 'a'\n"
        "expires = 2020-01-01\nticket = 'T-2'\n"
    )
    today = date(2026, 12, 1)
    findings = load_snapshot(snap).findings
    updates = planned_updates(findings, split_by_expiry(load_acceptances(toml), today), today)
    scoped = in_scope(findings)

    def ids(control: str, account: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for f in scoped:
            if f.control == control and f.account_id == account:
                out.setdefault(f.region, set()).update(f.all_ids)
        return out

    def sent(status: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for u in updates:
            if u.status == status:
                out.setdefault(u.region, set()).update(u.finding_ids)
        return out

    assert ids("EC2.9", first) and ids("EC2.19", second)
    assert sent("SUPPRESSED") == ids("EC2.9", first)
    assert sent("NOTIFIED") == ids("EC2.19", second)
    assert {u.account_id for u in updates if u.status == "SUPPRESSED"} == {first}
    assert all(len(u.finding_ids) <= BATCH for u in updates)
