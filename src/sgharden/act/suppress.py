"""`sgharden suppress`: Security Hub's workflow status from the accepted risks.

A finding an entry in force accepts gets workflow status SUPPRESSED with a note quoting the entry
(id, reason, owner, approver, expiry, ticket); a finding an expired entry covers gets NOTIFIED
with a note saying it expired, so that it comes back to someone's queue. Findings already in the
target status are left alone (re-running sends nothing new). One BatchUpdateFindings call per
account, region, status and entry, at most 100 findings each (the API's limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from botocore.exceptions import BotoCoreError, ClientError

from sgharden.acceptance import Acceptance, AcceptanceState
from sgharden.act.apply import product_arn
from sgharden.aws.clients import AwsContext
from sgharden.findings import in_scope
from sgharden.model import Finding

IAM_ACTIONS = ("sts:GetCallerIdentity", "sts:AssumeRole", "securityhub:BatchUpdateFindings")
SUPPRESSED = "SUPPRESSED"
NOTIFIED = "NOTIFIED"
BATCH = 100


@dataclass(frozen=True)
class WorkflowUpdate:
    account_id: str
    region: str
    status: str
    note: str
    finding_ids: tuple[str, ...]
    entry_id: str


@dataclass
class SuppressResult:
    updates: list[WorkflowUpdate] = field(default_factory=list)
    processed: int = 0
    failures: list[str] = field(default_factory=list)


def note_for(entry: Acceptance, today: date) -> str:
    """The note quoting the entry (Security Hub keeps at most 512 characters)."""
    if entry.expired(today):
        text = (
            f"sgharden: accepted risk {entry.id} expired on {entry.expires.isoformat()} "
            f"(owner {entry.owner}, ticket {entry.ticket}): judged normally again"
        )
    else:
        text = (
            f"sgharden: accepted risk {entry.id}: {entry.reason} (owner {entry.owner}, "
            f"approver {entry.approver}, expires {entry.expires.isoformat()}, "
            f"ticket {entry.ticket})"
        )
    return text[:512]


def planned_updates(
    findings: tuple[Finding, ...], state: AcceptanceState, today: date
) -> list[WorkflowUpdate]:
    """What suppress would send: pure, so `--dry-run` and the tests read the same list."""
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    entries: dict[str, Acceptance] = {}
    for f in in_scope(findings):
        status, entry = None, None
        for a in state.in_force:
            if a.covers_finding(f):
                status, entry = SUPPRESSED, a
                break
        else:
            for a in state.expired:
                if a.covers_finding(f):
                    status, entry = NOTIFIED, a
                    break
        if status is None or entry is None or f.workflow_status == status:
            continue
        entries[entry.id] = entry
        groups.setdefault((f.account_id, f.region, status, entry.id), []).extend(f.all_ids)
    out = []
    for (account, region, status, entry_id), ids in sorted(groups.items()):
        for start in range(0, len(ids), BATCH):
            out.append(
                WorkflowUpdate(
                    account,
                    region,
                    status,
                    note_for(entries[entry_id], today),
                    tuple(ids[start : start + BATCH]),
                    entry_id,
                )
            )
    return out


def suppress(ctx: AwsContext, updates: list[WorkflowUpdate]) -> SuppressResult:
    result = SuppressResult(updates=updates)
    for u in updates:
        hub = ctx.client("securityhub", region=u.region or None, account_id=u.account_id or None)
        try:
            response = hub.batch_update_findings(
                FindingIdentifiers=[
                    {"Id": fid, "ProductArn": product_arn(fid, u.region)} for fid in u.finding_ids
                ],
                Note={"Text": u.note, "UpdatedBy": "sgharden"},
                Workflow={"Status": u.status},
            )
        except (BotoCoreError, ClientError) as exc:
            result.failures.append(
                f"{u.account_id}/{u.region}: BatchUpdateFindings for {u.entry_id} "
                f"({len(u.finding_ids)} findings) failed: {exc}"
            )
            continue
        result.processed += len(response.get("ProcessedFindings", []))
        for failed in response.get("UnprocessedFindings", []):
            result.failures.append(
                f"finding {failed.get('FindingIdentifier', {}).get('Id')}: "
                f"{failed.get('ErrorMessage')}"
            )
    return result
