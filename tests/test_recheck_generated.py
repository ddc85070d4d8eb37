"""`sgharden recheck` end to end on generated data: a many-account snapshot with flow logs
(bench/triage_snapshot.py --flow-logs), planned by `propose` through the CLI; next week's snapshot
has one new in-scope finding and one drifted group in one account/region, and recheck reports
exactly those two facts (exit 6); an unchanged copy needs no attention (exit 0)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sgharden.cli import main
from sgharden.errors import EXIT_ATTENTION

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from triage_snapshot import write_snapshot


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """The generated snapshot, the plan `propose` wrote for it, and that plan read back."""
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
