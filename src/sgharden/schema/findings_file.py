"""Security Hub findings (ASFF) as far as sgharden reads them, in each container shape
`findings.finding_records` accepts."""

# Types come as `f.X`: see snapshot_files.py.
from pydantic import BaseModel

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


class FindingResource(_Aws):
    Type: str
    Id: str
    Region: f.Region | None = None
    Details: ResourceDetails | None = None


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


class FindingsFile(_Aws):
    Findings: list[Finding]


class EventDetail(_Aws):
    findings: list[Finding]


class FindingsEvent(_Aws):
    """An EventBridge `Security Hub Findings - Imported` event."""

    detail: EventDetail
