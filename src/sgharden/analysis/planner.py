"""`propose`: the plan for a snapshot's in-scope findings, composed from the parts below.

targets.py names each finding's ENIs; analysis/use.py measures rule use (SQL, or the Python
reference); analysis/coverage.py says whether the window is complete; analysis/decide.py decides
per security group and analysis/resources.py per instance (EC2.9) and DB (RDS.2); plan/ writes it.
The decisions are described in docs/planner.md.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import duckdb

from sgharden.analysis.connections import (
    Window,
    outbound_destinations,
)
from sgharden.analysis.counted_by import CountingBasis
from sgharden.analysis.coverage import coverage_of, delivery, log_peers
from sgharden.analysis.decide import plan_group
from sgharden.analysis.evidence import SampleKey, fetch_samples, sample_keys
from sgharden.analysis.options import (
    PlannerOptions,
)
from sgharden.analysis.peer_seen import peer_seen_use
from sgharden.analysis.resources import (
    plan_db,
    plan_instance,
)
from sgharden.analysis.rule_use import view_evidence
from sgharden.analysis.shut_out import shut_out
from sgharden.analysis.use import use_engine
from sgharden.model import Interface
from sgharden.plan.schema import READY
from sgharden.plan.write import GroupPlan, Plan, ResourcePlan, RuleDecision
from sgharden.snapshot import Snapshot
from sgharden.targets import resolve


def propose(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    window: Window,
    options: PlannerOptions | None = None,
    now: datetime | None = None,
    engine: str = "sql",
) -> Plan:
    """The plan for every in-scope finding of the snapshot, from the workspace's flow data.

    `engine` names how rule use is measured (analysis/use.py): "sql" in DuckDB
    (analysis/rule_use.py), "python" connection by connection (the reference the tests compare
    it with); both give the same plan.
    """
    options = options or PlannerOptions()
    resolved = resolve(snapshot)
    missing = list(resolved.missing)
    use = use_engine(engine, con, snapshot, resolved, window, options)
    # a subnet- or VPC-level log's silence is judged over every interface it records
    all_enis = sorted({e.interface_id for t in resolved.all for e in t.interfaces})
    peers = {i for t in resolved.all for i in log_peers(t.interfaces, t.inventory)}
    deliveries = delivery(con, sorted(set(all_enis) | peers), window)

    coverages = [
        coverage_of(list(t.interfaces), t.inventory, deliveries, window) for t in resolved.groups
    ]
    uncovered = {
        e.interface_id: (e, t.inventory)
        for t, coverage in zip(resolved.groups, coverages, strict=True)
        for e in t.interfaces
        if e.interface_id in coverage.uncovered_enis
    }
    seen = peer_seen_use(con, uncovered.values(), window)
    counting = CountingBasis.load(con, all_enis, window.start, window.end)

    groups: list[GroupPlan] = []
    for t, coverage in zip(resolved.groups, coverages, strict=True):
        group = t.inventory.security_groups.get(t.resource_id)
        if group is None:
            missing.append(f"{t.resource_id}: not in security-groups.json")
            continue
        connections, group_uses = use.group(t, group)
        planned = plan_group(
            group,
            t.inventory,
            connections,
            coverage,
            options,
            list(t.controls),
            list(t.finding_ids),
            group_uses,
            snapshot_root=str(snapshot.root),
            seen_by_peers=tuple(u for e in coverage.uncovered_enis for u in seen.get(e, ())),
        )
        if planned.status == READY:  # who its change shuts out (analysis/shut_out.py)
            revoked = [d.rule for d in planned.revoke if not d.rule.is_egress]
            gone = shut_out(use.revoked_keys(t, revoked), planned.proposed_rules(), t.inventory)
            planned = replace(planned, shut_out=gone)
        groups.append(
            _with_counting_notes(planned, counting, [e.interface_id for e in t.interfaces])
        )
    resources: list[ResourcePlan] = []
    outbound = (
        outbound_destinations(
            con, [e.interface_id for t in resolved.instances for e in t.interfaces], window
        )
        if resolved.instances
        else []
    )
    for t in resolved.instances:
        enis = list(t.interfaces)
        assert t.finding is not None  # resolve() gives every instance target its finding
        coverage = coverage_of(enis, t.inventory, deliveries, window)
        inst = t.inventory.instances[t.resource_id]
        planned_instance = plan_instance(
            inst, t.finding, enis, use.resource(enis), outbound, coverage, options
        )
        # EC2.9 weighs every protocol reaching the public address
        resources.append(_with_resource_note(planned_instance, counting, enis, -1))
    for t in resolved.dbs:
        enis = list(t.interfaces)
        assert t.finding is not None
        coverage = coverage_of(enis, t.inventory, deliveries, window)
        db = t.inventory.db_instances[t.resource_id]
        planned_db = plan_db(db, t.finding, enis, use.resource(enis), coverage, options)
        resources.append(_with_resource_note(planned_db, counting, enis, 6))  # RDS: TCP

    wanted: set[SampleKey] = set()
    for g in groups:
        for d in (*g.revoke, *g.authorize, *g.keep):
            for c in sample_keys(d.connections, options.samples_per_rule):
                wanted.add((c.interface_id, c.protocol, c.service_port, c.remote_addr))
    samples = fetch_samples(con, wanted, window)
    views = [d.spec for g in groups for d in (*g.revoke, *g.authorize, *g.keep) if d.spec]
    evidence = view_evidence(con, views, window, options.top_sources, options.samples_per_rule)
    settings = options.settings()
    if missing:
        settings["unresolved_findings"] = missing
    return Plan(
        generated_at=now or datetime.now(UTC),
        window=window,
        settings=settings,
        groups=tuple(groups),
        resources=tuple(resources),
        samples=samples,
        evidence=evidence,
    )


def _with_resource_note(
    planned: ResourcePlan, counting: CountingBasis, enis: list[Interface], protocol: int
) -> ResourcePlan:
    """The resource's evidence with the note saying how its connections were counted."""
    note = counting.note([e.interface_id for e in enis], protocol)
    return replace(planned, evidence={**planned.evidence, "counted_by": note})


def _with_counting_notes(group: GroupPlan, counting: CountingBasis, enis: list[str]) -> GroupPlan:
    """Each ingress decision with the note saying how its connections were counted."""

    def noted(decisions: tuple[RuleDecision, ...]) -> tuple[RuleDecision, ...]:
        return tuple(
            d if d.rule.is_egress else replace(d, counted_by=counting.note(enis, d.rule.protocol))
            for d in decisions
        )

    return replace(
        group, revoke=noted(group.revoke), authorize=noted(group.authorize), keep=noted(group.keep)
    )
