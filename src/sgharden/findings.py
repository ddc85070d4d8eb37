"""Security Hub findings (ASFF) in every shape Security Hub has produced, reduced to `Finding`.

Shapes accepted:
- consolidated control findings: GeneratorId `security-control/EC2.19`, Compliance.SecurityControlId;
- per-standard (legacy) findings: FSBP/NIST `ProductFields.ControlId` (EC2.19), CIS rule numbers
  (1.2.0 rule 4.1 -> EC2.13 ...), PCI DSS ids (PCI.EC2.5 -> EC2.13 ...);
- containers: `{"Findings": [...]}` (get-findings), an EventBridge event (`detail.findings`), a list,
  or a single finding object.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from sys import intern
from typing import Any

from sgharden.awsids import resource_tail
from sgharden.model import Finding

# Controls sgharden acts on. Security group controls first, then resource controls.
SECURITY_GROUP_CONTROLS = ("EC2.19", "EC2.18", "EC2.13", "EC2.14", "EC2.53", "EC2.54", "EC2.2")
RESOURCE_CONTROLS = ("EC2.9", "RDS.2")
IN_SCOPE_CONTROLS = SECURITY_GROUP_CONTROLS + RESOURCE_CONTROLS

# Legacy per-standard control ids -> consolidated security control id (Security Hub's own mapping).
LEGACY_CONTROL_IDS = {
    # CIS AWS Foundations Benchmark v1.2.0 (rule numbers in the GeneratorId)
    "cis-1.2.0/4.1": "EC2.13",
    "cis-1.2.0/4.2": "EC2.14",
    "cis-1.2.0/4.3": "EC2.2",
    # CIS v1.4.0
    "cis-1.4.0/5.3": "EC2.2",
    # CIS v3.0.0
    "cis-3.0.0/5.2": "EC2.53",
    "cis-3.0.0/5.3": "EC2.54",
    "cis-3.0.0/5.4": "EC2.2",
    # PCI DSS v3.2.1
    "PCI.EC2.2": "EC2.2",
    "PCI.EC2.5": "EC2.13",
    "PCI.RDS.2": "RDS.2",
}

# The generator ids collect asks Security Hub for (server-side filter), legacy standards included.
LEGACY_GENERATOR_IDS = {
    "EC2.13": [
        "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.1",
        "pci-dss/v/3.2.1/PCI.EC2.5",
    ],
    "EC2.14": ["arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.2"],
    "EC2.2": [
        "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.3",
        "cis-aws-foundations-benchmark/v/1.4.0/5.3",
        "cis-aws-foundations-benchmark/v/3.0.0/5.4",
        "pci-dss/v/3.2.1/PCI.EC2.2",
    ],
    "EC2.53": ["cis-aws-foundations-benchmark/v/3.0.0/5.2"],
    "EC2.54": ["cis-aws-foundations-benchmark/v/3.0.0/5.3"],
    "RDS.2": ["pci-dss/v/3.2.1/PCI.RDS.2"],
}

SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")

_CIS_RULE = re.compile(r"cis-aws-foundations-benchmark/v/(\d+\.\d+\.\d+)/(?:rule/)?(\d+\.\d+)$")
_STANDARD_CONTROL = re.compile(r"/v/[\d.]+/([A-Za-z0-9]+\.\d+)$")


def control_id(raw: dict[str, Any]) -> str | None:
    """The consolidated security control id of a finding, whatever its shape, or None."""
    compliance = raw.get("Compliance") or {}
    if compliance.get("SecurityControlId"):
        return str(compliance["SecurityControlId"])
    generator = str(raw.get("GeneratorId", ""))
    if generator.startswith("security-control/"):
        return generator.split("/", 1)[1]
    cis = _CIS_RULE.search(generator)
    if cis:
        return LEGACY_CONTROL_IDS.get(f"cis-{cis.group(1)}/{cis.group(2)}")
    product_control = (raw.get("ProductFields") or {}).get("ControlId")
    candidate = product_control
    if not candidate:
        m = _STANDARD_CONTROL.search(generator)
        candidate = m.group(1) if m else None
    if not candidate:
        return None
    if candidate in LEGACY_CONTROL_IDS:
        return LEGACY_CONTROL_IDS[candidate]
    if candidate.startswith("PCI."):
        return None  # a PCI control with no consolidated equivalent we know of
    return str(candidate)


def _resource_id(resource: dict[str, Any]) -> str:
    details = resource.get("Details") or {}
    rtype = resource.get("Type", "")
    if rtype == "AwsEc2SecurityGroup":
        gid = (details.get("AwsEc2SecurityGroup") or {}).get("GroupId")
        if gid:
            return str(gid)
    if rtype == "AwsRdsDbInstance":
        ident = (details.get("AwsRdsDbInstance") or {}).get("DBInstanceIdentifier")
        if ident:
            return str(ident)
    # arn:aws:ec2:region:acct:security-group/sg-1, .../instance/i-1, arn:aws:rds:...:db:name
    # (its grammar checked by schema/findings_file.py before this reads it)
    return resource_tail(str(resource.get("Id", "")))


def _region_of(raw: dict[str, Any], resource: dict[str, Any]) -> str:
    if resource.get("Region"):
        return str(resource["Region"])
    if raw.get("Region"):
        return str(raw["Region"])
    parts = str(raw.get("Id", "")).split(":")
    return parts[3] if len(parts) > 3 else ""


def finding_records(document: Any) -> list[dict[str, Any]]:
    """The raw finding dicts inside any container shape."""
    if isinstance(document, list):
        return [f for f in document if isinstance(f, dict)]
    if not isinstance(document, dict):
        return []
    if "Findings" in document:
        return [f for f in document["Findings"] if isinstance(f, dict)]
    detail = document.get("detail")
    if isinstance(detail, dict) and "findings" in detail:
        return [f for f in detail["findings"] if isinstance(f, dict)]
    if "SchemaVersion" in document or "GeneratorId" in document:
        return [document]
    return []


def parse_finding(raw: dict[str, Any]) -> Finding | None:
    """A Finding for the first resource of an in-scope finding shape, or None if not a control finding."""
    control = control_id(raw)
    resources = raw.get("Resources") or []
    if control is None or not resources:
        return None
    resource = resources[0]
    compliance = raw.get("Compliance") or {}
    severity = raw.get("Severity") or {}
    # the fields that repeat across findings are interned: each JSON record brings its own copy,
    # and a triage keeps every in-scope finding (~0.4 KiB a finding saved)
    return Finding(
        finding_id=str(raw.get("Id", "")),
        control=intern(control),
        account_id=intern(str(raw.get("AwsAccountId", ""))),
        region=intern(_region_of(raw, resource)),
        resource_type=intern(str(resource.get("Type", ""))),
        resource_id=_resource_id(resource),
        resource_arn=str(resource.get("Id", "")),
        severity=intern(str(severity.get("Label") or severity.get("Normalized") or "")),
        title=str(raw.get("Title", "")),
        record_state=intern(str(raw.get("RecordState", ""))),
        compliance_status=intern(str(compliance.get("Status", ""))),
        generator_id=intern(str(raw.get("GeneratorId", ""))),
        workflow_status=intern(str((raw.get("Workflow") or {}).get("Status", ""))),
        product_arn=intern(str(raw.get("ProductArn", ""))),
    )


def in_scope(
    findings: Iterable[Finding], controls: Iterable[str] = IN_SCOPE_CONTROLS
) -> list[Finding]:
    """ACTIVE + FAILED findings of the given controls, one per (account, region, control, resource).

    Duplicates (the same control reported by several standards) collapse into the first; their ids
    are kept in `duplicate_ids` so that closing the change closes all of them.
    """
    wanted = set(controls)
    first: dict[tuple[str, str, str, str], Finding] = {}
    duplicates: dict[tuple[str, str, str, str], dict[str, None]] = {}  # ordered set of ids
    for f in findings:
        if f.control not in wanted or f.record_state != "ACTIVE" or f.compliance_status != "FAILED":
            continue
        key = (f.account_id, f.region, f.control, f.resource_id)
        if key not in first:
            first[key] = f
            duplicates[key] = {}
        elif f.finding_id != first[key].finding_id:
            duplicates[key][f.finding_id] = None
    return [
        replace(
            f,
            duplicate_ids=(
                *f.duplicate_ids,
                *(i for i in duplicates[k] if i not in f.duplicate_ids),
            ),
        )
        if duplicates[k]
        else f
        for k, f in first.items()
    ]
