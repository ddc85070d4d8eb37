"""End to end on the bundled sample: ingest every format it holds, plan, and check each decision
that samples/generate.py's docstring says is right (its ids, ports and sources)."""

from __future__ import annotations

import ipaddress
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sgharden.analysis.options import PlannerOptions
from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot
from sgharden.pipeline import WindowRequest, propose_snapshot

WEB = "sg-0aa00000000000002"
APP = "sg-0aa00000000000003"
DB = "sg-0aa00000000000004"
BATCH = "sg-0aa00000000000005"
REPORTING = "sg-0aa00000000000006"
CANARY = "sg-0aa00000000000007"
DEFAULT = "sg-0aa00000000000001"
SCANNERS = {
    "193.163.125.44",
    "45.148.10.200",
    "162.216.149.71",
    "89.248.163.112",
    "205.210.31.38",
    "147.185.132.90",
    "80.82.77.139",
    "194.165.16.73",
    "2a06:4880:4000::5f",
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "sample.duckdb"


@pytest.fixture(scope="module")
def plan(workspace: Path) -> dict[str, Any]:
    result = propose_snapshot(sample_snapshot(), str(workspace), WindowRequest(), PlannerOptions())
    doc: dict[str, Any] = json.loads(json.dumps(result.to_dict()))
    return doc


def test_the_sql_engine_plans_the_sample_exactly_like_the_python_reference(
    plan: dict[str, Any], workspace: Path
) -> None:
    from datetime import UTC, datetime

    from sgharden.analysis.connections import data_window, snapshot_interface_ids
    from sgharden.analysis.planner import propose
    from sgharden.snapshot import load_snapshot
    from sgharden.workspace import open_workspace

    snapshot = load_snapshot(sample_snapshot())
    con = open_workspace(str(workspace))
    window = data_window(con, snapshot_interface_ids(snapshot))
    assert window is not None
    now = datetime(2026, 11, 1, tzinfo=UTC)
    by_sql = propose(con, snapshot, window, now=now).to_dict()
    by_python = propose(con, snapshot, window, now=now, engine="python").to_dict()
    assert json.loads(json.dumps(by_sql)) == json.loads(json.dumps(by_python))
    assert by_sql["groups"] == plan["groups"] and by_sql["resources"] == plan["resources"]


def group(plan: dict[str, Any], group_id: str) -> dict[str, Any]:
    return next(g for g in plan["groups"] if g["group_id"] == group_id)


def rules(items: list[dict[str, Any]], egress: bool = False) -> set[tuple[Any, ...]]:
    out = set()
    for r in items:
        if r["IsEgress"] != egress:
            continue
        peer = r.get("CidrIpv4") or r.get("CidrIpv6") or r.get("ReferencedGroupId")
        out.add((r["IpProtocol"], r["FromPort"], r["ToPort"], peer))
    return out


def resource(plan: dict[str, Any], resource_id: str) -> dict[str, Any]:
    return next(r for r in plan["resources"] if r["resource_id"] == resource_id)


def test_window_is_the_21_days_observed(plan: dict[str, Any]) -> None:
    assert plan["window"] == {"start": "2026-10-01T00:00:00Z", "end": "2026-10-22T00:00:00Z"}


def test_only_the_failing_in_scope_groups_are_planned(plan: dict[str, Any]) -> None:
    ids = {g["group_id"] for g in plan["groups"]}
    assert ids == {WEB, APP, DB, REPORTING, CANARY, DEFAULT}
    assert BATCH not in ids and "sg-0aa00000000000008" not in ids


def test_web_keeps_the_public_website_and_narrows_ssh_to_the_admins(plan: dict[str, Any]) -> None:
    g = group(plan, WEB)
    assert g["status"] == "ready"
    assert set(g["controls"]) == {"EC2.19", "EC2.13", "EC2.18", "EC2.53"}
    assert len(g["findings"]) == 5  # the CIS 4.1 duplicate is kept for closing
    assert rules(g["keep"]) == {
        ("tcp", 443, 443, "0.0.0.0/0"),
        ("tcp", 443, 443, "::/0"),
        ("tcp", 80, 80, "0.0.0.0/0"),
        ("tcp", 80, 80, "::/0"),
    }
    assert rules(g["revoke"]) == {("tcp", 22, 22, "0.0.0.0/0"), ("tcp", 21, 21, "0.0.0.0/0")}
    authorized = rules(g["authorize"])
    assert authorized in (
        {("tcp", 22, 22, "198.51.100.10/31")},
        {("tcp", 22, 22, "198.51.100.10/32"), ("tcp", 22, 22, "198.51.100.11/32")},
    )
    ssh = next(r for r in g["revoke"] if r["FromPort"] == 22)
    assert {s["address"] for s in ssh["evidence"]["sources"]} == {"198.51.100.10", "198.51.100.11"}
    assert {s["address"] for s in ssh["evidence"]["probes"]["sources"]} <= SCANNERS
    assert ssh["evidence"]["probes"]["source_count"] >= 1
    ftp = next(r for r in g["revoke"] if r["FromPort"] == 21)
    assert ftp["evidence"]["connections"] == 0 and ftp["evidence"]["probes"]["source_count"] > 0
    assert rules(g["keep"], egress=True)  # egress unchanged
    # web-2's SKIPDATA: a warning, not a refusal
    assert {x["kind"] for x in g["coverage"]["gaps"]} == {"skipdata"}
    assert any("gaps" in w for w in g["warnings"])


def test_app_and_db_are_narrowed_to_references_to_the_tier_in_front(plan: dict[str, Any]) -> None:
    app = group(plan, APP)
    assert app["status"] == "ready"
    assert rules(app["revoke"]) == {("tcp", 8080, 8080, "0.0.0.0/0")}
    assert rules(app["authorize"]) == {("tcp", 8080, 8080, WEB)}
    db = group(plan, DB)
    assert db["status"] == "ready"
    assert rules(db["revoke"]) == {("tcp", 5432, 5432, "0.0.0.0/0")}
    assert rules(db["authorize"]) == {("tcp", 5432, 5432, APP)}


def test_the_weekly_rdp_job_keeps_its_access_and_scanners_get_none(plan: dict[str, Any]) -> None:
    g = group(plan, REPORTING)
    assert g["status"] == "ready"
    assert rules(g["revoke"]) == {("tcp", 3389, 3389, "0.0.0.0/0")}
    assert rules(g["authorize"]) == {("tcp", 3389, 3389, "84.17.52.140/32")}
    days = [d["day"] for d in g["authorize"][0]["evidence"]["daily"] if d["connections"]]
    assert days == ["2026-10-05", "2026-10-12", "2026-10-19"]


def test_canary_without_flow_log_needs_more_data(plan: dict[str, Any]) -> None:
    g = group(plan, CANARY)
    assert g["status"] == "needs-more-data"
    assert g["revoke"] == [] and g["authorize"] == []
    assert g["coverage"]["uncovered_enis"] == ["eni-0bb00000000000008"]
    assert any("eni-0bb00000000000008" in w for w in g["warnings"])


def test_default_group_loses_every_rule(plan: dict[str, Any]) -> None:
    g = group(plan, DEFAULT)
    assert g["status"] == "ready"
    assert len(g["findings"]) == 2  # consolidated + PCI.EC2.2
    assert rules(g["revoke"]) == {("-1", -1, -1, DEFAULT)}
    assert rules(g["revoke"], egress=True) == {("-1", -1, -1, "0.0.0.0/0"), ("-1", -1, -1, "::/0")}
    assert g["keep"] == []


def test_no_scanner_and_no_ephemeral_port_is_ever_authorized(plan: dict[str, Any]) -> None:
    for g in plan["groups"]:
        for r in g["authorize"]:
            assert r["FromPort"] < 1024 or r["FromPort"] in (3389, 5432, 8080)
            for scanner in SCANNERS:
                addr = ipaddress.ip_address(scanner)
                cidr = r.get("CidrIpv4") or r.get("CidrIpv6")
                if cidr and ipaddress.ip_network(cidr).version == addr.version:
                    assert addr not in ipaddress.ip_network(cidr)


def test_resources(plan: dict[str, Any]) -> None:
    batch = resource(plan, "i-0cc00000000000005")
    assert batch["action"] == "remove-public-ip"
    assert "NAT gateway" in batch["reason"]
    outbound = {d["address"] for d in batch["evidence"]["outbound_internet"]["destinations"]}
    assert {"52.218.120.10", "162.159.200.123"} <= outbound
    reporting = resource(plan, "i-0cc00000000000006")
    assert reporting["action"] == "keep-public-ip"
    assert [s["address"] for s in reporting["evidence"]["sources"]] == ["84.17.52.140"]
    for web in ("i-0cc00000000000001", "i-0cc00000000000002"):
        assert resource(plan, web)["action"] == "keep-public-ip"
    db = resource(plan, "orders-db")
    assert (db["control"], db["action"]) == ("RDS.2", "disable-public-access")
    assert {c["address"] for c in db["evidence"]["private_clients"]} == {"10.0.2.10", "10.0.2.11"}
    assert {r["resource_id"] for r in plan["resources"]} == {
        "i-0cc00000000000001",
        "i-0cc00000000000002",
        "i-0cc00000000000005",
        "i-0cc00000000000006",
        "orders-db",
    }


def test_demo_command_prints_the_plan(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "sg-0aa00000000000002 (web)" in result.stdout
    assert "[needs-more-data]" in result.stdout
    assert "# sgharden plan" in result.stdout
    assert "disable-public-access" in result.stdout


def test_demo_hint_pastes_as_printed(tmp_path: Path) -> None:
    """Each command the demo suggests is one shell command that runs and writes the plan."""
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    commands = [
        line.strip() for line in result.stdout.splitlines() if line.strip().startswith("sgharden ")
    ]
    assert len(commands) == 2
    for command in commands:
        argv = shlex.split(command)
        assert "|" not in argv and argv[0] == "sgharden"
        args = [str(tmp_path / a) if a.startswith(("demo.duckdb", "plan.")) else a for a in argv]
        run = CliRunner().invoke(main, [*args[1:], "--quiet"])
        assert run.exit_code == 0, run.output
        assert Path(args[args.index("--output") + 1]).stat().st_size > 0
