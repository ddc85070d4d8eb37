"""Tables for people: what `collect` found and what `flow-logs` did. Pure: no AWS calls."""

from __future__ import annotations

from collections import Counter, defaultdict

from tabulate import tabulate

from sgharden.edge_reports import CollectResult, DisableOutcome, EnableReport, StatusRow
from sgharden.findings import SEVERITY_ORDER
from sgharden.flowlogs.sufficiency import coverage_label
from sgharden.model import Finding
from sgharden.moments import parse
from sgharden.snapshot import Snapshot
from sgharden.targets import InterfaceTarget, flagged_without_interfaces, interface_targets

RESOURCE_ROWS = 50  # the per-resource table stops here; the snapshot holds them all


def _severity_rank(label: str) -> int:
    return SEVERITY_ORDER.index(label) if label in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _count_table(findings: list[Finding], key: str, header: str) -> str:
    counts: Counter[str] = Counter()
    resources: defaultdict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for f in findings:
        value = getattr(f, key) or "-"
        counts[value] += 1
        resources[value].add((f.account_id, f.region, f.resource_id))
    order = sorted(counts, key=_severity_rank) if key == "severity" else sorted(counts)
    rows = [(value, counts[value], len(resources[value])) for value in order]
    return tabulate(rows, headers=[header, "findings", "resources"])


def collect_summary(result: CollectResult, snapshot: Snapshot | None) -> str:
    """Findings by control, severity, account and region; then one line per flagged resource with
    how many of its ENIs already have a sufficient flow log."""
    findings = result.findings
    resources = {(f.account_id, f.region, f.resource_id) for f in findings}
    parts = [
        f"{len(findings)} findings on {len(resources)} resources "
        f"(Security Hub read in {', '.join(result.regions_read) or 'no region'}); "
        f"snapshot in {result.out}",
        _count_table(findings, "control", "control"),
        _count_table(findings, "severity", "severity"),
        _count_table(findings, "account_id", "account"),
        _count_table(findings, "region", "region"),
    ]
    per_resource: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        per_resource[(f.account_id, f.region, f.resource_id)].append(f)
    by_resource: dict[tuple[str, str, str], list[InterfaceTarget]] = defaultdict(list)
    if snapshot is not None:
        for t in interface_targets(snapshot):
            for served in t.serves:
                by_resource[(t.account_id, t.region, served)].append(t)
    written = set(result.sets_written)
    rows = []
    for key, group in sorted(
        per_resource.items(), key=lambda kv: (min(_severity_rank(f.severity) for f in kv[1]), kv[0])
    ):
        account, region, resource = key
        enis = by_resource.get(key, [])
        inv = snapshot.inventory(account, region) if snapshot else None
        covered = sum(
            1 for t in enis if inv and coverage_label(inv.flow_logs, t.interface) == "sufficient"
        )
        if (account, region) not in written:
            logs = "not collected"
        elif not enis:
            logs = "no ENIs"
        else:
            logs = f"{covered}/{len(enis)} ENIs"
        rows.append(
            (
                account,
                region,
                resource,
                group[0].resource_type.removeprefix("Aws"),
                ",".join(sorted({f.control for f in group})),
                len(group),
                min((f.severity for f in group), key=_severity_rank),
                logs,
            )
        )
    shown = rows[:RESOURCE_ROWS]
    table = tabulate(
        shown,
        headers=[
            "account", "region", "resource", "type", "controls", "findings", "severity",
            "flow logs (sufficient)",
        ],
    )  # fmt: skip
    if len(rows) > RESOURCE_ROWS:
        table += f"\n... {len(rows) - RESOURCE_ROWS} more resources in the snapshot"
    parts.append(table)
    if snapshot is not None:
        idle = flagged_without_interfaces(snapshot)
        if idle:
            parts.append("flagged, no ENI to log: " + ", ".join(idle))
    return "\n\n".join(parts)


def enable_table(report: EnableReport) -> str:
    rows = [
        (o.target.account_id, o.target.region, o.target.interface_id, ",".join(o.target.serves),
         o.action, o.flow_log_id or "-", o.detail)
        for o in report.outcomes
    ]  # fmt: skip
    head = "would create" if report.dry_run else "created"
    counts = (
        f"{head} {report.count('would-create' if report.dry_run else 'created')}, "
        f"reused {report.count('reused')}, failed {report.count('failed')} "
        f"— destination {report.destination.describe()}"
    )
    table = tabulate(
        rows, headers=["account", "region", "eni", "serves", "action", "flow log", "detail"]
    )
    return f"{table}\n\n{counts}"


def _since(text: str | None) -> str:
    """A flow log's CreationTime as minutes in UTC (botocore gives a datetime, files ISO text)."""
    if not text:
        return "-"
    try:
        when = parse(text)
    except ValueError:
        return text
    # Minutes, not moments.iso's seconds: a table column, read by people.
    return when.strftime("%Y-%m-%dT%H:%MZ")


def status_table(rows: list[StatusRow], min_days: float) -> str:
    headers, out = status_rows(rows, min_days)
    return tabulate(out, headers=headers, disable_numparse=True)


def status_rows(rows: list[StatusRow], min_days: float) -> tuple[list[str], list[tuple[str, ...]]]:
    """`flow-logs status` as (headers, rows), for every output format."""
    out: list[tuple[str, ...]] = []
    for r in rows:
        fl = r.flow_log
        if fl is None:
            fmt = "no flow log"
        elif r.sufficient:
            fmt = "sufficient"
        else:
            fmt = "missing " + ",".join(r.missing[:4]) + ("..." if len(r.missing) > 4 else "")
        d = r.delivery
        delivered = f"{d.hours} h, {d.records} records, {d.objects} objects" if d.hours else "none"
        out.append(
            (
                r.target.account_id,
                r.target.region,
                r.target.interface_id,
                ",".join(r.target.serves),
                fl.flow_log_id if fl else "-",
                fl.destination if fl else "-",
                _since(fl.creation_time) if fl else "-",
                fmt,
                delivered,
                f"{r.days_needed:.1f}",
                r.error,
            )
        )
    headers = [
        "account", "region", "eni", "serves", "flow log", "destination", "since", "format",
        "ingested", f"days to {min_days:g}", "error",
    ]  # fmt: skip
    return headers, out


def disable_table(outcomes: list[DisableOutcome]) -> str:
    if not outcomes:
        return "no flow logs tagged sgharden:managed=true"
    rows = [
        (o.account_id, o.region, o.flow_log_id or "-", o.resource_id or "-", o.action, o.detail)
        for o in outcomes
    ]
    return tabulate(rows, headers=["account", "region", "flow log", "resource", "action", "detail"])
