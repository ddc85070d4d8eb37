"""Ids taken from a finding's resource ARN are checked by their grammar before anything uses them.

findings.py takes the group / instance / DB id from the tail of Resources[].Id (and the region from
the finding's ARN when no Region is given); a hostile ARN must give one line, exit 3, naming the
file and JSON path, through the commands that read findings (propose, triage).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sgharden.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "plan_small" / "snapshot"
GOOD_SG = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0a0000000000000aa"

CASES = {
    "path in the group id": (
        0,
        "arn:aws:ec2:us-east-1:123456789012:security-group/sg-../../x",
        "Findings[0].Resources[0].Id: 'security-group/sg-../../x' is not a security group id",
    ),
    "newline after the group id": (
        0,
        GOOD_SG + "\nrm -rf /",
        "Findings[0].Resources[0].Id: 'security-group/sg-0a0000000000000aa\\nrm -rf /' is not a "
        "security group id",
    ),
    "a prefix list where a group should be": (
        0,
        "arn:aws:ec2:us-east-1:123456789012:security-group/pl-0a0000000000000aa",
        "Findings[0].Resources[0].Id: 'security-group/pl-0a0000000000000aa' is not a security "
        "group id",
    ),
    "an instance path under a group": (
        0,
        "arn:aws:ec2:us-east-1:123456789012:instance/sg-0a0000000000000aa",
        "Findings[0].Resources[0].Id: 'instance/sg-0a0000000000000aa' is not a security group id",
    ),
    "an 11-digit account": (
        2,
        "arn:aws:ec2:us-east-1:12345678901:security-group/sg-0b0000000000000bb",
        "Findings[2].Resources[0].Id: account '12345678901' of ",
    ),
    "a region with a path": (
        3,
        "arn:aws:ec2:us-east-1/../x:123456789012:security-group/sg-0c0000000000000cc",
        "Findings[3].Resources[0].Id: region 'us-east-1/../x' of ",
    ),
    "an instance id with a path": (
        4,
        "arn:aws:ec2:us-east-1:123456789012:instance/i-0d0000000000000dd/../../y",
        "Findings[4].Resources[0].Id: 'instance/i-0d0000000000000dd/../../y' is not a instance id",
    ),
    "an instance id that is not hex": (
        4,
        'arn:aws:ec2:us-east-1:123456789012:instance/i-0d00000000000"$(id)',
        "Findings[4].Resources[0].Id: 'instance/i-0d00000000000\"$(id)' is not a instance id",
    ),
    "a DB name with a semicolon": (
        5,
        "arn:aws:rds:us-east-1:123456789012:db:orders-db;reboot",
        "Findings[5].Resources[0].Id: 'db:orders-db;reboot' is not an RDS DB instance identifier",
    ),
    "not an ARN": (
        1,
        "arn:aws:ec2",
        "Findings[1].Resources[0].Id: 'arn:aws:ec2' is not an ARN",
    ),
}


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    root = tmp_path / "snap"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("flow-logs"))
    return root


def _hostile(snapshot: Path, index: int, arn: str, drop_details: bool) -> Path:
    path = snapshot / "findings.json"
    doc = json.loads(path.read_text())
    resource = doc["Findings"][index]["Resources"][0]
    resource["Id"] = arn
    if drop_details:  # then the ARN's tail is the id findings.py takes
        resource.pop("Details", None)
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("command", ["propose", "triage"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_resource_arn_is_refused_naming_its_json_path(
    snapshot: Path, tmp_path: Path, case: str, command: str
) -> None:
    index, arn, expected = CASES[case]
    path = _hostile(snapshot, index, arn, drop_details=case.startswith("path"))
    args = [command, "--snapshot", str(snapshot), "--workspace", str(tmp_path / "w.duckdb")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"sgharden: error: {path}: {expected}"), lines[0]


def test_a_finding_without_region_takes_none_from_a_hostile_finding_arn(
    snapshot: Path, tmp_path: Path
) -> None:
    path = snapshot / "findings.json"
    doc = json.loads(path.read_text())
    finding = doc["Findings"][1]
    finding.pop("Region")
    finding["Resources"][0].pop("Region")
    finding["Id"] = "arn:aws:securityhub:../../etc:123456789012:finding/x"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(
        main, ["propose", "--snapshot", str(snapshot), "--workspace", ":memory:"]
    )
    assert result.exit_code == 3, result.output
    assert f"{path}: Findings[1].Id: region '../../etc' of " in result.stderr


def test_the_unmutated_findings_pass(snapshot: Path, tmp_path: Path) -> None:
    # the checks refuse hostile ARNs, not AWS's own: the same commands succeed on the fixture
    args = ["triage", "--snapshot", str(snapshot), "--workspace", str(tmp_path / "w.duckdb")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, (result.stderr, result.exception)
