"""Security Hub findings (ASFF) as far as sgharden reads them, in each container shape
`findings.finding_records` accepts."""

# Types come as `f.X`: see snapshot_files.py.
from typing import Self

from pydantic import BaseModel, model_validator

from sgharden.awsids import (
    ARN_PARTITION,
    ARN_RESOURCE_KIND,
    GRAMMAR,
    RESOURCE_TYPE_KIND,
    is_id,
    resource_tail,
)
from sgharden.schema import fields as f


class _Aws(BaseModel):
    model_config = f.AWS_CONFIG


class GroupDetails(_Aws):
    GroupId: f.GroupId | None = None


class DbDetails(_Aws):
    DBInstanceIdentifier: f.DbIdentifier | None = None


class ResourceDetails(_Aws):
    AwsEc2SecurityGroup: GroupDetails | None = None
    AwsRdsDbInstance: DbDetails | None = None


def arn_fault(arn: str) -> str | None:
    """What is wrong with an ARN's partition, region or account (findings.py takes the id,
    account and region of a finding from them), or None."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or not ARN_PARTITION.fullmatch(parts[1]) or not parts[2]:
        return f"{arn!r} is not an ARN (arn:partition:service:region:account:resource)"
    if parts[3] and not GRAMMAR["region"].fullmatch(parts[3]):
        return f"region {parts[3]!r} of {arn!r} is not a region name"
    if parts[4] and not GRAMMAR["account"].fullmatch(parts[4]):
        return f"account {parts[4]!r} of {arn!r} is not a 12-digit account id"
    return None


def _resource_fault(rtype: str, resource_id: str) -> str | None:
    """The id a finding's resource names (Resources[].Id: an ARN or a bare id), by its grammar."""
    arn = resource_id.startswith("arn:")
    if arn and (fault := arn_fault(resource_id)):
        return fault
    resource = resource_id.split(":", 5)[5] if arn else resource_id
    if rtype == "AwsRdsDbInstance" or (arn and resource.startswith("db:")):
        name = resource.removeprefix("db:") if arn else resource
        if (arn and not resource.startswith("db:")) or not f.DB_IDENTIFIER.fullmatch(name):
            return f"{resource!r} is not an RDS DB instance identifier"
        return None
    prefix = resource.split("/", 1)[0] if arn and "/" in resource else None
    kind = RESOURCE_TYPE_KIND.get(rtype) or ARN_RESOURCE_KIND.get(prefix or "")
    if kind is None:
        return None  # a resource sgharden takes no id from
    tail = resource_tail(resource_id)
    wanted = next(k for k, v in ARN_RESOURCE_KIND.items() if v == kind)
    if not is_id(kind, tail) or (arn and resource != f"{wanted}/{tail}"):
        return f"{resource!r} is not a {kind} id"
    return None


class FindingResource(_Aws):
    Type: str
    Id: str
    Region: f.Region | None = None
    Details: ResourceDetails | None = None

    @model_validator(mode="after")
    def _id_by_grammar(self) -> Self:
        # findings.py takes the group / instance / ENI / DB id from the ARN's tail when Details
        # lack it: `security-group/sg-1/../../x` or a newline must not become an id
        fault = _resource_fault(self.Type, self.Id)
        if fault:
            raise ValueError(f"Id: {fault}")
        return self


class ComplianceInfo(_Aws):
    SecurityControlId: str | None = None
    Status: str | None = None


class SeverityInfo(_Aws):
    Label: str | None = None


class WorkflowInfo(_Aws):
    Status: str | None = None  # findings.parse_finding reads it (suppress, triage)


class Finding(_Aws):
    Id: str
    AwsAccountId: f.Account
    Resources: list[FindingResource]
    GeneratorId: str | None = None
    Region: f.Region | None = None
    Compliance: ComplianceInfo | None = None
    Severity: SeverityInfo | None = None
    Workflow: WorkflowInfo | None = None
    ProductFields: dict[str, str] | None = None

    @model_validator(mode="after")
    def _region_from_id(self) -> Self:
        # without a Region, findings.py reads the region from the finding's ARN
        if self.Region is None and not (self.Resources and self.Resources[0].Region):
            parts = self.Id.split(":")
            if len(parts) > 3 and not GRAMMAR["region"].fullmatch(parts[3]):
                raise ValueError(f"Id: region {parts[3]!r} of {self.Id!r} is not a region name")
        return self


class FindingsFile(_Aws):
    Findings: list[Finding]


class EventDetail(_Aws):
    findings: list[Finding]


class FindingsEvent(_Aws):
    """An EventBridge `Security Hub Findings - Imported` event."""

    detail: EventDetail
