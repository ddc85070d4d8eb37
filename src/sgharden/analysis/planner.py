"""Decide, per flagged security group and resource, what access is really used and what to change.

`plan_group` and `plan_instance`/`plan_db` are pure (inventory + connections + coverage in, a
decision out); `propose` gathers their inputs from the workspace. The decisions (docs/planner.md):

- world-open rule, few real sources      -> revoke; authorize the sources as bounded prefixes, or
                                            as references to their group (same VPC);
- world-open rule, public use            -> keep (many sources, or EC2.18's authorized ports);
- any rule with no real use (probes only) -> revoke, with the window and coverage;
- default group with no ENIs (EC2.2)     -> revoke every rule, ingress and egress;
- incomplete coverage                    -> needs-more-data: nothing revoked.

Safety invariant (tests/test_planner_properties.py): applying a `ready` plan never denies a
connection classified as real use and never allows anything the current rules deny.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

import duckdb

from sgharden.analysis.connections import (
    INTERNAL_NETWORKS,
    Connection,
    Thresholds,
    Window,
    observed_connections,
    outbound_destinations,
)
from sgharden.analysis.coverage import Coverage, coverage_of, delivery, log_peers, verdict
from sgharden.analysis.evidence import EvidenceSpec, SampleKey, fetch_samples, sample_keys
from sgharden.analysis.matching import address_book, compile_rule, parse_address, rule_allows
from sgharden.analysis.plan import (
    NEEDS_DECISION,
    NEEDS_MORE_DATA,
    NO_CHANGE,
    READY,
    GroupPlan,
    Plan,
    ResourcePlan,
    RuleDecision,
    iso,
)
from sgharden.analysis.prefixes import aggregate
from sgharden.analysis.readiness import readiness
from sgharden.analysis.rule_use import match_rules, prepare, rule_sources, use_counts, view_evidence
from sgharden.findings import SECURITY_GROUP_CONTROLS, in_scope
from sgharden.model import (
    DbInstance,
    Finding,
    Instance,
    Interface,
    Inventory,
    Rule,
    SecurityGroup,
    protocol_name,
)
from sgharden.resources import query
from sgharden.snapshot import Snapshot


@dataclass(frozen=True)
class PlannerOptions:
    """Every threshold a decision depends on; all of them are written into the plan's settings."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    min_window_days: float = 14.0
    max_gap_share: float = 0.02
    # a narrowed world-open rule becomes at most this many prefixes per port
    max_prefixes: int = 10
    widest_prefix_v4: int = 24
    widest_prefix_v6: int = 64
    # EC2.18's authorizedTcpPorts / authorizedUdpPorts: world-open is fine here with public use
    authorized_tcp_ports: tuple[int, ...] = (80, 443)
    authorized_udp_ports: tuple[int, ...] = ()
    # ports the user declares public (--public-port / settings): world-open kept with real use.
    # No other port is ever "public": many sources are not a reason (scanners are many).
    public_tcp_ports: tuple[int, ...] = ()
    public_udp_ports: tuple[int, ...] = ()
    # a group is referenced instead of addresses when this share of its ENIs was seen as sources
    reference_min_member_share: float = 0.5
    top_sources: int = 20
    samples_per_rule: int = 5

    def settings(self) -> dict[str, object]:
        out = asdict(self)
        out.update(out.pop("thresholds"))
        out["authorized_tcp_ports"] = list(self.authorized_tcp_ports)
        out["authorized_udp_ports"] = list(self.authorized_udp_ports)
        out["public_tcp_ports"] = list(self.public_tcp_ports)
        out["public_udp_ports"] = list(self.public_udp_ports)
        out["evidence_query"] = "evidence"
        return out


def is_internet(address: str) -> bool:
    """Whether the address is outside every private network (so its traffic came from the internet)."""
    addr = parse_address(address)
    return not any(addr.version == n.version and addr in n for n in INTERNAL_NETWORKS)


def _port_label(protocol: int, port: int | None) -> str:
    name = protocol_name(protocol)
    return name if port is None else f"{name}/{port}"


def _world(rule: Rule) -> str:
    return rule.peer if rule.is_world_open else ""


def _members_seen(group_id: str, seen: set[str], inventory: Inventory) -> tuple[int, int]:
    members = address_book(inventory).members.get(group_id, [])
    hit = sum(1 for eni in members if any(str(parse_address(a)) in seen for a in eni.addresses))
    return hit, len(members)


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


# EC2.19's high-risk ports (not customizable) with EC2.13/14/53/54's 22 and 3389: never kept
# world-open, however many sources were counted, unless the user declares the port public.
HIGH_RISK_PORTS = frozenset(
    (20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432,
     5500, 5601, 8080, 8088, 8888, 9200, 9300)
)  # fmt: skip
ADMIN_PORTS = frozenset((22, 3389))
DATABASE_PORTS = frozenset((1433, 1434, 3306, 5432, 5500, 9200, 9300, 6379, 27017))


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


def parse_public_ports(values: Iterable[str]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """`443`, `tcp/8443`, `udp/53` -> (tcp ports, udp ports). ValueError names a bad one."""
    tcp: set[int] = set()
    udp: set[int] = set()
    for value in values:
        proto, _, number = value.strip().lower().rpartition("/")
        if proto not in ("", "tcp", "udp") or not number.isdigit() or not 1 <= int(number) <= 65535:
            raise ValueError(f"{value!r}: give PORT, tcp/PORT or udp/PORT with PORT 1-65535")
        (udp if proto == "udp" else tcp).add(int(number))
    return tuple(sorted(tcp)), tuple(sorted(udp))


def alternatives(protocol: int, port: int | None) -> str:
    """What to do instead of a world-open rule whose real sources do not fit in the limits."""
    out = ["a customer-managed prefix list of the real sources (counts as its max entries)"]
    if protocol in (6, -1) and (port in ADMIN_PORTS or port is None):
        out.append("SSM Session Manager or an EC2 Instance Connect Endpoint (no inbound rule)")
    if protocol in (6, -1) and (port in DATABASE_PORTS or port is None):
        out.append("private connectivity for the database (VPN, Direct Connect, PrivateLink)")
    if port is not None and port not in HIGH_RISK_PORTS:
        out.append("declaring the port public (--public-port) if it is a public service")
    return "; ".join(out)


def _needs_narrowing(
    rule: Rule, ports: Iterable[PortUse], options: PlannerOptions
) -> list[PortUse]:
    """The ports of a world-open rule whose sources the planner must see one by one."""
    ports = list(ports)
    public = [public_reason(options, p) for p in ports]
    single_port = rule.protocol in (6, 17) and rule.from_port == rule.to_port
    if not rule.is_world_open or (single_port and all(public)):
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
    buckets = [
        (rule_id, p.protocol, -1 if p.port is None else p.port)
        for rule_id, narrow in wanted.items()
        for p in narrow
    ]
    individuals = rule_sources(con, buckets, [r for r, narrow in wanted.items() if narrow], window)
    uses: dict[int, RuleUse] = {}
    for rule_id in by_id:
        conns, probe_addrs = individuals.get(rule_id, ([], set()))
        narrow = {(p.protocol, p.port) for p in wanted[rule_id]}
        port_uses = {}
        for p in ports.get(rule_id, []):
            if (p.protocol, p.port) in narrow:
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


class _GroupPlanner:
    def __init__(
        self,
        group: SecurityGroup,
        inventory: Inventory,
        connections: Iterable[Connection],
        coverage: Coverage,
        options: PlannerOptions,
        uses: Mapping[Rule, RuleUse] | None = None,
    ) -> None:
        self.group = group
        self.uses = uses
        self.inventory = inventory
        self.book = address_book(inventory)
        self.options = options
        self.coverage = coverage
        self.enis = {e.interface_id: e for e in self.book.members.get(group.group_id, [])}
        self.connections = [c for c in connections if c.interface_id in self.enis]
        self.by_service: dict[tuple[int, int | None], list[Connection]] = {}
        for c in self.connections:
            self.by_service.setdefault((c.protocol, c.service_port), []).append(c)
        self.revoke: list[RuleDecision] = []
        self.authorize: list[RuleDecision] = []
        self.keep: list[RuleDecision] = []
        self.warnings: list[str] = []
        # world-open rules whose real sources cannot be expressed within the limits
        self.undecided: list[str] = []

    # -- helpers ---------------------------------------------------------------------------
    def matched(self, rule: Rule) -> list[Connection]:
        compiled = compile_rule(rule, self.inventory)
        out: list[Connection] = []
        for (protocol, port), conns in self.by_service.items():
            if not compiled.allows_port(protocol, port):
                continue
            if compiled.world_family is not None:
                out.extend(c for c in conns if c.remote_family == compiled.world_family)
            else:
                out.extend(c for c in conns if compiled.covers(c.remote_addr, self.inventory))
        return out

    def use(self, rule: Rule) -> RuleUse:
        if self.uses is not None:
            return self.uses[rule]
        return use_from_connections(self.matched(rule))

    def window_text(self) -> str:
        cov = self.coverage
        w = cov.window
        return (
            f"{cov.window_days:.1f} days ({iso(w.start)} to {iso(w.end)}), "
            f"{len(cov.enis) - len(cov.uncovered_enis)}/{len(cov.enis)} ENIs with flow logs, "
            f"worst gap share {cov.gap_share:.2%}"
        )

    def currently_allows(self, protocol: int, port: int | None, address: str) -> bool:
        return any(
            rule_allows(r, protocol, port, address, self.inventory) for r in self.group.ingress
        )

    def new_rule(self, template: Rule, protocol: int, port: int | None, **peer: str) -> Rule:
        if protocol in (6, 17):
            from_port, to_port = port, port
        elif template.protocol == protocol:  # ICMP under an ICMP rule keeps its type/code
            from_port, to_port = template.from_port, template.to_port
        else:
            from_port, to_port = None, None
        return Rule(
            group_id=self.group.group_id,
            is_egress=False,
            ip_protocol=protocol_name(protocol),
            from_port=from_port,
            to_port=to_port,
            description=f"sgharden: observed use, narrowed from {template.peer}",
            **peer,
        )

    # -- decisions -------------------------------------------------------------------------
    def run(self) -> None:
        for rule in self.group.ingress:
            self.decide(rule)
        for rule in self.group.egress:
            self.keep.append(
                RuleDecision(
                    rule,
                    "egress rule kept: sgharden narrows inbound access; outbound use is "
                    "not analysed for egress rules",
                )
            )

    def decide(self, rule: Rule) -> None:
        use = self.use(rule)
        if not use.real_sources:
            probe_text = (
                f"; {use.probe_sources} probe source(s) "
                f"({use.probe_connections} connections) show it exposed"
                if use.probe_sources
                else ""
            )
            what = "no ENI uses the group" if not self.enis else "no real use"
            self.revoke.append(
                _decision(rule, f"{what} in {self.window_text()}{probe_text}", use.evidence)
            )
            return
        if not rule.is_world_open:
            self.keep.append(
                _decision(
                    rule,
                    f"in use: {use.real_sources} real source(s), {use.real_connections} "
                    f"connections; not open to the world",
                    use.evidence,
                )
            )
            return
        self.narrow_world_rule(rule, use)

    def is_public(self, port_use: PortUse) -> str | None:
        return public_reason(self.options, port_use)

    def narrow_world_rule(self, rule: Rule, use: RuleUse) -> None:
        single_port = rule.protocol in (6, 17) and rule.from_port == rule.to_port
        public = {k: self.is_public(v) for k, v in use.ports.items()}
        if single_port and all(public.values()):
            why = "; ".join(sorted({p for p in public.values() if p}))
            self.keep.append(_decision(rule, f"kept: {why}", use.evidence))
            return
        proposals: list[RuleDecision] = []
        for (protocol, port), port_use in sorted(
            use.ports.items(), key=lambda kv: (kv[0][0], kv[0][1] or -1)
        ):
            label = _port_label(protocol, port)
            if public[(protocol, port)]:
                peer = (
                    {"cidr_ipv4": rule.cidr_ipv4}
                    if rule.cidr_ipv4
                    else {"cidr_ipv6": rule.cidr_ipv6}
                )
                new = self.new_rule(rule, protocol, port, **peer)  # type: ignore[arg-type]
                proposals.append(
                    _decision(new, f"{public[(protocol, port)]} on {label}", port_use.evidence)
                )
                continue
            assert port_use.connections is not None and use.probe_addrs is not None
            narrowed = self.narrow_sources(
                rule, protocol, port, port_use.connections, use.probe_addrs
            )
            if narrowed is None:
                self.keep.append(
                    _decision(
                        rule,
                        f"needs a decision: {port_use.sources} real sources on {label} do not "
                        f"fit in {self.options.max_prefixes} prefixes no wider than "
                        f"/{self._widest(rule)} without taking in probes; alternatives: "
                        f"{alternatives(protocol, port)}",
                        use.evidence,
                    )
                )
                self.undecided.append(
                    f"{rule.peer} {label}: {port_use.sources} scattered real sources cannot be "
                    f"narrowed within the limits; choose: {alternatives(protocol, port)}"
                )
                return
            proposals.extend(narrowed)
        self.revoke.append(
            _decision(
                rule,
                f"world-open rule used by {use.real_sources} real source(s) in "
                f"{self.window_text()}; replaced by the rules authorized below",
                use.evidence,
            )
        )
        self.authorize.extend(proposals)

    def _widest(self, rule: Rule) -> int:
        return self.options.widest_prefix_v6 if rule.cidr_ipv6 else self.options.widest_prefix_v4

    def narrow_sources(
        self,
        rule: Rule,
        protocol: int,
        port: int | None,
        conns: list[Connection],
        probe_addrs: set[str],
    ) -> list[RuleDecision] | None:
        """References for same-VPC ENI sources, bounded prefixes for the rest; None if no fit."""
        label = _port_label(protocol, port)
        seen = {str(parse_address(c.remote_addr)) for c in conns}
        probe_only = {str(parse_address(a)) for a in probe_addrs} - seen
        remaining = set(seen)
        out: list[RuleDecision] = []
        vpcs = {e.vpc_id for e in self.enis.values()}
        while True:
            best = self.best_reference(protocol, port, remaining, seen, probe_only, vpcs)
            if best is None:
                break
            group_id, covered, hit, size = best
            remaining -= covered
            mine = tuple(c for c in conns if str(parse_address(c.remote_addr)) in covered)
            out.append(
                RuleDecision(
                    self.new_rule(rule, protocol, port, referenced_group_id=group_id),
                    f"same-VPC sources on {label}: {hit} of the {size} ENIs of {group_id} "
                    "were seen; reference the group instead of addresses",
                    mine,
                )
            )
        if remaining:
            nets = aggregate(
                remaining,
                max_prefixes=self.options.max_prefixes,
                widest_prefix=self._widest(rule),
                avoid=probe_only,
            )
            if nets is None:
                return None
            # verify, not just trust aggregate(): no prefix may take in a probe-only source
            if any(
                parse_address(a) in net
                for a in probe_only
                for net in nets
                if parse_address(a).version == net.version
            ):
                return None
            kind = "cidr_ipv6" if rule.cidr_ipv6 else "cidr_ipv4"
            for net in nets:
                mine = tuple(c for c in conns if parse_address(c.remote_addr) in net)
                sources = len({c.remote_addr for c in mine})
                out.append(
                    RuleDecision(
                        self.new_rule(rule, protocol, port, **{kind: str(net)}),
                        f"real source(s) on {label}: {sources} address(es) in {net}",
                        mine,
                    )
                )
        return out

    def best_reference(
        self,
        protocol: int,
        port: int | None,
        remaining: set[str],
        seen: set[str],
        probe_only: set[str],
        vpcs: set[str | None],
    ) -> tuple[str, set[str], int, int] | None:
        """The group of remaining same-VPC sources whose members are the ones seen, if any."""
        candidates: set[str] = set()
        for addr in remaining:
            for eni in self.book.interfaces_of_address.get(addr, []):
                if eni.vpc_id in vpcs and eni.vpc_id is not None:
                    candidates.update(eni.group_ids)
        best: tuple[float, int, str] | None = None
        for group_id in sorted(candidates):
            hit, size = _members_seen(group_id, seen, self.inventory)
            if size == 0 or hit / size < self.options.reference_min_member_share:
                continue
            # traffic of a family none of this group's ENIs has cannot reach them
            families = {parse_address(a).version for e in self.enis.values() for a in e.addresses}
            members = [
                a
                for a in self.book.member_addresses(group_id)
                if parse_address(a).version in families
            ]
            # the reference lets in every member: each must be allowed today, none a probe
            if any(str(parse_address(a)) in probe_only for a in members):
                continue
            if not all(self.currently_allows(protocol, port, a) for a in members):
                continue
            covered = {a for a in remaining if self.book.carries(a, group_id)}
            if not covered:
                continue
            score = (hit / size, -size, group_id)
            if best is None or score[:2] > best[:2]:
                best = score
        if best is None:
            return None
        group_id = best[2]
        hit, size = _members_seen(group_id, seen, self.inventory)
        return group_id, {a for a in remaining if self.book.carries(a, group_id)}, hit, size


def _decision(rule: Rule, reason: str, evidence: EvidenceRef) -> RuleDecision:
    if isinstance(evidence, EvidenceSpec):
        return RuleDecision(rule, reason, (), spec=evidence)
    return RuleDecision(rule, reason, evidence)


def _dedupe(decisions: list[RuleDecision], existing: Iterable[Rule]) -> list[RuleDecision]:
    have = {r.key() for r in existing}
    out: dict[tuple[object, ...], RuleDecision] = {}
    for d in decisions:
        key = d.rule.key()
        if key in have:
            continue
        if key in out:
            prev = out[key]
            known = set(prev.connections)
            merged = prev.connections + tuple(c for c in d.connections if c not in known)
            out[key] = replace(prev, connections=merged)
        else:
            out[key] = d
    return list(out.values())


def plan_group(
    group: SecurityGroup,
    inventory: Inventory,
    connections: Iterable[Connection],
    coverage: Coverage,
    options: PlannerOptions,
    controls: Iterable[str] = (),
    findings: Iterable[str] = (),
    uses: Mapping[Rule, RuleUse] | None = None,
    snapshot_root: str | None = None,
) -> GroupPlan:
    """The decision for one security group (pure).

    `uses` (each ingress rule's use, from SQL) replaces matching `connections` in Python.
    """
    controls = tuple(controls)
    planner = _GroupPlanner(group, inventory, connections, coverage, options, uses)
    warnings: list[str] = []
    if group.is_default and not planner.enis and "EC2.2" in controls:
        revoke = [
            RuleDecision(
                r,
                "EC2.2: the VPC's default group has no ENIs; revoke all its rules (ingress "
                "and egress) so nothing that lands in it by default gets access",
            )
            for r in group.rules
        ]
        return _finish(group, controls, findings, coverage, revoke, [], [], warnings)
    planner.run()
    warnings.extend(planner.warnings)
    if group.is_default and "EC2.2" in controls and planner.enis:
        warnings.append(
            f"EC2.2: the default group is used by {len(planner.enis)} ENI(s); move them to "
            "dedicated groups before its remaining rules can be removed"
        )
    kept_rules = [d.rule for d in planner.keep]
    authorize = _dedupe(planner.authorize, kept_rules)
    check = verdict(coverage, options.min_window_days, options.max_gap_share)
    if planner.enis and not check.ok and (planner.revoke or authorize):
        warnings.extend(check.reasons)
        ready = readiness(
            coverage, inventory, options.min_window_days, options.max_gap_share, snapshot_root
        )
        warnings.append(ready.line())
        # what the recorded data shows is not "no real use" while part of it is missing
        held = [
            replace(
                d,
                reason=f"needs more data before revoking ({'; '.join(ready.missing)}); "
                f"in the data recorded so far: {d.reason}",
            )
            for d in planner.revoke
        ]
        return _finish(
            group,
            controls,
            findings,
            coverage,
            [],
            [],
            planner.keep + held,
            warnings,
            status=NEEDS_MORE_DATA,
        )
    if planner.enis and not check.ok:
        warnings.extend(check.reasons)
    warnings.extend(check.warnings)
    if planner.undecided:
        # a risky world-open rule stays only until someone chooses: never "kept to be safe"
        warnings.extend(planner.undecided)
        held = [
            replace(d, reason=f"held until the decision above: {d.reason}") for d in planner.revoke
        ]
        return _finish(
            group,
            controls,
            findings,
            coverage,
            [],
            [],
            planner.keep + held,
            warnings,
            status=NEEDS_DECISION,
        )
    return _finish(
        group, controls, findings, coverage, planner.revoke, authorize, planner.keep, warnings
    )


def _finish(
    group: SecurityGroup,
    controls: tuple[str, ...],
    findings: Iterable[str],
    coverage: Coverage,
    revoke: list[RuleDecision],
    authorize: list[RuleDecision],
    keep: list[RuleDecision],
    warnings: list[str],
    status: str | None = None,
) -> GroupPlan:
    if status is None:
        status = READY if (revoke or authorize) else NO_CHANGE
    return GroupPlan(
        group_id=group.group_id,
        group_name=group.group_name,
        vpc_id=group.vpc_id,
        account_id=group.account_id,
        region=group.region,
        controls=controls,
        findings=tuple(findings),
        status=status,
        coverage=coverage,
        revoke=tuple(revoke),
        authorize=tuple(authorize),
        keep=tuple(keep),
        warnings=tuple(dict.fromkeys(warnings)),
        current=group.rules,
    )


# -- resources (EC2.9, RDS.2) ------------------------------------------------------------------


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


def sql_resource_use(
    con: duckdb.DuckDBPyConnection, interfaces: list[str], top: int
) -> dict[str, SourceClass]:
    """The same classes from the working set (sql/plan_resource_use.sql)."""
    out = {k: SourceClass() for k in RESOURCE_CLASSES}
    rows = con.execute(query("plan_resource_use"), {"interfaces": interfaces, "top": top})
    for kind, count, conns, sources in rows.fetchall():
        out[kind] = SourceClass(
            int(count),
            int(conns),
            tuple({"address": s["address"], "connections": int(s["connections"])} for s in sources),
        )
    return out


def _resource_coverage_reason(coverage: Coverage, options: PlannerOptions) -> str | None:
    if not coverage.enis:
        return "none of its ENIs is in network-interfaces.json"
    check = verdict(coverage, options.min_window_days, options.max_gap_share)
    return None if check.ok else "; ".join(check.reasons)


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
    base = {
        "resource_id": instance.instance_id,
        "resource_type": "AwsEc2Instance",
        "control": "EC2.9",
        "account_id": instance.account_id,
        "region": instance.region,
        "findings": finding.all_ids,
    }
    if real.source_count:
        return ResourcePlan(
            action="keep-public-ip",
            reason=f"{real.source_count} real internet source(s) reached it through its public IP",
            evidence=evidence,
            **base,  # type: ignore[arg-type]
        )
    blocked = _resource_coverage_reason(coverage, options)
    if blocked:
        return ResourcePlan(action="needs-more-data", reason=blocked, evidence=evidence, **base)  # type: ignore[arg-type]
    nat = (
        f"; it opened {evidence['outbound_internet']['destination_count']} internet "  # type: ignore[index]
        "destination(s): it needs a NAT gateway (or VPC endpoints) once the public IP is gone"
        if out_public
        else "; it made no outbound internet connections, so no NAT gateway is needed"
    )
    return ResourcePlan(
        action="remove-public-ip",
        reason=f"no real inbound connection from the internet in {coverage.window_days:.1f} days"
        + nat,
        evidence=evidence,
        **base,  # type: ignore[arg-type]
    )


def db_interfaces(db: DbInstance, inventory: Inventory) -> list[Interface]:
    """The DB's ENIs: requester-managed RDS interfaces carrying the DB's groups, in its VPC."""
    wanted = set(db.group_ids)
    out = []
    for eni in inventory.interfaces.values():
        if not eni.requester_managed or "RDS" not in eni.description.upper():
            continue
        if db.vpc_id and eni.vpc_id != db.vpc_id:
            continue
        if wanted and set(eni.group_ids) == wanted:
            out.append(eni)
    return sorted(out, key=lambda e: e.interface_id)


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
    base = {
        "resource_id": db.identifier,
        "resource_type": "AwsRdsDbInstance",
        "control": "RDS.2",
        "account_id": db.account_id,
        "region": db.region,
        "findings": finding.all_ids,
    }
    if outside.source_count:
        return ResourcePlan(
            action="keep-public-access",
            reason=f"{outside.source_count} real client(s) from outside the VPC",
            evidence=evidence,
            **base,  # type: ignore[arg-type]
        )
    blocked = _resource_coverage_reason(coverage, options)
    if blocked:
        return ResourcePlan(action="needs-more-data", reason=blocked, evidence=evidence, **base)  # type: ignore[arg-type]
    return ResourcePlan(
        action="disable-public-access",
        reason=(
            f"no real client from outside the VPC in {coverage.window_days:.1f} days; "
            f"{inside.source_count} private client(s) keep working"
        ),
        evidence=evidence,
        **base,  # type: ignore[arg-type]
    )


# -- the whole snapshot ------------------------------------------------------------------------


@dataclass
class _Target:
    inventory: Inventory
    group: SecurityGroup | None
    group_id: str
    account_id: str
    region: str
    controls: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)


def _inventory_for(snapshot: Snapshot, finding: Finding, predicate: object) -> Inventory | None:
    inv = snapshot.inventory(finding.account_id, finding.region)
    if inv is not None:
        return inv
    for candidate in snapshot.inventories.values():
        if callable(predicate) and predicate(candidate):
            return candidate
    return None


def propose(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    window: Window,
    options: PlannerOptions | None = None,
    now: datetime | None = None,
    engine: str = "sql",
) -> Plan:
    """The plan for every in-scope finding of the snapshot, from the workspace's flow data.

    `engine`: "sql" matches rules and computes evidence in DuckDB (analysis/rule_use.py);
    "python" matches every connection in Python (the reference the tests compare it with).
    """
    if engine not in ("sql", "python"):
        raise ValueError(f"engine must be 'sql' or 'python', not {engine!r}")
    options = options or PlannerOptions()
    findings = in_scope(snapshot.findings)
    targets: dict[tuple[str, str, str], _Target] = {}
    instances: list[tuple[Finding, Inventory, Instance]] = []
    dbs: list[tuple[Finding, Inventory, DbInstance]] = []
    missing: list[str] = []
    for f in findings:
        rid = f.resource_id
        if f.control in SECURITY_GROUP_CONTROLS:
            inv = _inventory_for(snapshot, f, lambda i, rid=rid: rid in i.security_groups)
            if inv is None:
                missing.append(f"{f.control} {rid}: not in any security-groups.json")
                continue
            key = (inv.account_id, inv.region, rid)
            t = targets.setdefault(
                key, _Target(inv, inv.security_groups.get(rid), rid, inv.account_id, inv.region)
            )
            if f.control not in t.controls:
                t.controls.append(f.control)
            t.findings.extend(i for i in f.all_ids if i not in t.findings)
        elif f.control == "EC2.9":
            inv = _inventory_for(snapshot, f, lambda i, rid=rid: rid in i.instances)
            if inv is None or rid not in inv.instances:
                missing.append(f"EC2.9 {rid}: not in instances.json")
                continue
            instances.append((f, inv, inv.instances[rid]))
        elif f.control == "RDS.2":
            inv = _inventory_for(snapshot, f, lambda i, rid=rid: rid in i.db_instances)
            if inv is None or rid not in inv.db_instances:
                missing.append(f"RDS.2 {rid}: not in db-instances.json")
                continue
            dbs.append((f, inv, inv.db_instances[rid]))

    # the ENIs each target needs, and one query for all their connections and coverage
    group_enis: dict[tuple[str, str, str], list[Interface]] = {
        k: list(address_book(t.inventory).members.get(t.group_id, [])) for k, t in targets.items()
    }
    instance_enis = {
        f.finding_id: sorted(
            {
                e.interface_id: e
                for e in inv.interfaces.values()
                if e.interface_id in inst.interface_ids or e.instance_id == inst.instance_id
            }.values(),
            key=lambda e: e.interface_id,
        )
        for f, inv, inst in instances
    }
    db_enis = {f.finding_id: db_interfaces(db, inv) for f, inv, db in dbs}
    all_enis = sorted(
        {e.interface_id for enis in group_enis.values() for e in enis}
        | {e.interface_id for enis in instance_enis.values() for e in enis}
        | {e.interface_id for enis in db_enis.values() for e in enis}
    )
    uses: dict[int, RuleUse] = {}
    rule_ids: dict[tuple[tuple[str, str, str], Rule], int] = {}
    if engine == "sql":
        prepare(con, all_enis, window, options.thresholds, [str(n) for n in INTERNAL_NETWORKS])
        rule_list: list[tuple[int, Rule, list[Interface], Inventory]] = []
        for key, t in sorted(targets.items()):
            for rule in t.group.ingress if t.group else ():
                rule_ids[(key, rule)] = len(rule_list)
                rule_list.append((len(rule_list), rule, group_enis[key], t.inventory))
        uses = sql_rule_uses(con, rule_list, window, options)
    # the SQL engine reads everything from its working set; the Python one from connections
    connections = (
        []
        if engine == "sql"
        else observed_connections(
            con, snapshot, window.start, window.end, options.thresholds, interfaces=all_enis
        )
    )
    by_eni: dict[str, list[Connection]] = {}
    for c in connections:
        by_eni.setdefault(c.interface_id, []).append(c)
    # a subnet- or VPC-level log's silence is judged over every interface it records
    peers = {
        i
        for enis, inv in (
            *((group_enis[k], t.inventory) for k, t in targets.items()),
            *((instance_enis[f.finding_id], inv) for f, inv, _ in instances),
            *((db_enis[f.finding_id], inv) for f, inv, _ in dbs),
        )
        for i in log_peers(enis, inv)
    }
    deliveries = delivery(con, sorted(set(all_enis) | peers), window)

    def conns_of(enis: Iterable[Interface]) -> list[Connection]:
        return [c for e in enis for c in by_eni.get(e.interface_id, [])]

    def resource_use(enis: list[Interface]) -> dict[str, SourceClass]:
        if engine == "sql":
            ids = [e.interface_id for e in enis]
            return sql_resource_use(con, ids, options.top_sources)
        return resource_use_from_connections(conns_of(enis), options.top_sources)

    groups: list[GroupPlan] = []
    for key, t in sorted(targets.items()):
        enis = group_enis[key]
        coverage = coverage_of(enis, t.inventory, deliveries, window)
        if t.group is None:
            missing.append(f"{t.group_id}: not in security-groups.json")
            continue
        controls = sorted(t.controls, key=SECURITY_GROUP_CONTROLS.index)
        group_uses = (
            {rule: uses[rule_ids[(key, rule)]] for rule in t.group.ingress}
            if engine == "sql"
            else None
        )
        groups.append(
            plan_group(
                t.group,
                t.inventory,
                [] if engine == "sql" else conns_of(enis),
                coverage,
                options,
                controls,
                t.findings,
                group_uses,
                snapshot_root=str(snapshot.root),
            )
        )
    resources: list[ResourcePlan] = []
    outbound = (
        outbound_destinations(
            con, [e.interface_id for enis in instance_enis.values() for e in enis], window
        )
        if instances
        else []
    )
    for f, inv, inst in instances:
        enis = instance_enis[f.finding_id]
        coverage = coverage_of(enis, inv, deliveries, window)
        resources.append(
            plan_instance(inst, f, enis, resource_use(enis), outbound, coverage, options)
        )
    for f, inv, db in dbs:
        enis = db_enis[f.finding_id]
        coverage = coverage_of(enis, inv, deliveries, window)
        resources.append(plan_db(db, f, enis, resource_use(enis), coverage, options))

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
