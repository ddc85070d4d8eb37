"""What the AWS edge reports back: `collect`'s result and what `flow-logs enable|status|disable`
did, as plain values. Pure, so render/summary.py prints them without importing aws/; aws/collect.py
and aws/flow_logs.py fill them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sgharden.errors import InputError
from sgharden.model import Finding, FlowLog
from sgharden.targets import InterfaceTarget as Target

# --- collect -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectFailure:
    """One account/region (or Security Hub region) that could not be read, and what to do."""

    account_id: str
    region: str
    stage: str  # findings | assume-role | inventory
    error_code: str
    message: str
    hint: str

    def line(self) -> str:
        who = f"account {self.account_id}" if self.account_id else "the caller's account"
        return f"{who}, {self.region}: {self.stage} failed ({self.error_code}: {self.message}) — {self.hint}"


@dataclass
class CollectResult:
    out: Path
    findings: list[Finding]
    sets_written: list[tuple[str, str]] = field(default_factory=list)
    failures: list[CollectFailure] = field(default_factory=list)
    regions_read: list[str] = field(default_factory=list)


# --- flow-logs enable ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    """Where new flow logs deliver: an S3 bucket (prefix optional) or a CloudWatch log group."""

    kind: str  # s3 | cloud-watch-logs
    target: str  # s3://bucket/prefix or the log group name
    role_arn: str | None = None
    file_format: str = "parquet"
    hive: bool = False
    per_hour: bool = False

    @classmethod
    def parse(
        cls, text: str, role_arn: str | None = None, file_format: str = "parquet",
        hive: bool = False, per_hour: bool = False,
    ) -> Destination:  # fmt: skip
        if text.startswith("s3://"):
            bucket = text[5:].split("/", 1)[0]
            if not bucket:
                raise InputError(f"{text}: no bucket", hint="use s3://bucket[/prefix]")
            return cls("s3", text.rstrip("/"), None, file_format, hive, per_hour)
        if text.startswith("cloudwatch:"):
            group = text.split(":", 1)[1]
            if not group or not role_arn:
                raise InputError(
                    f"{text}: a CloudWatch destination needs a log group and --role-arn",
                    hint="use --destination cloudwatch:LOG_GROUP --role-arn ARN (a role that "
                    "lets vpc-flow-logs.amazonaws.com write to the group)",
                )
            return cls("cloud-watch-logs", group, role_arn)
        raise InputError(
            f"{text}: not a destination",
            hint="use s3://bucket[/prefix] or cloudwatch:LOG_GROUP --role-arn ARN",
        )

    def describe(self) -> str:
        if self.kind == "s3":
            extras = [self.file_format] + ["hive"] * self.hive + ["per-hour"] * self.per_hour
            return f"{self.target} ({', '.join(extras)})"
        return f"CloudWatch Logs group {self.target}"

    def create_arguments(self) -> dict[str, Any]:
        if self.kind == "s3":
            return {
                "LogDestinationType": "s3",
                "LogDestination": "arn:aws:s3:::" + self.target[5:],
                "DestinationOptions": {
                    "FileFormat": self.file_format,
                    "HiveCompatiblePartitions": self.hive,
                    "PerHourPartition": self.per_hour,
                },
            }
        return {
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": self.target,
            "DeliverLogsPermissionArn": self.role_arn,
        }


@dataclass(frozen=True)
class EnableOutcome:
    target: Target
    action: str  # created | reused | would-create | failed
    flow_log_id: str = ""
    detail: str = ""


@dataclass
class EnableReport:
    destination: Destination
    dry_run: bool
    outcomes: list[EnableOutcome] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def failed(self) -> list[EnableOutcome]:
        return [o for o in self.outcomes if o.action == "failed"]


# --- flow-logs status ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What the workspace holds for one ENI."""

    hours: int = 0
    records: int = 0
    first_hour: dt.datetime | None = None
    last_hour: dt.datetime | None = None
    objects: int = 0

    @property
    def days(self) -> float:
        if self.first_hour is None or self.last_hour is None:
            return 0.0
        return ((self.last_hour - self.first_hour).total_seconds() + 3600) / 86400


@dataclass(frozen=True)
class StatusRow:
    target: Target
    flow_log: FlowLog | None
    sufficient: bool
    missing: tuple[str, ...]
    delivery: Delivery
    days_needed: float
    error: str = ""


# --- flow-logs disable ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DisableOutcome:
    account_id: str
    region: str
    flow_log_id: str
    resource_id: str
    action: str  # deleted | would-delete | failed
    detail: str = ""
