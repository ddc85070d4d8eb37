"""EC2.9 (an instance's public IPv4 address) and RDS.2 (a DB's public access): who reached the
resource from outside, and the one decision per resource. Pure but for the two SQL readers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from sgharden.analysis.connections import Connection
from sgharden.analysis.coverage import Coverage, verdict
from sgharden.analysis.options import PlannerOptions, is_internet
from sgharden.model import DbInstance, Finding, Instance, Interface
from sgharden.plan.write import ResourcePlan
from sgharden.resources import query


def _source_list(conns: Iterable[Connection], top: int) -> list[dict[str, object]]:
    per: dict[str, int] = {}
    for c in conns:
        per[c.remote_addr] = per.get(c.remote_addr, 0) + c.connections
    ranked = sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"address": a, "connections": n} for a, n in ranked[:top]]


@dataclass(frozen=True)
class SourceClass:
    """Sources of one kind that reached a resource: how many, their connections, the top ones."""

    source_count: int = 0
    connections: int = 0
    sources: tuple[dict[str, object], ...] = ()


# the kinds a resource's decision looks at
RESOURCE_CLASSES = ("internet", "internal", "internet_probes")


def resource_use_from_connections(
    connections: Iterable[Connection], top: int
) -> dict[str, SourceClass]:
    """Real internet / real private / internet probe sources, from connections (pure path)."""
    groups: dict[str, list[Connection]] = {k: [] for k in RESOURCE_CLASSES}
    for c in connections:
        internet = is_internet(c.remote_addr)
        if not c.is_probe:
            groups["internet" if internet else "internal"].append(c)
        elif internet:
            groups["internet_probes"].append(c)
    return {
        k: SourceClass(
            len({c.remote_addr for c in v}),
            sum(c.connections for c in v),
            tuple(_source_list(v, top)),
        )
        for k, v in groups.items()
    }


def sql_resource_uses(
    con: duckdb.DuckDBPyConnection, resources: list[list[str]], top: int
) -> list[dict[str, SourceClass]]:
    """The same classes from the working set (sql/plan_resource_use.sql), for each list of
    interfaces in `resources` (one resource each), in one query."""
    out = [{k: SourceClass() for k in RESOURCE_CLASSES} for _ in resources]
    spec = json.dumps([{"resource": i, "interfaces": ids} for i, ids in enumerate(resources)])
    rows = con.execute(query("plan_resource_use"), {"resources": spec, "top": top})
    for resource, kind, count, conns, sources in rows.fetchall():
        out[resource][kind] = SourceClass(
            int(count),
            int(conns),
            tuple({"address": s["address"], "connections": int(s["connections"])} for s in sources),
        )
    return out


@dataclass(frozen=True)
class _Subject:
    """The resource a decision is about; calling it with an action and a reason makes the plan line
    (one typed constructor for EC2.9 and RDS.2)."""

    resource_id: str
    resource_type: str  # AwsEc2Instance | AwsRdsDbInstance
    control: str
    account_id: str
    region: str
    findings: tuple[str, ...]
    evidence: dict[str, object]

    def __call__(self, action: str, reason: str) -> ResourcePlan:
        return ResourcePlan(
            resource_id=self.resource_id,
            resource_type=self.resource_type,
            control=self.control,
            action=action,
            reason=reason,
            evidence=self.evidence,
            account_id=self.account_id,
            region=self.region,
            findings=self.findings,
        )


def _resource_coverage_reason(coverage: Coverage, options: PlannerOptions) -> str | None:
    if not coverage.enis:
        return "none of its ENIs is in network-interfaces.json"
    check = verdict(coverage, options.min_window_days, options.max_gap_share)
    return None if check.ok else "; ".join(check.reasons)


def _scanners_only(probes: SourceClass) -> str:
    # the same classification as the groups': a scanner that reached it is no reason to keep it
    if not probes.source_count:
        return ""
    return (
        f" ({probes.source_count} internet source(s) reached it, all classified as probes "
        "or scanners: none was a real user)"
    )


def plan_instance(
    instance: Instance,
    finding: Finding,
    enis: list[Interface],
    use: dict[str, SourceClass],
    outbound: Iterable[dict[str, object]],
    coverage: Coverage,
    options: PlannerOptions,
) -> ResourcePlan:
    """EC2.9: remove the public IPv4 address unless real internet clients reached the instance."""
    ids = {e.interface_id for e in enis}
    real, probes = use["internet"], use["internet_probes"]
    out_public = [
        o for o in outbound if o["interface_id"] in ids and is_internet(str(o["remote_addr"]))
    ]
    evidence: dict[str, object] = {
        "public_ip": instance.public_ip,
        "interfaces": sorted(ids),
        "connections": real.connections,
        "source_count": real.source_count,
        "sources": list(real.sources),
        "probes": {"source_count": probes.source_count, "connections": probes.connections},
        "outbound_internet": {
            "destination_count": len({o["remote_addr"] for o in out_public}),
            "connections": sum(int(str(o["connections"])) for o in out_public),
            "destinations": [
                {
                    "address": o["remote_addr"],
                    "protocol": o["protocol"],
                    "port": o["service_port"],
                    "connections": o["connections"],
                }
                for o in out_public[: options.top_sources]
            ],
        },
    }
    decide = _Subject(
        instance.instance_id,
        "AwsEc2Instance",
        "EC2.9",
        instance.account_id,
        instance.region,
        tuple(finding.all_ids),
        evidence,
    )
    if real.source_count:
        return decide(
            "keep-public-ip",
            f"{real.source_count} real internet source(s) reached it through its public IP",
        )
    blocked = _resource_coverage_reason(coverage, options)
    if blocked:
        return decide("needs-more-data", blocked)
    nat = (
        f"; it opened {evidence['outbound_internet']['destination_count']} internet "  # type: ignore[index]
        "destination(s): it needs a NAT gateway (or VPC endpoints) once the public IP is gone"
        if out_public
        else "; it made no outbound internet connections, so no NAT gateway is needed"
    )
    return decide(
        "remove-public-ip",
        f"no real inbound connection from the internet in {coverage.window_days:.1f} days"
        + _scanners_only(probes)
        + nat,
    )


def plan_db(
    db: DbInstance,
    finding: Finding,
    enis: list[Interface],
    use: dict[str, SourceClass],
    coverage: Coverage,
    options: PlannerOptions,
) -> ResourcePlan:
    """RDS.2: disable public access unless real clients from outside the VPC used it."""
    ids = {e.interface_id for e in enis}
    outside, inside, probes = use["internet"], use["internal"], use["internet_probes"]
    evidence: dict[str, object] = {
        "endpoint": db.endpoint,
        "port": db.port,
        "interfaces": sorted(ids),
        "connections": outside.connections,
        "source_count": outside.source_count,
        "sources": list(outside.sources),
        "private_clients": list(inside.sources),
        "probes": {"source_count": probes.source_count, "connections": probes.connections},
    }
    decide = _Subject(
        db.identifier,
        "AwsRdsDbInstance",
        "RDS.2",
        db.account_id,
        db.region,
        tuple(finding.all_ids),
        evidence,
    )
    if outside.source_count:
        return decide(
            "keep-public-access", f"{outside.source_count} real client(s) from outside the VPC"
        )
    blocked = _resource_coverage_reason(coverage, options)
    if blocked:
        return decide("needs-more-data", blocked)
    return decide(
        "disable-public-access",
        (
            f"no real client from outside the VPC in {coverage.window_days:.1f} days"
            f"{_scanners_only(probes)}; {inside.source_count} private client(s) keep working"
        ),
    )


# -- the whole snapshot ------------------------------------------------------------------------
