"""propose reads the accepted risks too (--accepted, default ./sgharden.toml): a matched rule is
kept as `accepted-risk` in the plan it writes, and the ticket and the report show it apart from
the change; an expired entry is a warning and the rule is judged normally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from test_acceptance import RULES, WEB

from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot


def propose(tmp_path: Path, workspace: Path, *more: str) -> tuple[Result, dict[str, Any]]:
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(sample_snapshot()), "--workspace", str(workspace),
         "--quiet", "--format", "json", "--output", str(out), *more],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result, json.loads(out.read_text())


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("accepted-propose")
    toml = tmp / "risks.toml"
    toml.write_text(RULES)
    _, plan = propose(tmp, tmp / "w.duckdb", "--accepted", str(toml))
    return tmp / "plan.json", plan


def test_propose_keeps_an_accepted_rule_with_its_entry(
    accepted: tuple[Path, dict[str, Any]],
) -> None:
    _, plan = accepted
    web = next(g for g in plan["groups"] if g["group_id"] == WEB)
    ssh = [r for r in web["keep"] if r.get("decision") == "accepted-risk"]
    assert [(r["FromPort"], r["CidrIpv4"], r["accepted_risk"]["id"]) for r in ssh] == [
        (22, "0.0.0.0/0", "web-ssh-rule")
    ]
    assert all(r["FromPort"] != 22 for r in web["revoke"] + web["authorize"])
    db = next(r for r in plan["resources"] if r["resource_id"] == "orders-db")
    assert db["action"] == "accepted-risk"


def test_the_ticket_and_report_show_accepted_risks_apart_from_the_change(
    accepted: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    plan_path, _ = accepted
    out = tmp_path / "tickets"
    result = CliRunner().invoke(
        main, ["ticket", str(plan_path), "--snapshot", str(sample_snapshot()), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    ticket = next(p for p in out.glob("*/TICKET.md") if WEB in p.read_text())
    text = ticket.read_text()
    change, accepted_part = text.split(
        "## Accepted risks (kept as they are, not part of this change)"
    )
    assert "(accepted risk web-ssh-rule)" in change  # marked in the diff, not a plain "kept"
    row = next(line for line in accepted_part.splitlines() if "web-ssh-rule" in line)
    assert "vendor support access" in row and "team-web" in row and "SEC-9" in row
    assert "2099-01-01" in row and "real source(s)" in row
    report = (out / "report.html").read_text()
    assert "Accepted risk <strong" in report and "vendor support access" in report


def test_an_expired_entry_warns_and_the_rule_is_judged_normally(
    accepted: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    toml = tmp_path / "risks.toml"
    toml.write_text(RULES.replace("expires = 2099-01-01\nticket = \"SEC-9\"",
                                  "expires = 2020-01-01\nticket = \"SEC-9\""))  # fmt: skip
    workspace = accepted[0].parent / "w.duckdb"  # the fixture's, already ingested
    result, plan = propose(tmp_path, workspace, "--no-ingest", "--accepted", str(toml))
    assert "accepted risk web-ssh-rule expired on 2020-01-01" in result.stderr
    web = next(g for g in plan["groups"] if g["group_id"] == WEB)
    assert not any(r.get("accepted_risk", {}).get("id") == "web-ssh-rule" for r in web["keep"])
    assert any(r["FromPort"] == 22 for r in web["revoke"])
