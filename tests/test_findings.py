"""Every finding shape in ../shared/vectors/findings maps to the right control and resource."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sgharden.findings import finding_records, in_scope, parse_finding


@pytest.mark.parametrize(
    ("name", "control", "resource_type", "resource_id"),
    [
        (
            "aws-solutions-asr/afsbp-ec2.2.json",
            "EC2.2",
            "AwsEc2SecurityGroup",
            "sg-1234123f",
        ),
        ("aws-solutions-asr/afsbp_ec22.json", "EC2.2", "AwsEc2SecurityGroup", None),
        ("aws-solutions-asr/afsbp-rds.2.json", "RDS.2", "AwsRdsDbInstance", None),
        ("aws-solutions-asr/cis-41.json", "EC2.13", "AwsEc2SecurityGroup", None),
        ("aws-solutions-asr/cis-42.json", "EC2.14", "AwsEc2SecurityGroup", None),
        ("aws-solutions-asr/cis43.json", "EC2.2", "AwsEc2SecurityGroup", None),
        ("aws-solutions-asr/pci-ec2.2.json", "EC2.2", "AwsEc2SecurityGroup", None),
        ("aws-solutions-asr/pci-ec2.5.json", "EC2.13", "AwsEc2SecurityGroup", None),
        ("aws-solutions-asr/pci-rds.2.json", "RDS.2", "AwsRdsDbInstance", None),
        (
            "aws-docs/official-sample-finding-consolidation.json",
            "CloudTrail.2",
            "AwsCloudTrailTrail",
            None,
        ),
        ("aws-docs/official-sample-finding-fsbp.json", "CloudTrail.2", "AwsCloudTrailTrail", None),
    ],
)
def test_vector_shapes(
    vectors: Path, name: str, control: str, resource_type: str, resource_id: str | None
) -> None:
    raws = finding_records(json.loads((vectors / "findings" / name).read_text()))
    assert raws, name
    finding = parse_finding(raws[0])
    assert finding is not None
    assert (finding.control, finding.resource_type) == (control, resource_type)
    assert finding.account_id and finding.region and finding.finding_id
    if resource_id:
        assert finding.resource_id == resource_id
    if resource_type == "AwsEc2SecurityGroup":
        assert finding.resource_id.startswith("sg-")


def test_duplicates_collapse_and_keep_their_ids(vectors: Path) -> None:
    fsbp = finding_records(
        json.loads((vectors / "findings/aws-solutions-asr/afsbp-ec2.2.json").read_text())
    )[0]
    pci = dict(
        fsbp,
        Id="pci-duplicate",
        GeneratorId="pci-dss/v/3.2.1/PCI.EC2.2",
        ProductFields={"ControlId": "PCI.EC2.2"},
    )
    archived = dict(fsbp, Id="old", RecordState="ARCHIVED")
    passed = dict(fsbp, Id="passed", Compliance={"Status": "PASSED"})
    parsed = [parse_finding(r) for r in (fsbp, pci, archived, passed, pci)]
    kept = in_scope([p for p in parsed if p is not None])
    assert len(kept) == 1
    assert kept[0].all_ids == (fsbp["Id"], "pci-duplicate")


def test_an_archived_finding_alone_is_out_of_scope(vectors: Path) -> None:
    fsbp = finding_records(
        json.loads((vectors / "findings/aws-solutions-asr/afsbp-ec2.2.json").read_text())
    )[0]
    archived = parse_finding(dict(fsbp, Id="old", RecordState="ARCHIVED"))
    assert archived is not None
    assert in_scope([archived]) == []
    active = parse_finding(dict(fsbp, Id="new", RecordState="ACTIVE"))
    assert active is not None
    assert [f.finding_id for f in in_scope([archived, active])] == ["new"]
