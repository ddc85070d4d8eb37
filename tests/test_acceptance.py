"""Accepted risks: sgharden.toml validated strictly (one line naming file and key, exit 3), and
triage putting what they accept in the `accepted` bucket until they expire."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from sgharden.acceptance import load_acceptances
from sgharden.analysis.triage import Bucket, Ordering
from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot
from sgharden.commands.triage import triage_snapshot
from sgharden.errors import InputError

WEB = "sg-0aa00000000000002"
ENTRY = """
[[accepted]]
id = "web-ssh"
match = "group"
group = "sg-0aa00000000000002"
account = "111122223333"
reason = "bastion replacement scheduled for Q1"
owner = "team-web"
approver = "ciso"
expires = {expires}
ticket = "SEC-4711"

[[accepted]]
id = "public-ips"
match = "control"
control = "EC2.9"
account = "111122223333"
reason = "edge nodes by design"
owner = "team-edge"
approver = "ciso"
expires = 2099-01-01
ticket = "SEC-1"
"""


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("accepted")
    out = tmp / "plan.json"
    result = CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(sample_snapshot()), "--workspace", str(tmp / "w.duckdb"),
         "--quiet", "--format", "json", "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_an_entry_in_force_moves_its_findings_to_accepted_with_the_record(
    plan_file: Path, tmp_path: Path
) -> None:
    toml = tmp_path / "sgharden.toml"
    toml.write_text(ENTRY.format(expires="2027-06-30"))
    result = triage_snapshot(
        sample_snapshot(), None, Ordering.SEVERITY, plan_file, accepted_path=toml,
        today=date(2026, 12, 1),
    )  # fmt: skip
    by_id = {t.target_id: t for t in result.targets}
    assert by_id[WEB].bucket is Bucket.ACCEPTED
    assert by_id[WEB].accepted[0]["ticket"] == "SEC-4711"
    ec2_9 = [t for t in result.targets if t.controls == ("EC2.9",)]
    assert ec2_9 and all(t.bucket is Bucket.ACCEPTED for t in ec2_9)
    assert "5 accepted" in result.summary_line() and not result.warnings


def test_an_expired_entry_is_a_warning_and_the_group_is_judged_normally(
    plan_file: Path, tmp_path: Path
) -> None:
    toml = tmp_path / "sgharden.toml"
    toml.write_text(ENTRY.format(expires="2026-11-30"))
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["triage", "--snapshot", str(sample_snapshot()), "--plan", str(plan_file),
         "--accepted", str(toml), "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    web = next(t for t in doc["targets"] if t["target_id"] == WEB)
    assert web["bucket"] == "fix now"
    assert "accepted risk web-ssh expired on 2026-11-30" in result.stderr


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[[accepted]]\nid = "a"\n', "accepted[0].match: missing"),
        (ENTRY.format(expires='"soon"'), "accepted[0] (web-ssh).expires: expected a TOML date"),
        (ENTRY.format(expires="2027-01-01").replace('owner = "team-web"', 'ownr = "x"'),
         "accepted[0].ownr: unknown key"),
        (ENTRY.format(expires="2027-01-01").replace('match = "group"', 'match = "vpc"'),
         "accepted[0] (web-ssh).match: expected one of group, rule, resource, control"),
        (ENTRY.format(expires="2027-01-01").replace('control = "EC2.9"\naccount = "111122223333"',
                                                    'control = "EC2.9"'),
         "accepted[1] (public-ips).account: missing"),
        (ENTRY.format(expires="2027-01-01").replace('"sg-0aa00000000000002"', '"web"'),
         "accepted[0] (web-ssh).group: not a security group id"),
        ("[[accepted]\n", "not valid TOML"),
        ("[settings]\n", "settings: unknown top-level key"),
    ],
)  # fmt: skip
def test_a_bad_settings_file_fails_in_one_line_naming_file_and_key(
    tmp_path: Path, plan_file: Path, text: str, where: str
) -> None:
    toml = tmp_path / "sgharden.toml"
    toml.write_text(text)
    with pytest.raises(InputError) as caught:
        load_acceptances(toml)
    assert str(caught.value).startswith(f"{toml}: ") and where in str(caught.value)
    result = CliRunner().invoke(
        main,
        ["triage", "--snapshot", str(sample_snapshot()), "--plan", str(plan_file),
         "--accepted", str(toml)],
    )  # fmt: skip
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1 and where in result.stderr


RULES = """
[[accepted]]
id = "web-ssh-rule"
match = "rule"
group = "sg-0aa00000000000002"
protocol = "tcp"
port = 22
peer = "0.0.0.0/0"
reason = "vendor support access"
owner = "team-web"
approver = "ciso"
expires = 2099-01-01
ticket = "SEC-9"

[[accepted]]
id = "app-8080"
match = "rule"
rule = "sgr-0000000000000000c"
reason = "partner integration"
owner = "team-app"
approver = "ciso"
expires = 2099-01-01
ticket = "SEC-10"

[[accepted]]
id = "orders-db-public"
match = "resource"
resource = "orders-db"
reason = "migration window"
owner = "team-db"
approver = "ciso"
expires = 2099-01-01
ticket = "SEC-11"
"""


def test_a_rule_entry_keeps_the_rule_as_accepted_risk_with_what_it_still_admits(
    plan_file: Path, tmp_path: Path
) -> None:
    from sgharden.acceptance import apply_to_plan, split_by_expiry

    toml = tmp_path / "sgharden.toml"
    toml.write_text(RULES)
    state = split_by_expiry(load_acceptances(toml), date(2026, 12, 1))
    plan = apply_to_plan(json.loads(plan_file.read_text()), state)
    web = next(g for g in plan["groups"] if g["group_id"] == WEB)
    ssh = next(r for r in web["keep"] if r.get("decision") == "accepted-risk")
    assert ssh["FromPort"] == 22 and ssh["CidrIpv4"] == "0.0.0.0/0"
    assert ssh["accepted_risk"]["ticket"] == "SEC-9"
    assert "still admits 2 real source(s)" in ssh["reason"]
    assert [r["FromPort"] for r in web["revoke"]] == [21]  # FTP is still revoked
    assert web["authorize"] == []  # the /31 that was to replace the accepted rule is dropped
    db = next(r for r in plan["resources"] if r["resource_id"] == "orders-db")
    assert db["action"] == "accepted-risk" and db["accepted_risk"]["id"] == "orders-db-public"

    result = triage_snapshot(
        sample_snapshot(), None, Ordering.SEVERITY, plan_file, accepted_path=toml,
        today=date(2026, 12, 1),
    )  # fmt: skip
    by_id = {t.target_id: t for t in result.targets}
    assert by_id[WEB].bucket is Bucket.FIX_NOW  # FTP still to revoke
    assert by_id[WEB].accepted[0]["id"] == "web-ssh-rule"
    assert by_id["sg-0aa00000000000003"].bucket is Bucket.ACCEPTED
    assert by_id["orders-db"].bucket is Bucket.ACCEPTED
