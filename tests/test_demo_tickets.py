"""The demo's review pack, as a change-advisory board reads it: propose on the bundled sample,
then `sgharden ticket` with the workspace the plan was made from (a real DuckDB), and check what
a reviewer signs: the plan's findings only, no placeholder, a complete evidence.csv, the dry-run
verdict, the default group's ticket and the needs-more-data line."""

from __future__ import annotations

import csv
import json
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import duckdb
import hcl2
import pytest
from click.testing import CliRunner, Result

from sgharden.cli import main
from sgharden.commands.demo import sample_snapshot
from sgharden.errors import EXIT_INPUT
from sgharden.plan.read import load_plan
from sgharden.render.rule_text import rule_text

DEFAULT = "sg-0aa00000000000001"
WEB = "sg-0aa00000000000002"
CANARY = "sg-0aa00000000000007"
PLACEHOLDERS = ("ENI_OF_THE_INSTANCE", "PUBLIC_IP", "TODO", "FIXME", "XXX", "<placeholder>")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("demo-pack")
    workspace, plan = root / "demo.duckdb", root / "plan.json"
    snapshot = sample_snapshot()
    result = run(
        "propose", "--snapshot", str(snapshot), "--workspace", str(workspace), "--quiet",
        "--format", "json", "--output", str(plan),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = root / "tickets"
    result = run(
        "ticket", str(plan), "--snapshot", str(snapshot), "--workspace", str(workspace),
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"root": root, "workspace": workspace, "plan": plan, "out": out, "snapshot": snapshot}


def plan_doc(demo: dict[str, Path]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(demo["plan"].read_text())
    return doc


def group_folder(demo: dict[str, Path], group_id: str) -> Path:
    return next(demo["out"].glob(f"*-{group_id}"))


def ticket_folders(demo: dict[str, Path]) -> list[Path]:
    return sorted(p for p in demo["out"].iterdir() if p.is_dir())


def test_each_ticket_lists_the_plans_findings_only(demo: dict[str, Path]) -> None:
    doc = plan_doc(demo)
    wanted = {g["group_id"]: set(g["findings"]) for g in doc["groups"]}
    wanted.update(
        {f"{r['resource_id']}-{r['control']}": set(r["findings"]) for r in doc["resources"]}
    )
    for folder in ticket_folders(demo):
        key = next(k for k in wanted if folder.name.endswith(k))
        listed = set(
            re.findall(r"`(arn:aws:securityhub:[^`]+)`", (folder / "TICKET.md").read_text())
        )
        assert listed == wanted[key], folder.name


def test_no_ticket_file_holds_a_placeholder(demo: dict[str, Path]) -> None:
    for folder in ticket_folders(demo):
        for path in folder.iterdir():
            text = path.read_text()
            for word in PLACEHOLDERS:
                assert word not in text, f"{path}: {word}"


def test_evidence_csv_lists_every_source_of_every_rule(demo: dict[str, Path]) -> None:
    plan = load_plan(demo["plan"])
    top = int(plan.settings["top_sources"])
    longest = 0
    for group in plan.groups_to_change():
        folder = group_folder(demo, group.group_id)
        rows = list(csv.DictReader((folder / "evidence.csv").open()))
        for change, rules in (
            ("revoke", group.revoke),
            ("authorize", group.authorize),
            ("keep", group.keep),
        ):
            for pr in rules:
                if pr.rule.is_egress:
                    continue
                mine = [
                    r for r in rows if r["change"] == change and r["rule"] == rule_text(pr.rule)
                ]
                real = [r for r in mine if r["kind"] == "real"]
                probes = [r for r in mine if r["kind"] == "probe"]
                ev = pr.evidence
                assert len(real) == ev.source_count and len(probes) == ev.probe_source_count
                assert sum(int(r["connections"]) for r in real) == ev.connections
                assert sum(int(r["connections"]) for r in probes) == ev.probe_connections
                assert len({r["address"] for r in real}) == len(real)
                longest = max(longest, len(real))
        assert (
            "All sources of every inbound rule: `evidence.csv`"
            in (folder / "TICKET.md").read_text()
        )
    assert longest > top  # the sample's web group has far more sources than the plan carries


def test_tickets_and_report_carry_the_dry_run_verdict(demo: dict[str, Path]) -> None:
    dry = json.loads((demo["out"] / "dry-run.json").read_text())
    assert dry["ok"] is True and dry["replay"]["newly_denied"]["real"] == []
    probes_by_group: dict[str, int] = {}
    for d in dry["replay"]["newly_denied"]["probes"]:
        for gid in d["group_ids"]:
            probes_by_group[gid] = probes_by_group.get(gid, 0) + d["connections"]
    for group in load_plan(demo["plan"]).groups_to_change():
        text = (group_folder(demo, group.group_id) / "TICKET.md").read_text()
        section = text.split("## Dry-run verdict", 1)[1].split("\n## ", 1)[0]
        assert "**safe to apply: the replay of the window cuts no real use.**" in section
        assert "real use cut: 0 connection(s) from 0 source(s)" in section
        assert f"scanners shut out: {probes_by_group.get(group.group_id, 0):,} probe" in section
        assert re.search(r"ingress IPv4 \d+", section) and "quota 60" in section
        assert "`../dry-run.md`" in section and "`../report.html`" in text
    html = (demo["out"] / "report.html").read_text()
    assert html.count('class="verdict verdict-safe"') == len(
        load_plan(demo["plan"]).groups_to_change()
    )
    assert 'href="dry-run.md"' in html


def test_a_workspace_that_no_longer_backs_the_plan_is_refused(demo: dict[str, Path]) -> None:
    changed = demo["root"] / "changed.duckdb"
    shutil.copy(demo["workspace"], changed)
    con = duckdb.connect(str(changed))
    # a later ingest that changed the window's data: one inbound HTTPS client of the web group gone
    con.execute("DELETE FROM flow_rollup WHERE remote_addr = (SELECT remote_addr FROM flow_rollup "
                "WHERE direction = 'inbound' AND service_port = 443 AND accepted > 0 "
                "ORDER BY connections DESC LIMIT 1)")  # fmt: skip
    con.close()
    result = run(
        "ticket", str(demo["plan"]), "--snapshot", str(demo["snapshot"]), "--workspace",
        str(changed), "--out", str(demo["root"] / "refused"),
    )  # fmt: skip
    assert result.exit_code == EXIT_INPUT
    # the plan's inputs (plan/fingerprint.py) catch it before the evidence totals are compared
    assert f"made from other inputs than the workspace {changed}" in result.output
    assert "fewer, same span" in result.output


def test_without_the_workspace_the_ticket_says_what_it_lacks(demo: dict[str, Path]) -> None:
    out = demo["root"] / "partial"
    result = run("ticket", str(demo["plan"]), "--snapshot", str(demo["snapshot"]), "--workspace",
                 str(demo["root"] / "absent.duckdb"), "--out", str(out))  # fmt: skip
    assert result.exit_code == EXIT_INPUT  # named explicitly: refused, not ignored
    result = CliRunner().invoke(
        main, ["ticket", str(demo["plan"]), "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    text = (group_folder({"out": out}, WEB) / "TICKET.md").read_text()
    assert "All sources" not in text
    assert re.search(r"`evidence.csv` holds the \d+ busiest of [\d,]+ sources", text)
    assert "**Not run.**" in text.split("## Dry-run verdict", 1)[1]


def test_the_default_group_ticket(demo: dict[str, Path]) -> None:
    folder = group_folder(demo, DEFAULT)
    text = (folder / "TICKET.md").read_text()
    assert "| Interface |" not in text and "No network interface uses this group" in text
    assert "authorized **before**" not in text and "Nothing is authorized" in text
    for section in text.split("### Revoke: egress")[1:]:  # outbound use is never measured
        assert "real use: not analysed" in section.split("###")[0]
    tf = hcl2.loads((folder / "change.tf").read_text())  # python-hcl2 keeps the quotes
    groups = [r['"aws_default_security_group"'] for r in tf["resource"]]
    assert len(groups) == 1 and len(tf["resource"]) == 1
    (body,) = groups[0].values()
    assert body["vpc_id"] == '"vpc-0ff00000000000001"'
    assert "ingress" not in body and "egress" not in body  # EC2.2: no rule stays


def test_the_needs_more_data_line_says_what_is_missing_and_when(demo: dict[str, Path]) -> None:
    group = next(g for g in plan_doc(demo)["groups"] if g["group_id"] == CANARY)
    assert group["status"] == "needs-more-data"
    text = " ".join(group["warnings"])
    assert "would revoke" not in text  # counted rules that stay, and guessed use as zero
    assert "1 of 1 ENI(s) have no flow-log data" in text and "unknown (not zero)" in text
    assert "ready after 14 day(s) of complete flow logs on eni-0bb00000000000008" in text
    command = re.search(r"start them: (sgharden flow-logs enable [^)]+)\)", text)
    assert command is not None
    argv = shlex.split(command.group(1))
    assert argv[argv.index("--snapshot") + 1] == str(demo["snapshot"])
    assert argv[argv.index("--destination") + 1] == "s3://acme-flow-logs-111122223333"
    held = [r["reason"] for r in group["keep"] if r["reason"].startswith("needs more data")]
    assert held and all("in the data recorded so far" in r for r in held)


def test_the_ticket_names_in_vpc_sources_and_keeps_human_context(demo: dict[str, Path]) -> None:
    db = group_folder(demo, "sg-0aa00000000000004")
    rows = list(csv.DictReader((db / "evidence.csv").open()))
    named = {r["address"]: r["source_name"] for r in rows}
    assert (
        named["10.0.2.11"]
        == "eni-0bb00000000000004 (i-0cc00000000000004 app-2, sg-0aa00000000000003)"
    )
    text = (db / "TICKET.md").read_text()
    assert "| 10.0.2.11 | eni-0bb00000000000004 (i-0cc00000000000004 app-2" in text
    app = (group_folder(demo, "sg-0aa00000000000003") / "TICKET.md").read_text()
    assert "| Owner | shop (tag `team`) |" in app  # the group's tag, not a guess
    assert "| Change window | not tagged on the group: fill in |" in app
    html = (demo["out"] / "report.html").read_text()
    assert (
        "<td>eni-0bb00000000000004 (i-0cc00000000000004 app-2, sg-0aa00000000000003)</td>" in html
    )
    assert (
        '<details class="unchanged"><summary>6 unchanged rule(s)' in html
    )  # the web group's keeps


def test_resource_tickets_carry_evidence_csv_with_the_outbound_fix(demo: dict[str, Path]) -> None:
    folder = next(demo["out"].glob("*-i-0cc00000000000005-EC2.9"))
    rows = list(csv.DictReader((folder / "evidence.csv").open()))
    outbound = [r for r in rows if r["kind"] == "outbound"]
    assert len(outbound) == 5
    ntp = [r for r in outbound if (r["protocol"], r["port"]) == ("udp", "123")]
    assert ntp and all("Amazon Time Sync Service" in r["suggestion"] for r in ntp)
    https = [r for r in outbound if r["port"] == "443"]
    assert https and all("gateway endpoint" in r["suggestion"] for r in https)
    assert (
        "| 162.159.200.123 | udp 123 | 88 | NTP: use the Amazon Time Sync"
        in (folder / "TICKET.md").read_text()
    )
    rds = next(demo["out"].glob("*-orders-db-RDS.2"))
    clients = list(csv.DictReader((rds / "evidence.csv").open()))
    assert {r["address"] for r in clients if r["kind"] == "private-client"} == {
        "10.0.2.10",
        "10.0.2.11",
    }


def test_the_report_charts_draw_the_flow_log_gaps_and_label_the_axes(demo: dict[str, Path]) -> None:
    html = (demo["out"] / "report.html").read_text()
    web = html.split(f'<section class="group" id="{WEB}">', 1)[1].split("</section>", 1)[0]
    gap = re.search(r'<rect class="gap" x="([\d.]+)"[^>]*><title>([^<]+)</title>', web)
    assert gap is not None
    assert gap.group(2) == (
        "no flow-log record of eni-0bb00000000000002 2026-10-09T03:00:00Z to "
        "2026-10-09T05:00:00Z (skipdata)"
    )
    # 8 days and 3 hours into a 21-day axis of 520 px that starts at x=36
    assert abs(float(gap.group(1)) - (36 + 520 * (8 + 3 / 24) / 21)) < 0.1
    assert "day (UTC)" in web and ">per day</text>" in web
    db = html.split('<section class="group" id="sg-0aa00000000000004">', 1)[1].split("</section>")[
        0
    ]
    assert 'class="gap"' not in db  # no gap, none drawn


def test_the_week_view_adds_up_to_the_rules_real_use(demo: dict[str, Path]) -> None:
    html = (demo["out"] / "report.html").read_text()
    checked = 0
    for div in html.split('<div class="rule ')[1:]:
        div = div.split("</div>", 1)[0]
        if 'class="week"' not in div:
            continue
        real = int(re.search(r"Real use: <strong>([\d,]+)</strong>", div).group(1).replace(",", ""))  # type: ignore[union-attr]
        cells = [int(n) for n in re.findall(r'UTC: (\d+) connection\(s\)"', div)]
        assert len(cells) == 7 * 24 and sum(cells) == real and real > 0
        checked += 1
    assert checked >= 8  # every inbound rule with real use in the sample


def test_probes_are_summarised_by_family_and_each_says_why(demo: dict[str, Path]) -> None:
    from sgharden.analysis.verdicts import FAMILY_TEXT, probe_family
    from sgharden.render.escape import markdown_text

    seen: set[str] = set()
    for group in plan_doc(demo)["groups"]:
        for change in ("revoke", "authorize", "keep"):
            for rule in group[change]:
                probes = rule["evidence"].get("probes") or {}
                families = probes.get("families") or []
                # every probe source of the window, not just the listed top ones
                assert sum(f["sources"] for f in families) == probes.get("source_count", 0)
                assert sum(f["connections"] for f in families) == probes.get("connections", 0)
                for source in probes.get("sources") or []:
                    assert source["reason"] and probe_family(source["reason"]) != "other"
                seen |= {f["family"] for f in families}
    assert len(seen) >= 2 and "other" not in seen, seen
    web = next(g for g in plan_doc(demo)["groups"] if g["group_id"] == WEB)
    text = (group_folder(demo, WEB) / "TICKET.md").read_text()
    assert "probes by family" in text and "| Why a probe |" in text
    for rule in web["revoke"]:
        for family in rule["evidence"]["probes"]["families"]:
            assert FAMILY_TEXT[family["family"]] in text
        for source in rule["evidence"]["probes"]["sources"][:10]:
            assert markdown_text(source["reason"]) in text
    report = (demo["out"] / "report.html").read_text()
    assert 'class="probe-families"' in report


def test_a_revoked_egress_rule_is_not_called_kept_in_the_report(demo: dict[str, Path]) -> None:
    report = (demo["out"] / "report.html").read_text()
    default = report.split(f'id="{DEFAULT}"', 1)[1].split("<section", 1)[0]
    assert "revoke</span> <code>egress" in default or "egress all traffic" in default
    assert "not analysed" in default and "kept as it is" not in default


def test_every_ingress_rule_says_how_its_connections_were_counted(demo: dict[str, Path]) -> None:
    # the demo's logs have ports: every TCP/UDP rule counts distinct client ports per hour
    from sgharden.analysis.counted_by import PORTS

    doc = plan_doc(demo)
    notes = {
        rule["evidence"]["counted_by"]
        for g in doc["groups"]
        for change in ("revoke", "authorize", "keep")
        for rule in g[change]
        if not rule["IsEgress"] and rule["IpProtocol"] in ("tcp", "udp")
    }
    assert notes == {PORTS}
    for group in load_plan(demo["plan"]).groups_to_change():
        text = (group_folder(demo, group.group_id) / "TICKET.md").read_text()
        assert f"- counted by: {PORTS}" in text
    html = (demo["out"] / "report.html").read_text()
    assert f"Counted by: {PORTS}." in html.replace("&#39;", "'")


def test_evidence_csv_says_how_each_rules_connections_were_counted(demo: dict[str, Path]) -> None:
    """Each row of a group's evidence.csv carries its rule's counted_by note; EC2.9 and RDS.2
    evidence (plan, TICKET.md, evidence.csv) carries the resource's."""
    from sgharden.analysis.counted_by import PORTS, PORTS_AND_RECORDS

    plan = load_plan(demo["plan"])
    checked = 0
    for group in plan.groups_to_change():
        notes = {
            (change, rule_text(pr.rule)): pr.evidence.counted_by or ""
            for change, rules in (
                ("revoke", group.revoke),
                ("authorize", group.authorize),
                ("keep", group.keep),
            )
            for pr in rules
        }
        for row in csv.DictReader((group_folder(demo, group.group_id) / "evidence.csv").open()):
            assert row["counted_by"] == notes[(row["change"], row["rule"])], row
            assert row["counted_by"]  # ingress rules only have sources, and each has a note
            checked += 1
    assert checked > 20
    expected = {"EC2.9": PORTS_AND_RECORDS, "RDS.2": PORTS}  # any protocol / the DB's TCP port
    resources = plan_doc(demo)["resources"]
    assert {r["control"] for r in resources} == set(expected)
    ticketed = 0
    for r in resources:
        note = expected[r["control"]]
        assert r["evidence"]["counted_by"] == note
        folder = next(demo["out"].glob(f"*-{r['resource_id']}-{r['control']}"), None)
        if folder is None:  # a kept resource has no ticket
            continue
        ticketed += 1
        assert f"Counted by: {note}." in (folder / "TICKET.md").read_text()
        rows = list(csv.DictReader((folder / "evidence.csv").open()))
        assert rows and {row["counted_by"] for row in rows} == {note}
    assert ticketed == 2  # the demo's EC2.9 and RDS.2 tickets


def test_the_weekly_rdp_export_counts_its_three_sessions(demo: dict[str, Path]) -> None:
    # samples/generate.py: 84.17.52.140 opens RDP to `reporting` on three Mondays, ~40 minutes
    # each, a record per aggregation interval: 3 connections (counted 17 before issue 11)
    doc = plan_doc(demo)
    (group,) = [g for g in doc["groups"] if g["group_id"] == "sg-0aa00000000000006"]
    (rdp,) = [r for r in group["authorize"] if r.get("CidrIpv4") == "84.17.52.140/32"]
    assert rdp["FromPort"] == 3389
    assert rdp["evidence"]["connections"] == 3
    assert rdp["evidence"]["daily"] and len(rdp["evidence"]["daily"]) == 3


def test_dry_run_counts_connections_as_the_plans_evidence_does(demo: dict[str, Path]) -> None:
    """Defect 3: one connection definition. A revoked world-open rule on one port that no kept
    rule overlaps: what the replay says would newly be denied there is the rule's evidence, real
    and probe connections alike (the replay once counted (interface, port, remote) keys)."""
    replay = json.loads((demo["out"] / "dry-run.json").read_text())["replay"]
    denied: dict[tuple[str, int, str], int] = {}
    for kind in ("real", "probes"):
        for row in replay["newly_denied"][kind]:
            for group_id in row["group_ids"]:
                key = (group_id, row["port"], kind)
                denied[key] = denied.get(key, 0) + row["connections"]
    compared = 0
    for group in plan_doc(demo)["groups"]:
        for rule in group["revoke"]:
            if rule["IsEgress"] or rule["FromPort"] != rule["ToPort"] or rule["FromPort"] < 0:
                continue
            port, ev = rule["FromPort"], rule["evidence"]
            assert denied.get((group["group_id"], port, "probes"), 0) == ev["probes"]["connections"]
            if rule.get("CidrIpv4") == "0.0.0.0/0" and not any(
                k["FromPort"] is not None and k["FromPort"] <= port <= k["ToPort"]
                for k in (*group["keep"], *group["authorize"])
                if not k["IsEgress"]
            ):
                assert denied.get((group["group_id"], port, "real"), 0) == ev["connections"]
            compared += ev["probes"]["connections"] > 0
    assert compared >= 3  # SSH and FTP on web, 5432, 3389: there was something to compare
