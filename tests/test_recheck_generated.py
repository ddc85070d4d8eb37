"""`sgharden recheck` end to end on generated data: a many-account snapshot with flow logs
(bench/triage_snapshot.py --flow-logs), planned by `propose` through the CLI; next week's snapshot
has one new in-scope finding and one drifted group in one account/region, and recheck reports
exactly those two facts (exit 6); an unchanged copy needs no attention (exit 0).

Before apply, the flow logs delivered since the plan (one later object, written where AWS puts it,
read with --flow-logs into a copy of propose's workspace): a new real user of a port the plan
narrows or revokes is one `would-cut` fact (exit 6); scanners on the same ports are none."""

from __future__ import annotations

import ipaddress
import json
import random
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sgharden.change.replay import replay
from sgharden.cli import main
from sgharden.errors import EXIT_ATTENTION
from sgharden.plan.read import load_plan
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from triage_snapshot import internal_sources, real_session, write_flow_log_object, write_snapshot

NEWCOMER = "198.51.100.23"  # an internet address the plan's window never saw
SWEEPER = "198.51.100.77"
BRUTE_FORCER = "198.51.100.88"
LATER = datetime(2026, 10, 20, tzinfo=UTC)  # after the plan's window (2026-10-01 to 10-16)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """The generated snapshot, the plan `propose` wrote for it (its workspace beside it: w.duckdb),
    and that plan read back."""
    tmp = tmp_path_factory.mktemp("recheck-generated")
    snap = tmp / "snap"
    write_snapshot(snap, accounts=2, regions=1, groups=4, seed=12, flow_logs=True)
    out = tmp / "PLAN.json"
    result = CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(snap), "--workspace", str(tmp / "w.duckdb"), "--quiet",
         "--format", "json", "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text())
    # the flow logs made the plan judge real use: without them every group would wait for data
    ready = [g for g in plan["groups"] if g["status"] == "ready" and g["authorize"]]
    assert len({(g["account_id"], g["region"]) for g in ready}) == 2, plan["groups"]
    return snap, out, plan


def run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def events(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_an_unchanged_snapshot_needs_no_attention(
    planned: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    snap, plan_path, _ = planned
    copy = tmp_path / "same"
    shutil.copytree(snap, copy)
    result = run(["recheck", str(plan_path), "--snapshot", str(copy)])
    assert result.exit_code == 0, result.output
    assert events(result) == []
    md = run(["recheck", str(plan_path), "--snapshot", str(copy), "--format", "markdown"])
    assert md.exit_code == 0 and "Nothing needs attention." in md.stdout


def test_one_new_finding_and_one_drifted_group_in_one_region_are_the_only_events(
    planned: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    snap, plan_path, plan = planned
    fresh = tmp_path / "fresh"
    shutil.copytree(snap, fresh)
    # the second account's region: a planned group with a rule the plan revokes unused
    target = next(
        g
        for g in sorted(plan["groups"], key=lambda g: (g["account_id"], g["group_id"]))[::-1]
        if g["status"] == "ready" and len(g["revoke"]) > 1 and g["authorize"]
    )
    account, region, drifted = target["account_id"], target["region"], target["group_id"]
    folder = fresh / account / region

    groups_path = folder / "security-groups.json"
    groups = json.loads(groups_path.read_text())
    group = next(g for g in groups["SecurityGroups"] if g["GroupId"] == drifted)
    assert len(group["IpPermissions"]) > 1
    removed = group["IpPermissions"].pop()  # someone deleted a rule by hand
    # and someone opened a new group to the world: Security Hub flags it
    new_gid = "sg-0feedfacecafe0001"
    groups["SecurityGroups"].append(
        {"GroupId": new_gid, "GroupName": "new-admin", "VpcId": group["VpcId"],
         "IpPermissions": [removed], "IpPermissionsEgress": []}
    )  # fmt: skip
    groups_path.write_text(json.dumps(groups))

    findings_path = folder / "findings.json"
    doc = json.loads(findings_path.read_text())
    template = next(
        f
        for f in doc["Findings"]
        if f["Compliance"].get("SecurityControlId") == "EC2.19"
        and f["Resources"][0]["Details"]["AwsEc2SecurityGroup"]["GroupId"] == drifted
    )
    new = json.loads(json.dumps(template).replace(drifted, new_gid))
    new["Id"] = new["Id"].rsplit("/", 1)[0] + "/new-finding-0001"
    doc["Findings"].append(new)
    findings_path.write_text(json.dumps(doc))

    result = run(["recheck", str(plan_path), "--snapshot", str(fresh)])
    assert result.exit_code == EXIT_ATTENTION, result.output
    got = events(result)
    assert sorted((e["kind"], e["account_id"], e["region"], e["target_id"]) for e in got) == [
        ("drift", account, region, drifted),
        ("new-finding", account, region, new_gid),
    ]
    by_kind = {e["kind"]: e for e in got}
    assert by_kind["drift"]["detail"] == {"id": "rules", "added": 0, "missing": 1}
    assert by_kind["new-finding"]["detail"]["id"] == new["Id"]
    assert by_kind["new-finding"]["detail"]["control"] == "EC2.19"
    assert all(e["schema"] == "sgharden.recheck/v1" for e in got)
    # the other account's region, unchanged, has nothing to say
    assert {e["account_id"] for e in got} == {account}
    other = {g["account_id"] for g in plan["groups"]} - {account}
    assert other, "the generated snapshot has a second account"


def eni_of(snap: Path, account: str, region: str, eni_id: str) -> dict[str, Any]:
    doc = json.loads((snap / account / region / "network-interfaces.json").read_text())
    return next(e for e in doc["NetworkInterfaces"] if e["NetworkInterfaceId"] == eni_id)


def later_object(
    planned: tuple[Path, Path, dict[str, Any]], tmp_path: Path, port_kind: str, newcomer: bool
) -> tuple[Path, Path, Path, dict[str, Any], int]:
    """A copy of the snapshot and of propose's workspace, and one flow-log object delivered after
    the plan's window into the copy (at AWS's key layout, as the generator writes): on one ENI of
    a ready group, the office (the two internal sources the plan narrows the group's first port
    to) again; a SYN sweep of every risky port of every recorded ENI of the region and an SSH-style
    burst of failed logins on the chosen port (scanners); and, if `newcomer`, three full sessions
    over the working day from an internet address on the chosen port: the group's narrowed first
    port, or (`revoked`) a port the plan revokes outright.

    Returns (snapshot copy, workspace copy, the object's folder, the group, the chosen port)."""
    snap, _, plan = planned
    group = next(
        g
        for g in sorted(plan["groups"], key=lambda g: (g["account_id"], g["group_id"]))
        if g["status"] == "ready"
        and g["authorize"]
        and {r["FromPort"] for r in g["revoke"]} - {r["FromPort"] for r in g["authorize"]}
    )
    narrowed = group["authorize"][0]["FromPort"]
    revoked = min(
        {r["FromPort"] for r in group["revoke"]} - {r["FromPort"] for r in group["authorize"]}
    )
    port = narrowed if port_kind == "narrowed" else revoked
    # the newcomer is allowed now (the world-open rule) and not after: no authorize admits it
    assert all(
        ipaddress.ip_address(NEWCOMER) not in ipaddress.ip_network(r["CidrIpv4"])
        for r in group["authorize"]
    )
    account, region = group["account_id"], group["region"]
    fresh = tmp_path / "fresh"
    shutil.copytree(snap, fresh)
    workspace = tmp_path / "w.duckdb"
    shutil.copy(snap.parent / "w.duckdb", workspace)

    folder = fresh / account / region
    (flow_log,) = json.loads((folder / "flow-logs.json").read_text())["FlowLogs"]
    recorded = [
        e
        for e in json.loads((folder / "network-interfaces.json").read_text())["NetworkInterfaces"]
        if e["VpcId"] == flow_log["ResourceId"]
    ]
    target = eni_of(fresh, account, region, group["coverage"]["enis"][0])
    eni_id, addr = target["NetworkInterfaceId"], target["PrivateIpAddress"]
    rng = random.Random(20)
    t0 = int(LATER.timestamp())
    records: list[dict[str, object]] = []
    for hour, source in zip((9, 14), internal_sources(group["group_id"]), strict=True):
        records += real_session(account, eni_id, addr, source, narrowed, t0 + hour * 3600, rng)
    if newcomer:
        for hour in (9, 12, 16):
            records += real_session(
                account, eni_id, addr, NEWCOMER, port, t0 + hour * 3600 + 600, rng
            )
    base: dict[str, object] = {
        "version": 2,
        "account-id": account,
        "protocol": 6,
        "log-status": "OK",
    }
    # a stateless SYN sweep: one bare SYN (40 B) per port; the open ones answer one SYN-ACK
    start = t0 + 3 * 3600
    ports_of = {
        sg["GroupId"]: {p["FromPort"] for p in sg["IpPermissions"] if "FromPort" in p}
        for sg in json.loads((folder / "security-groups.json").read_text())["SecurityGroups"]
    }
    for i, eni in enumerate(recorded):
        opened = set().union(*(ports_of[g["GroupId"]] for g in eni["Groups"]))
        for j, risky in enumerate((22, 3389, 5432, 3306, 6379, 9200)):
            t, sport = start + i * 6 + j, 40000 + i * 6 + j
            action = "ACCEPT" if risky in opened else "REJECT"
            syn = {**base, "interface-id": eni["NetworkInterfaceId"], "srcaddr": SWEEPER,
                   "dstaddr": eni["PrivateIpAddress"], "srcport": sport, "dstport": risky,
                   "packets": 1, "bytes": 40, "start": t, "end": t + 1, "action": action}  # fmt: skip
            records.append(syn)
            if action == "ACCEPT":
                records.append({**syn, "srcaddr": syn["dstaddr"], "dstaddr": SWEEPER,
                                "srcport": risky, "dstport": sport, "bytes": 44})  # fmt: skip
    # a credential brute force: eight failed logins within the hour, a few KB each way
    for k in range(8):
        t, sport = t0 + 5 * 3600 + 400 * k, 50000 + k
        attempt = {**base, "interface-id": eni_id, "srcaddr": BRUTE_FORCER, "dstaddr": addr,
                   "srcport": sport, "dstport": port, "packets": rng.randint(18, 30),
                   "bytes": rng.randint(2500, 4500), "start": t, "end": t + 6,
                   "action": "ACCEPT"}  # fmt: skip
        records += [attempt, {**attempt, "srcaddr": addr, "dstaddr": BRUTE_FORCER, "srcport": port,
                              "dstport": sport, "bytes": rng.randint(2500, 5000)}]  # fmt: skip
    path = write_flow_log_object(folder, account, region, flow_log["FlowLogId"], LATER, records)
    return fresh, workspace, path.parent, group, port


@pytest.mark.parametrize("port_kind", ["narrowed", "revoked"])
def test_a_new_real_user_since_the_plan_is_one_would_cut_fact(
    planned: tuple[Path, Path, dict[str, Any]], tmp_path: Path, port_kind: str
) -> None:
    _, plan_path, _ = planned
    fresh, workspace, day, group, port = later_object(planned, tmp_path, port_kind, newcomer=True)
    result = run(["recheck", str(plan_path), "--snapshot", str(fresh), "--workspace",
                  str(workspace), "--flow-logs", str(day)])  # fmt: skip
    assert result.exit_code == EXIT_ATTENTION, result.output
    got = events(result)
    assert [(e["kind"], e["account_id"], e["region"], e["target_id"]) for e in got] == [
        ("would-cut", group["account_id"], group["region"], group["group_id"])
    ]
    detail = got[0]["detail"]
    assert (detail["remote_addr"], detail["port"], detail["kind"]) == (NEWCOMER, port, "real")
    assert detail["interface_id"] == group["coverage"]["enis"][0]
    assert detail["connections"] == 3
    assert detail["first_seen"].startswith("2026-10-20T09:")


def test_scanners_since_the_plan_are_no_would_cut_fact(
    planned: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    _, plan_path, _ = planned
    fresh, workspace, day, _, _ = later_object(planned, tmp_path, "narrowed", newcomer=False)
    result = run(["recheck", str(plan_path), "--snapshot", str(fresh), "--workspace",
                  str(workspace), "--flow-logs", str(day)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert events(result) == []
    # not because the object went unread: the same replay as `dry-run` over that day denies both
    # scanners on the narrowed port, and judges them probes (the office stays admitted)
    con = open_workspace(workspace, read_only=True)
    try:
        day_after = (LATER.replace(tzinfo=None), LATER.replace(tzinfo=None) + timedelta(days=1))
        replayed = replay(con, load_plan(plan_path), load_snapshot(fresh), day_after)
    finally:
        con.close()
    assert {d.remote_addr for d in replayed.denied_probes} == {SWEEPER, BRUTE_FORCER}
    assert replayed.denied_real == []
