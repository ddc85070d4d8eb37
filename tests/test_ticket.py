"""Tickets, the plan reader and the renderers, offline on the plan_small fixture."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import hcl2
import pytest
from click.testing import CliRunner

from sgharden.cli import main
from sgharden.errors import EXIT_INPUT, InputError
from sgharden.model import Rule
from sgharden.plan.read import load_plan, parse_plan
from sgharden.render.awscli import apply_commands, resource_commands, rollback_commands
from sgharden.render.rule_text import DESCRIPTION_MAX, rule_description
from sgharden.render.terraform import rule_block
from sgharden.render.ticket import write_tickets
from sgharden.snapshot import load_snapshot

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "plan_small"
PLAN = FIXTURE / "plan.json"
SNAPSHOT = FIXTURE / "snapshot"
WEB, DB, LEGACY = "sg-0a0000000000000aa", "sg-0b0000000000000bb", "sg-0c0000000000000cc"


def plan_document() -> dict[str, Any]:
    return json.loads(PLAN.read_text())


@pytest.fixture(scope="module")
def tickets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tickets")
    result = CliRunner().invoke(
        main, ["ticket", str(PLAN), "--snapshot", str(SNAPSHOT), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


# --- the plan reader ---------------------------------------------------------------------------


def test_plan_reads_into_dataclasses() -> None:
    plan = load_plan(PLAN)
    assert [g.group_id for g in plan.groups_to_change()] == [WEB, DB]
    web = plan.group(WEB)
    assert (
        web.revoke[0].rule.cidr_ipv4 == "0.0.0.0/0"
        and web.revoke[0].rule.rule_id == "sgr-00000000000000001"
    )
    assert (
        web.revoke[0].evidence.source_count == 2 and web.revoke[0].evidence.probe_source_count == 3
    )
    assert len(web.revoke[0].evidence.daily) == 14
    assert plan.group(LEGACY).status == "needs-more-data" and not plan.group(LEGACY).has_changes


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda p: p.update(schema="sgharden.plan/v0"),
            "schema: expected 'sgharden.plan/v1', found 'sgharden.plan/v0'",
        ),
        (lambda p: p.pop("window"), "window: missing"),
        (lambda p: p["window"].update(start="last tuesday"), "window.start: not an ISO 8601 time"),
        (lambda p: p["groups"][0].pop("group_id"), "groups[0].group_id: missing"),
        (
            lambda p: p["groups"][1].update(status="done"),
            "groups[1].status: expected 'ready', 'needs-more-data', 'needs-decision' or 'no-change', found 'done'",
        ),
        (
            lambda p: p["groups"][0]["revoke"][1].update(CidrIpv4="10.0.0.0/8"),
            "groups[0].revoke[1]: needs exactly one of",
        ),
        (
            lambda p: p["groups"][0]["authorize"][0].pop("FromPort"),
            "groups[0].authorize[0].FromPort: missing",
        ),
        (
            lambda p: p["groups"][0]["keep"][0]["evidence"].update(sources="1.2.3.4"),
            "groups[0].keep[0].evidence.sources: expected a list",
        ),
        (
            lambda p: p["resources"][0].update(action="delete-instance"),
            "resources[0].action: expected 'remove-public-ip', 'keep-public-ip', ",
        ),
        (
            lambda p: p["groups"][0]["revoke"][0]["evidence"].update(connections=2.5),
            "groups[0].revoke[0].evidence.connections: expected a whole number >= 0, found 2.5",
        ),
    ],
)
def test_bad_plans_fail_in_one_line_naming_file_and_field(
    edit: Any, message: str, tmp_path: Path
) -> None:
    document = plan_document()
    edit(document)
    path = tmp_path / "bad-plan.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InputError) as caught:
        load_plan(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text
    result = CliRunner().invoke(main, ["ticket", str(path), "--out", str(tmp_path / "t")])
    assert result.exit_code == EXIT_INPUT and message in result.output


def test_integral_floats_are_counts(tmp_path: Path) -> None:
    document = plan_document()
    document["groups"][0]["revoke"][0]["evidence"]["connections"] = 71.0
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    assert load_plan(path).group(WEB).revoke[0].evidence.connections == 71


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text("{nope")
    with pytest.raises(InputError, match=r"p\.json: not valid JSON"):
        load_plan(tmp_path / "p.json")
    with pytest.raises(InputError, match="no such plan file"):
        load_plan(tmp_path / "absent.json")


# --- ticket folders ------------------------------------------------------------------------------


def test_one_folder_per_change_and_none_for_groups_that_need_data(tickets: Path) -> None:
    folders = sorted(p.name for p in tickets.iterdir() if p.is_dir())
    assert folders == [
        "123456789012-us-east-1-i-0d0000000000000dd-EC2.9",
        "123456789012-us-east-1-orders-db-RDS.2",
        f"123456789012-us-east-1-{WEB}",
        f"123456789012-us-east-1-{DB}",
    ]
    for name in (
        "TICKET.md",
        "evidence.csv",
        "plan.json",
        "apply.sh",
        "rollback.sh",
        "change.tf",
        "evidence.sql",
        "evidence-params.json",
    ):
        assert (tickets / f"123456789012-us-east-1-{WEB}" / name).is_file(), name


def test_ticket_markdown_carries_findings_group_change_and_evidence(tickets: Path) -> None:
    text = (tickets / f"123456789012-us-east-1-{WEB}" / "TICKET.md").read_text()
    assert text.startswith(f"# Harden security group {WEB} (web-admin) in 123456789012/us-east-1")
    assert (
        "security-control/EC2.19/finding/0a19` | EC2.19 | CRITICAL | 123456789012 | us-east-1"
        in text
    )
    assert "security-control/EC2.18/finding/0a18` | EC2.18 | HIGH" in text
    assert (
        "| `eni-0a0000000000000a1` | instance i-0a0000000000000a2 (app-1) | 10.0.1.10, 2001:db8:10::a, 54.210.10.10 |"
        in text
    )
    assert "| sgr-00000000000000002 | ingress tcp 8080 from 0.0.0.0/0 |" in text
    diff = text.split("```diff\n", 1)[1].split("```", 1)[0].splitlines()
    assert diff[0] == "- ingress tcp 22 from 0.0.0.0/0   (sgr-00000000000000001)"
    assert (
        '+ ingress tcp 22 from 198.51.100.10/31   "sgharden plan 2026-11-15T02:00:00Z: office addresses seen using SSH"'
        in diff
    )
    assert "  ingress tcp 443 from 0.0.0.0/0   (kept)" in diff
    plan = load_plan(PLAN)
    ssh = plan.group(WEB).revoke[0].evidence
    assert (
        f"- real use: {ssh.connections:,} connections, {ssh.bytes:,} bytes, 2 distinct source(s), first seen {ssh.first_seen}"
        in text
    )
    assert (
        f"- probes that will now be blocked: {ssh.probe_connections} connections from 3 source(s)"
        in text
    )
    assert "| 203.0.113.7 | 14 |" in text
    assert "Risk **medium**, confidence **high**." in text
    assert f"sgharden apply plan.json --group {WEB}" in text
    assert "sgharden rollback backups/<backup>.json" in text
    assert "sgharden verify plan.json --since" in text


def test_snapshot_extract_is_attached(tickets: Path) -> None:
    extract = json.loads((tickets / f"123456789012-us-east-1-{WEB}" / "snapshot.json").read_text())
    assert [g["GroupId"] for g in extract["SecurityGroups"]] == [WEB]
    assert {r["SecurityGroupRuleId"] for r in extract["SecurityGroupRules"]} == {
        f"sgr-{n:017x}" for n in (1, 2, 3, 4, 5)
    }
    assert [e["NetworkInterfaceId"] for e in extract["NetworkInterfaces"]] == [
        "eni-0a0000000000000a1"
    ]
    assert sorted(f["Id"].rsplit("/", 1)[-1] for f in extract["Findings"]) == ["0a18", "0a19"]


def test_resource_tickets(tickets: Path) -> None:
    ec29 = (tickets / "123456789012-us-east-1-i-0d0000000000000dd-EC2.9" / "TICKET.md").read_text()
    assert "security-control/EC2.9/finding/0d09" in ec29 and "NAT gateway" in ec29
    apply_sh = (
        tickets / "123456789012-us-east-1-i-0d0000000000000dd-EC2.9" / "apply.sh"
    ).read_text()
    assert (
        "aws ec2 disassociate-address" in apply_sh
        and "--no-associate-public-ip-address" in apply_sh
    )
    rds = (tickets / "123456789012-us-east-1-orders-db-RDS.2" / "apply.sh").read_text()
    assert "--db-instance-identifier orders-db --no-publicly-accessible --apply-immediately" in rds
    rds_back = (tickets / "123456789012-us-east-1-orders-db-RDS.2" / "rollback.sh").read_text()
    assert "--publicly-accessible" in rds_back and "--no-publicly-accessible" not in rds_back


def test_evidence_csv_has_every_source_of_every_rule(tickets: Path) -> None:
    rows = list(csv.DictReader((tickets / f"123456789012-us-east-1-{WEB}" / "evidence.csv").open()))
    group = load_plan(PLAN).group(WEB)
    expected = sum(
        len(pr.evidence.sources) + len(pr.evidence.probe_sources)
        for pr in (*group.revoke, *group.authorize, *group.keep)
    )
    assert len(rows) == expected > 0
    assert {
        "change": "revoke",
        "rule": "ingress tcp 8080 from 0.0.0.0/0",
        "kind": "probe",
        "address": "192.0.2.201",
    }.items() <= next(
        r
        for r in rows
        if r["address"] == "192.0.2.201" and r["rule"].endswith("8080 from 0.0.0.0/0")
    ).items()


def test_plan_fragment_is_itself_a_plan(tickets: Path) -> None:
    fragment = load_plan(tickets / f"123456789012-us-east-1-{DB}" / "plan.json")
    assert [g.group_id for g in fragment.groups] == [DB] and fragment.resources == ()
    assert fragment.generated_at == load_plan(PLAN).generated_at


def test_evidence_query_reproduces_every_rules_evidence(tickets: Path, tmp_path: Path) -> None:
    """Run the ticket's evidence.sql with each rule's evidence-params.json on a workspace of the
    snapshot's flow logs, as its header says: the numbers are the plan's."""
    from sgharden.pipeline import ingest_snapshot
    from sgharden.workspace import open_workspace

    folder = tickets / f"123456789012-us-east-1-{DB}"
    sql = (folder / "evidence.sql").read_text()
    assert sql.startswith("-- The query behind this ticket's evidence (sql/evidence.sql)")
    items = json.loads((folder / "evidence-params.json").read_text())
    assert [(i["change"], i["rule"]) for i in items] == [
        ("revoke", "ingress tcp 5432 from 0.0.0.0/0"),
        ("authorize", f"ingress tcp 5432 from {WEB}"),
    ]
    con = open_workspace(tmp_path / "w.duckdb")
    ingest_snapshot(con, load_snapshot(SNAPSHOT))
    group = load_plan(PLAN).group(DB)
    for item, pr in zip(items, (*group.revoke, *group.authorize), strict=True):
        cur = con.execute(sql, item["parameters"])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        real = [r for r in rows if not r["is_probe"]]
        probes = [r for r in rows if r["is_probe"]]
        assert sum(r["connections"] for r in real) == pr.evidence.connections > 0
        assert sorted(r["remote_addr"] for r in real) == sorted(
            s.address for s in pr.evidence.sources
        )
        assert sum(r["connections"] for r in probes) == pr.evidence.probe_connections


def test_evidence_query_missing_is_said_not_crashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sgharden.render.ticket as ticket_module

    empty = tmp_path / "sql"
    empty.mkdir()
    monkeypatch.setattr(ticket_module, "sql_dir", lambda: empty)
    write_tickets(load_plan(PLAN), None, tmp_path / "out", (WEB,))
    note = (tmp_path / "out" / f"123456789012-us-east-1-{WEB}" / "evidence-query.md").read_text()
    assert "not shipped" in note and '"interfaces"' in note


def test_scripts_authorize_before_revoke_and_are_valid_shell(tickets: Path) -> None:
    folder = tickets / f"123456789012-us-east-1-{WEB}"
    for name in ("apply.sh", "rollback.sh"):
        subprocess.run(["sh", "-n", str(folder / name)], check=True)
        assert (folder / name).stat().st_mode & 0o111
    commands = [
        line for line in (folder / "apply.sh").read_text().splitlines() if line.startswith("aws ")
    ]
    verbs = [c.split()[2] for c in commands]
    assert verbs == ["authorize-security-group-ingress"] * 2 + ["revoke-security-group-ingress"] * 3
    back = [
        line.split()[2]
        for line in (folder / "rollback.sh").read_text().splitlines()
        if line.startswith("aws ")
    ]
    assert back == ["authorize-security-group-ingress"] * 3 + ["revoke-security-group-ingress"] * 2
    # the permission argument is JSON AWS accepts
    perms = json.loads(re.search(r"--ip-permissions '(.*)'$", commands[0]).group(1))  # type: ignore[union-attr]
    assert perms == [
        {
            "IpProtocol": "tcp",
            "FromPort": 22,
            "ToPort": 22,
            "IpRanges": [
                {
                    "CidrIp": "198.51.100.10/31",
                    "Description": "sgharden plan 2026-11-15T02:00:00Z: office addresses seen using SSH",
                }
            ],
        }
    ]


def unquote(value: Any) -> Any:
    """python-hcl2 >= 7 keeps string literals quoted; older versions do not."""
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        return json.loads(value)
    return value


def terraform_resources(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(resource type, name, arguments) for every resource block of a .tf file."""
    with path.open() as handle:
        parsed = hcl2.load(handle)
    out = []
    for entry in parsed.get("resource", []):
        for kind, blocks in entry.items():
            for name, body in blocks.items():
                args = {k: unquote(v) for k, v in body.items() if not k.startswith("__")}
                out.append((unquote(kind), unquote(name), args))
    return out


def test_terraform_parses_and_names_the_new_rules(tickets: Path) -> None:
    resources = terraform_resources(tickets / f"123456789012-us-east-1-{DB}" / "change.tf")
    assert len(resources) == 1
    kind, _name, body = resources[0]
    assert kind == "aws_vpc_security_group_ingress_rule"
    assert body["security_group_id"] == DB and body["referenced_security_group_id"] == WEB
    assert body["from_port"] == 5432 and body["to_port"] == 5432 and body["ip_protocol"] == "tcp"
    assert body["description"].startswith("sgharden plan 2026-11-15T02:00:00Z: all real clients")
    text = (tickets / f"123456789012-us-east-1-{DB}" / "change.tf").read_text()
    assert "#   ingress tcp 5432 from 0.0.0.0/0  (sgr-0000000000000000b)" in text
    web = terraform_resources(tickets / f"123456789012-us-east-1-{WEB}" / "change.tf")
    assert sorted(b.get("cidr_ipv4") or b.get("cidr_ipv6") for _, _, b in web) == [
        "198.51.100.10/31",
        "2001:db8:77::5/128",
    ]
    assert len({name for _, name, _ in web}) == 2  # resource names are unique


def test_terraform_escapes_what_hcl_would_interpolate(tmp_path: Path) -> None:
    rule = Rule(
        WEB, False, "-1", None, None, cidr_ipv6="::/0", description='say "hi" ${var.x} %{if}'
    )
    path = tmp_path / "x.tf"
    path.write_text("\n".join(rule_block(rule)) + "\n")
    ((kind, _name, body),) = terraform_resources(path)
    assert kind == "aws_vpc_security_group_ingress_rule"
    assert "from_port" not in body and body["ip_protocol"] == "-1"
    # escaped template sequences: Terraform reads `$${` as a literal `${`
    assert body["description"] == 'say "hi" $${var.x} %%{if}'


def test_rule_descriptions_fit_ec2() -> None:
    text = rule_description(
        "sgharden plan 2026-11-15T02:00:00Z", "reason with <html> & ünicode | and more " * 20
    )
    assert len(text) == DESCRIPTION_MAX
    assert re.fullmatch(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*", text)


def test_group_filter_and_nothing_to_ticket(tmp_path: Path) -> None:
    only = write_tickets(load_plan(PLAN), load_snapshot(SNAPSHOT), tmp_path / "a", (DB,))
    assert [t.path.name for t in only] == [f"123456789012-us-east-1-{DB}"]
    with pytest.raises(InputError, match="nothing to ticket"):
        write_tickets(load_plan(PLAN), None, tmp_path / "b", (LEGACY,))


def test_ticket_without_snapshot_still_says_what_it_knows(tmp_path: Path) -> None:
    write_tickets(load_plan(PLAN), None, tmp_path, (WEB,))
    text = (tmp_path / f"123456789012-us-east-1-{WEB}" / "TICKET.md").read_text()
    assert "Current rules (from the plan (revoke + keep; no snapshot given))" in text
    assert "security-control/EC2.19/finding/0a19" in text


def test_markdown_cells_survive_pipes(tmp_path: Path) -> None:
    document = plan_document()
    document["groups"][0]["group_name"] = "web|admin"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    write_tickets(load_plan(path), None, tmp_path / "t", (WEB,))
    assert (
        "**web\\|admin**"
        in (tmp_path / "t" / f"123456789012-us-east-1-{WEB}" / "TICKET.md").read_text()
    )


def test_rollback_commands_undo_apply_commands() -> None:
    plan = load_plan(PLAN)
    group = plan.group(WEB)
    assert len(apply_commands(plan, group)) == len(rollback_commands(plan, group))


def test_propose_output_is_read_and_ticketed(tmp_path: Path) -> None:
    """The contract with the planner: what `propose --format json` writes for this snapshot."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, snapshot)
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(
        main,
        [
            "propose",
            "--snapshot",
            str(snapshot),
            "--workspace",
            str(tmp_path / "w.duckdb"),
            "--format",
            "json",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    plan = parse_plan(json.loads(out.read_text()), out)
    assert {g.group_id for g in plan.groups_to_change()} == {WEB, DB}
    written = write_tickets(plan, load_snapshot(snapshot), tmp_path / "tickets")
    assert len(written) == 4


@pytest.mark.parametrize("command", ["apply", "rollback", "dry_run", "promote"])
def test_docs_list_each_commands_iam_actions(command: str) -> None:
    """docs/change.md names exactly the IAM actions the command declares."""
    import importlib

    declared = set(importlib.import_module(f"sgharden.commands.{command}").IAM_ACTIONS)
    docs = (Path(__file__).resolve().parents[1] / "docs" / "change.md").read_text()
    section = (
        docs.split(f"<!-- iam:{command} -->", 1)[1].split("<!--", 1)[0].split("\n\n`ticket`")[0]
    )
    documented = set(re.findall(r"\b(?:ec2|rds|securityhub):[A-Za-z]+", section))
    assert documented == declared


def test_verify_needs_flow_logs() -> None:
    result = CliRunner().invoke(main, ["verify", str(PLAN), "--since", "2026-11-16T00:00:00Z"])
    assert (
        result.exit_code == EXIT_INPUT and "needs the flow logs since the change" in result.output
    )
    bad = CliRunner().invoke(main, ["verify", str(PLAN), "--since", "yesterday", "x.log"])
    assert bad.exit_code == EXIT_INPUT and "not an ISO 8601 time" in bad.output


def test_risk_follows_the_evidence(tmp_path: Path) -> None:
    from sgharden.render.ticket import assess

    plan = load_plan(PLAN)
    assert assess(plan, plan.group(WEB)).risk == "medium"  # used rules revoked, their sources kept
    document = plan_document()
    web = document["groups"][0]
    web["authorize"] = [r for r in web["authorize"] if "CidrIpv6" not in r]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    edited = load_plan(path)
    risky = assess(edited, edited.group(WEB))
    assert risky.risk == "high" and any("2001:db8:77::5" in why for why in risky.why)
    web["revoke"] = [r for r in web["revoke"] if r["FromPort"] == 8080]  # only the unused rule
    web["authorize"] = []
    path.write_text(json.dumps(document))
    unused = load_plan(path)
    assert assess(unused, unused.group(WEB)).risk == "low"
    document["groups"][0]["coverage"]["gap_share"] = 0.05
    path.write_text(json.dumps(document))
    gappy = load_plan(path)
    assert assess(gappy, gappy.group(WEB)).confidence == "low"


# --- a resource ticket closes the plan's findings, scripts name the plan's ENI ----------------


def _plan_with_real_resource_evidence(tmp_path: Path) -> tuple[Path, Path]:
    """plan_small as the planner writes it today (`findings`, `evidence.interfaces`), and a
    snapshot where the EC2.9 instance also has an EC2.8 (IMDSv2) finding this change does not
    close."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, snapshot)
    findings = json.loads((snapshot / "findings.json").read_text())
    ec29 = next(f for f in findings["Findings"] if f["Id"].endswith("/EC2.9/finding/0d09"))
    ec28 = json.loads(json.dumps(ec29))
    ec28["Id"] = ec28["Id"].replace("EC2.9/finding/0d09", "EC2.8/finding/0d08")
    ec28["GeneratorId"] = "security-control/EC2.8"
    ec28["Compliance"]["SecurityControlId"] = "EC2.8"
    ec28["Title"] = "EC2 instances should use IMDSv2"
    findings["Findings"].append(ec28)
    (snapshot / "findings.json").write_text(json.dumps(findings))
    document = plan_document()
    resource = next(r for r in document["resources"] if r["control"] == "EC2.9")
    resource["findings"] = [ec29["Id"]]
    resource["evidence"]["interfaces"] = [resource["evidence"].pop("interface_id")]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(document))
    return plan, snapshot


def test_resource_ticket_lists_only_the_plans_findings(tmp_path: Path) -> None:
    plan, snapshot = _plan_with_real_resource_evidence(tmp_path)
    write_tickets(load_plan(plan), load_snapshot(snapshot), tmp_path / "t")
    ticket = tmp_path / "t" / "123456789012-us-east-1-i-0d0000000000000dd-EC2.9" / "TICKET.md"
    text = ticket.read_text()
    assert "EC2.9/finding/0d09" in text
    assert "EC2.8" not in text and "IMDSv2" not in text


def test_resource_scripts_use_the_plans_interface(tmp_path: Path) -> None:
    plan, snapshot = _plan_with_real_resource_evidence(tmp_path)
    write_tickets(load_plan(plan), load_snapshot(snapshot), tmp_path / "t")
    folder = tmp_path / "t" / "123456789012-us-east-1-i-0d0000000000000dd-EC2.9"
    for name in ("apply.sh", "rollback.sh"):
        script = (folder / name).read_text()
        assert "ENI_OF_THE_INSTANCE" not in script and "PUBLIC_IP" not in script
        assert "--network-interface-id eni-0d0000000000000d1" in script


def test_resource_script_refuses_to_guess_an_interface() -> None:
    resource = next(r for r in load_plan(PLAN).resources if r.control == "EC2.9")
    two = replace(resource, evidence={**resource.evidence, "interfaces": ["eni-1", "eni-2"]})
    with pytest.raises(InputError, match="2 interface"):
        resource_commands(two)


# --- propose refuses what cannot be a result -----------------------------------------------


def test_propose_without_any_flow_logs_is_an_input_error(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, snapshot, ignore=shutil.ignore_patterns("flow-logs"))
    result = CliRunner().invoke(
        main, ["propose", "--snapshot", str(snapshot), "--workspace", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == EXIT_INPUT, result.output
    assert "no flow-log data" in result.output and "flow-logs enable" in result.output


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (["--since", "2026-10-10T00:00:00Z", "--until", "2026-10-01T00:00:00Z"], "not after"),
        (["--since", "2999-01-01T00:00:00+02:00"], "2998-12-31T22:00:00Z is in the future"),
        (["--days", "0"], "more than 0"),
    ],
)
def test_propose_refuses_an_impossible_window(
    tmp_path: Path, window: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        main,
        [
            "propose",
            "--snapshot",
            str(SNAPSHOT),
            "--workspace",
            str(tmp_path / "w.duckdb"),
            *window,
        ],
    )
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_kept_egress_rules_say_not_analysed(tickets: Path) -> None:
    """Egress use is not measured: a kept egress rule must not read "0 connections"."""
    folder = tickets / f"123456789012-us-east-1-{WEB}"
    ticket = folder / "TICKET.md"
    lines = ticket.read_text().splitlines()
    (egress, *_) = [line for line in lines if line.startswith("- Keep: egress")]
    assert "real use: not analysed" in egress and "0 connections" not in egress
    (inbound, *_) = [line for line in lines if line.startswith("- Keep: ingress")]
    assert "not analysed" not in inbound and "real use: " in inbound
    reports = list(tickets.glob("*.html")) + list(folder.glob("*.html"))
    html = "".join(p.read_text() for p in reports)
    assert "egress-not-analysed" in html


def test_the_ticket_lists_what_changes_first_and_collapses_unchanged_rules(tickets: Path) -> None:
    """Review pack, "What changes first": revoke/authorize in full, then one line per kept rule."""
    text = (tickets / f"123456789012-us-east-1-{WEB}" / "TICKET.md").read_text()
    assert "### Keep:" not in text  # no full section per unchanged rule
    head, sep, tail = text.partition("### Unchanged rules (")
    assert sep, text
    kept = [line for line in tail.splitlines() if line.startswith("- Keep: ")]
    assert tail.startswith(f"{len(kept)})") and len(kept) >= 2
    assert "### Revoke: " in head and "### Revoke: " not in tail
    assert len(kept) == len(load_plan(PLAN).group(WEB).keep)
