# Over ~400 lines: one group's decisions are one state machine (_GroupPlanner).
"""Decide, per flagged security group, what access is really used and what to change.

`plan_group` is pure (inventory + rule use or connections + coverage in, a decision out);
`analysis/planner.propose` gathers its inputs. The decisions (docs/planner.md):

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
from dataclasses import replace

from sgharden.analysis.connections import Connection
from sgharden.analysis.coverage import Coverage, verdict
from sgharden.analysis.evidence import EvidenceSpec
from sgharden.analysis.matching import address_book, compile_rule, parse_address, rule_allows
from sgharden.analysis.options import PlannerOptions, alternatives
from sgharden.analysis.peer_seen import PeerSeenUse
from sgharden.analysis.prefixes import aggregate
from sgharden.analysis.readiness import readiness
from sgharden.analysis.use import (
    EvidenceRef,
    PortUse,
    RuleUse,
    narrowing_order,
    public_reason,
    use_from_connections,
)
from sgharden.model import Inventory, Rule, SecurityGroup, protocol_name
from sgharden.plan.schema import NEEDS_DECISION, NEEDS_MORE_DATA, NO_CHANGE, READY, iso
from sgharden.plan.write import GroupPlan, RuleDecision


def _port_label(protocol: int, port: int | None) -> str:
    name = protocol_name(protocol)
    return name if port is None else f"{name}/{port}"


def _world(rule: Rule) -> str:
    return rule.peer if rule.is_world_open else ""


def _members_seen(group_id: str, seen: set[str], inventory: Inventory) -> tuple[int, int]:
    members = address_book(inventory).members.get(group_id, [])
    hit = sum(1 for eni in members if any(str(parse_address(a)) in seen for a in eni.addresses))
    return hit, len(members)


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
            f"worst gap share {cov.gap_share:.2%}" + cov.late_start_text()
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
        public = {k: self.is_public(v) for k, v in use.ports.items()}
        if rule.is_single_port and all(public.values()):
            why = "; ".join(sorted({p for p in public.values() if p}))
            self.keep.append(_decision(rule, f"kept: {why}", use.evidence))
            return
        proposals: list[RuleDecision] = []
        for (protocol, port), port_use in narrowing_order(use.ports):
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
            if port_use.cannot_fit:  # the SQL bound: narrow_sources would say None
                narrowed = None
            else:
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
    seen_by_peers: tuple[PeerSeenUse, ...] = (),
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
    # incomplete evidence comes first: a decision asked on part of the data could be the wrong one
    if planner.enis and not check.ok and (planner.revoke or authorize or planner.undecided):
        warnings.extend(check.reasons)
        ready = readiness(
            coverage,
            inventory,
            options.min_window_days,
            options.max_gap_share,
            snapshot_root,
            seen_by_peers,
        )
        warnings.append(ready.line())
        # what the recorded data shows is not "no real use" while part of it is missing
        held = [
            replace(
                d,
                reason=f"needs more data before revoking ({'; '.join(ready.missing)}); "
                f"in the data recorded so far: {d.reason}" + ready.seen_on(d.rule),
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
        coverage=coverage.stated(),
        revoke=tuple(revoke),
        authorize=tuple(authorize),
        keep=tuple(keep),
        warnings=tuple(dict.fromkeys(warnings)),
        current=group.rules,
    )
