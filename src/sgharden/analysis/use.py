"""Rule use: what each rule of a flagged group let in over the window, and who reached a resource.

One interface (`RuleUseEngine`) with two implementations behind it: `SqlUse` measures in DuckDB
(analysis/rule_use.py, sql/), `PythonUse` matches every connection in Python and is the reference
the tests compare it with (tests/test_planner.py: both give the same plan). `use_engine(name)`
picks one; the planner never asks which.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

import duckdb

from sgharden.analysis.connections import (
    INTERNAL_NETWORKS,
    Connection,
    Window,
    observed_connections,
)
from sgharden.analysis.evidence import EvidenceSpec
from sgharden.analysis.matching import address_book
from sgharden.analysis.options import PlannerOptions, is_internet
from sgharden.analysis.resources import (
    SourceClass,
    resource_use_from_connections,
    sql_resource_uses,
)
from sgharden.analysis.rule_use import (
    cannot_narrow,
    match_rules,
    prepare,
    rule_sources,
    use_counts,
)
from sgharden.analysis.shut_out import RevokedKey, python_revoked_keys, sql_revoked_keys
from sgharden.model import Interface, Inventory, Rule, SecurityGroup
from sgharden.resources import query
from sgharden.snapshot import Snapshot
from sgharden.targets import ResourceTarget, Targets

EvidenceRef = tuple[Connection, ...] | EvidenceSpec


@dataclass
class PortUse:
    """Real use of one (protocol, service port) under one rule, across the group's ENIs."""

    protocol: int
    port: int | None
    sources: int  # distinct real sources
    internet_sources: int
    connections: list[Connection] | None  # the real connections; None when only counted
    evidence: EvidenceRef  # the real connections of this port, for an authorize line
    cannot_fit: bool = False  # shown in SQL not to fit the prefix limits (plan_cannot_narrow)


def public_reason(options: PlannerOptions, use: PortUse) -> str | None:
    """Why a world-open rule's port is a public service, or None if it is not.

    Only an EC2.18 authorized port with internet use, or a port the user declared public with
    real use, is one. A count of sources never is: scanners that pass as users are many.
    """
    authorized = (use.protocol == 6 and use.port in options.authorized_tcp_ports) or (
        use.protocol == 17 and use.port in options.authorized_udp_ports
    )
    declared = (use.protocol == 6 and use.port in options.public_tcp_ports) or (
        use.protocol == 17 and use.port in options.public_udp_ports
    )
    if declared and use.sources:
        return f"public service on a port declared public: {use.sources} real source(s)"
    if authorized and use.internet_sources:
        return (
            f"public service on an EC2.18 authorized port: {use.internet_sources} "
            f"internet source(s) of {use.sources}"
        )
    return None


def narrowing_order(
    ports: Mapping[tuple[int, int | None], PortUse],
) -> list[tuple[tuple[int, int | None], PortUse]]:
    """The order the planner narrows a rule's ports in (decide.narrow_world_rule): the first port
    that cannot be narrowed decides the whole rule, so the ports after it are never looked at."""
    return sorted(ports.items(), key=lambda kv: (kv[0][0], kv[0][1] or -1))


@dataclass
class RuleUse:
    """What one rule let in over the window: counts, per-port use, probes, and its evidence."""

    real_sources: int
    real_connections: int
    probe_sources: int
    probe_connections: int
    ports: dict[tuple[int, int | None], PortUse]
    probe_addrs: set[str] | None  # None when not needed (no port to narrow)
    evidence: EvidenceRef  # everything the rule let in (real and probes)


def _needs_narrowing(
    rule: Rule, ports: Iterable[PortUse], options: PlannerOptions
) -> list[PortUse]:
    """The ports of a world-open rule whose sources the planner must see one by one."""
    ports = list(ports)
    public = [public_reason(options, p) for p in ports]
    if not rule.is_world_open or (rule.is_single_port and all(public)):
        return []
    return [p for p, why in zip(ports, public, strict=True) if not why]


def sql_rule_uses(
    con: duckdb.DuckDBPyConnection,
    rules: list[tuple[int, Rule, list[Interface], Inventory]],
    window: Window,
    options: PlannerOptions,
) -> dict[int, RuleUse]:
    """Each rule's use from DuckDB (analysis/rule_use.py), keyed by the ids in `rules`."""
    match_rules(con, rules)
    totals: dict[int, tuple[int, int, int, int]] = {}
    ports: dict[int, list[PortUse]] = {}
    for rule_id, protocol, port_key, real, internet, real_conns, probes, probe_conns in use_counts(
        con
    ):
        if protocol is None:
            totals[rule_id] = (int(real), int(real_conns), int(probes), int(probe_conns))
        elif real:
            port = None if port_key == -1 else int(port_key)
            ports.setdefault(rule_id, []).append(
                PortUse(
                    int(protocol),
                    port,
                    int(real),
                    int(internet),
                    None,
                    EvidenceSpec(rule_id, int(protocol), int(port_key)),
                )
            )
    by_id = {rule_id: rule for rule_id, rule, _, _ in rules}
    wanted = {
        rule_id: _needs_narrowing(by_id[rule_id], ports.get(rule_id, []), options)
        for rule_id in by_id
    }
    hopeless = cannot_narrow(
        con,
        [
            (rule_id, p.protocol, -1 if p.port is None else p.port)
            for rule_id, narrow in wanted.items()
            for p in narrow
        ],
        _known_addresses(rules),
        (options.max_prefixes, options.widest_prefix_v4, options.widest_prefix_v6),
    )
    buckets = []  # the ports whose sources narrow_sources will read, in its order
    for rule_id, to_narrow in wanted.items():
        names = {(p.protocol, p.port) for p in to_narrow}
        by_port = {(p.protocol, p.port): p for p in ports.get(rule_id, [])}
        for (protocol, port), _ in narrowing_order(by_port):
            if (protocol, port) not in names:
                continue
            if (rule_id, protocol, port) in hopeless:
                break  # the rule is kept here: no later port is looked at
            buckets.append((rule_id, protocol, -1 if port is None else port))
    individuals = rule_sources(con, buckets, sorted({b[0] for b in buckets}), window)
    uses: dict[int, RuleUse] = {}
    for rule_id in by_id:
        conns, probe_addrs = individuals.get(rule_id, ([], set()))
        narrow = {(p.protocol, p.port) for p in wanted[rule_id]}
        port_uses = {}
        for p in ports.get(rule_id, []):
            if (rule_id, p.protocol, p.port) in hopeless:
                p = replace(p, cannot_fit=True)
            elif (p.protocol, p.port) in narrow:
                mine = [c for c in conns if (c.protocol, c.service_port) == (p.protocol, p.port)]
                p = replace(p, connections=mine, evidence=tuple(mine))
            port_uses[(p.protocol, p.port)] = p
        real, real_conns, probes, probe_conns = totals.get(rule_id, (0, 0, 0, 0))
        uses[rule_id] = RuleUse(
            real,
            real_conns,
            probes,
            probe_conns,
            port_uses,
            probe_addrs if narrow else None,
            EvidenceSpec(rule_id),
        )
    return uses


def _known_addresses(rules: list[tuple[int, Rule, list[Interface], Inventory]]) -> list[str]:
    """Every ENI address of the rules' inventories: the sources a group reference could cover."""
    inventories = {id(inv): inv for _, _, _, inv in rules}
    return sorted(
        {a for inv in inventories.values() for a in address_book(inv).interfaces_of_address}
    )


def use_from_connections(matched: list[Connection]) -> RuleUse:
    """A rule's use from the connections it let in (the pure path)."""
    real = [c for c in matched if not c.is_probe]
    probes = [c for c in matched if c.is_probe]
    by_port: dict[tuple[int, int | None], list[Connection]] = {}
    for c in real:
        by_port.setdefault((c.protocol, c.service_port), []).append(c)
    ports = {}
    for (protocol, port), conns in by_port.items():
        sources = {c.remote_addr for c in conns}
        ports[(protocol, port)] = PortUse(
            protocol,
            port,
            len(sources),
            sum(1 for a in sources if is_internet(a)),
            conns,
            tuple(conns),
        )
    return RuleUse(
        real_sources=len({c.remote_addr for c in real}),
        real_connections=sum(c.connections for c in real),
        probe_sources=len({c.remote_addr for c in probes}),
        probe_connections=sum(c.connections for c in probes),
        ports=ports,
        probe_addrs={c.remote_addr for c in probes},
        evidence=tuple(matched),
    )


class RuleUseEngine(Protocol):
    """How the planner learns what was used: per group (its connections for the Python decisions,
    or each ingress rule's use already measured) and per resource (its sources by class)."""

    def group(
        self, target: ResourceTarget, group: SecurityGroup
    ) -> tuple[list[Connection], Mapping[Rule, RuleUse] | None]: ...

    def resource(self, enis: list[Interface]) -> dict[str, SourceClass]: ...

    def revoked_keys(self, target: ResourceTarget, revoked: list[Rule]) -> list[RevokedKey]:
        """What the group's revoked ingress rules let in (analysis/shut_out.py)."""
        ...


def _key(t: ResourceTarget) -> tuple[str, str, str]:
    return (t.account_id, t.region, t.resource_id)


class SqlUse:
    """Every rule of every target matched and counted in DuckDB, once, up front."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        targets: Targets,
        window: Window,
        options: PlannerOptions,
    ) -> None:
        self.con, self.options = con, options
        enis = sorted({e.interface_id for t in targets.all for e in t.interfaces})
        prepare(con, enis, window, options.thresholds, [str(n) for n in INTERNAL_NETWORKS])
        rule_list: list[tuple[int, Rule, list[Interface], Inventory]] = []
        self.rule_ids: dict[tuple[tuple[str, str, str], Rule], int] = {}
        for t in targets.groups:
            group = t.inventory.security_groups.get(t.resource_id)
            for rule in group.ingress if group else ():
                self.rule_ids[(_key(t), rule)] = len(rule_list)
                rule_list.append((len(rule_list), rule, list(t.interfaces), t.inventory))
        self.uses = sql_rule_uses(con, rule_list, window, options)
        self._matched: set[int] | None = None  # rule ids with a row in plan_matches
        # every resource's use in one query up front (EC2.9 instances, RDS.2 DBs)
        wanted = sorted(
            {
                tuple(e.interface_id for e in t.interfaces)
                for t in (*targets.instances, *targets.dbs)
            }
        )
        found = sql_resource_uses(con, [list(ids) for ids in wanted], options.top_sources)
        self.resource_uses = dict(zip(wanted, found, strict=True))

    def group(
        self, target: ResourceTarget, group: SecurityGroup
    ) -> tuple[list[Connection], Mapping[Rule, RuleUse] | None]:
        # the SQL engine reads everything from its working set: no connections in Python
        return [], {rule: self.uses[self.rule_ids[(_key(target), rule)]] for rule in group.ingress}

    def resource(self, enis: list[Interface]) -> dict[str, SourceClass]:
        ids = tuple(e.interface_id for e in enis)
        if ids not in self.resource_uses:  # not a target's own ENIs: asked on its own
            return sql_resource_uses(self.con, [list(ids)], self.options.top_sources)[0]
        return self.resource_uses[ids]

    def revoked_keys(self, target: ResourceTarget, revoked: list[Rule]) -> list[RevokedKey]:
        if self._matched is None:  # most revoked rules let nothing in: skip their query
            self._matched = {r for (r,) in self.con.execute(query("plan_matched_rules")).fetchall()}
        ids = [self.rule_ids[(_key(target), r)] for r in revoked]
        return sql_revoked_keys(self.con, [i for i in ids if i in self._matched])


class PythonUse:
    """Every connection of the targets' ENIs read once; each rule matched in Python."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        snapshot: Snapshot,
        targets: Targets,
        window: Window,
        options: PlannerOptions,
    ) -> None:
        self.options = options
        enis = sorted({e.interface_id for t in targets.all for e in t.interfaces})
        connections = observed_connections(
            con, snapshot, window.start, window.end, options.thresholds, interfaces=enis
        )
        self.by_eni: dict[str, list[Connection]] = {}
        for c in connections:
            self.by_eni.setdefault(c.interface_id, []).append(c)

    def _of(self, enis: Iterable[Interface]) -> list[Connection]:
        return [c for e in enis for c in self.by_eni.get(e.interface_id, [])]

    def group(
        self, target: ResourceTarget, group: SecurityGroup
    ) -> tuple[list[Connection], Mapping[Rule, RuleUse] | None]:
        return self._of(target.interfaces), None

    def resource(self, enis: list[Interface]) -> dict[str, SourceClass]:
        return resource_use_from_connections(self._of(enis), self.options.top_sources)

    def revoked_keys(self, target: ResourceTarget, revoked: list[Rule]) -> list[RevokedKey]:
        return python_revoked_keys(self._of(target.interfaces), revoked, target.inventory)


ENGINES = ("sql", "python")


def use_engine(
    name: str,
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    targets: Targets,
    window: Window,
    options: PlannerOptions,
) -> RuleUseEngine:
    """The rule-use implementation called `name` (one of ENGINES), loaded for these targets."""
    if name == "sql":
        return SqlUse(con, targets, window, options)
    if name == "python":
        return PythonUse(con, snapshot, targets, window, options)
    raise ValueError(f"engine must be 'sql' or 'python', not {name!r}")
