"""The plan JSON (`sgharden.plan/v1`) read back into frozen dataclasses for ticket, dry-run, apply.

Coverage, its gaps and each rule's evidence are plan/model.py's types, the ones the writer
serialises: one model, built here from the JSON and validated on the way.

The plan is a contract with users' scripts as well as with `propose`: unknown fields are kept out of
the way (ignored), missing or mistyped required fields are a one-line `InputError` naming the file
and the field, so a hand-edited plan fails before anything is rendered or changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sgharden.errors import InputError
from sgharden.model import Rule
from sgharden.moments import parse
from sgharden.plan.model import Coverage, Evidence, Gap, ProbeFamily, Source
from sgharden.plan.schema import (
    CHANGING_ACTIONS,
    GROUP_STATUSES,
    RESOURCE_ACTIONS,
    SCHEMA,
    GroupHeader,
)
from sgharden.schema import check_plan_document, load_json_strict

_PEERS = ("CidrIpv4", "CidrIpv6", "ReferencedGroupId", "PrefixListId")


@dataclass(frozen=True)
class PlanRule:
    rule: Rule
    reason: str
    evidence: Evidence
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False, default_factory=dict)

    @property
    def accepted_risk(self) -> dict[str, Any] | None:
        """The risk acceptance that keeps this rule (sgharden.toml), as quoted in the plan."""
        record = self.raw.get("accepted_risk")
        return record if isinstance(record, dict) else None


@dataclass(frozen=True)
class PlanGroup(GroupHeader):
    coverage: Coverage
    revoke: tuple[PlanRule, ...]
    authorize: tuple[PlanRule, ...]
    keep: tuple[PlanRule, ...]
    warnings: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False, default_factory=dict)
    # "shuts out N scanner sources; none was a real user" (ready groups; older plans: None)
    shut_out_line: str | None = None

    @property
    def has_changes(self) -> bool:
        """Only a `ready` group is ever changed, and only when it has something to change."""
        return self.status == "ready" and bool(self.revoke or self.authorize)


@dataclass(frozen=True)
class PlanResource:
    resource_id: str
    resource_type: str
    control: str
    action: str
    reason: str
    evidence: dict[str, Any]
    account_id: str
    region: str
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False, default_factory=dict)
    # The finding ids this change closes, as the planner wrote them; empty in plans written
    # before the field existed (the ticket then falls back to the resource's finding of `control`).
    findings: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return self.action in CHANGING_ACTIONS


@dataclass(frozen=True)
class Plan:
    path: Path
    generated_at: str
    window_start: str
    window_end: str
    settings: dict[str, Any]
    groups: tuple[PlanGroup, ...]
    resources: tuple[PlanResource, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False, default_factory=dict)

    def group(self, group_id: str) -> PlanGroup:
        for g in self.groups:
            if g.group_id == group_id:
                return g
        raise InputError(
            f"{self.path}: no group {group_id} in the plan",
            hint=f"groups in it: {', '.join(g.group_id for g in self.groups) or 'none'}",
        )

    def groups_to_change(self, only: tuple[str, ...] | list[str] = ()) -> list[PlanGroup]:
        chosen = [self.group(g) for g in only] if only else list(self.groups)
        return [g for g in chosen if g.has_changes]

    @property
    def label(self) -> str:
        """How changes name the plan (rule descriptions, backups)."""
        return f"sgharden plan {self.generated_at}"


# An ISO 8601 timestamp as naive UTC (the workspace's convention): moments.parse, the one parser.
parse_time = parse


class _Reader:
    """Field access that fails with the file and the JSON path of the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> InputError:
        return InputError(
            f"{self.path}: {where}: {what}",
            hint="regenerate the plan with `sgharden propose --format json`",
        )

    def get(
        self, obj: dict[str, Any], key: str, where: str, kind: Any, required: bool = True
    ) -> Any:
        if key not in obj or obj[key] is None:
            if required:
                raise self.fail(f"{where}.{key}", "missing")
            return None
        value = obj[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, float) and value.is_integer():
            return int(value)  # JSON has one number type; 37.0 connections are 37
        if kind is int and isinstance(value, bool):
            raise self.fail(f"{where}.{key}", f"expected a number, found {value!r}")
        if not isinstance(value, kind):
            name = getattr(kind, "__name__", str(kind))
            raise self.fail(f"{where}.{key}", f"expected {name}, found {type(value).__name__}")
        return value

    def time(self, obj: dict[str, Any], key: str, where: str) -> str:
        text = self.get(obj, key, where, str)
        try:
            parse_time(text)
        except ValueError:
            raise self.fail(f"{where}.{key}", f"not an ISO 8601 time: {text!r}") from None
        return str(text)

    def sources(self, items: Any, where: str) -> tuple[Source, ...]:
        if items is None:
            return ()
        if not isinstance(items, list):
            raise self.fail(where, "expected a list")
        out = []
        for i, s in enumerate(items):
            w = f"{where}[{i}]"
            if not isinstance(s, dict):
                raise self.fail(w, "expected an object")
            out.append(
                Source(
                    address=self.get(s, "address", w, str),
                    connections=int(self.get(s, "connections", w, int, False) or 0),
                    bytes=int(self.get(s, "bytes", w, int, False) or 0),
                    first_seen=self.get(s, "first_seen", w, str, False),
                    last_seen=self.get(s, "last_seen", w, str, False),
                    verdict=str(s.get("verdict") or ""),
                    reason=str(s.get("reason") or ""),
                )
            )
        return tuple(out)

    def families(self, items: Any, where: str) -> tuple[ProbeFamily, ...]:
        if items is None:
            return ()
        if not isinstance(items, list):
            raise self.fail(where, "expected a list")
        out = []
        for i, f in enumerate(items):
            w = f"{where}[{i}]"
            if not isinstance(f, dict):
                raise self.fail(w, "expected an object")
            out.append(
                ProbeFamily(
                    family=self.get(f, "family", w, str),
                    sources=int(self.get(f, "sources", w, int, False) or 0),
                    connections=int(self.get(f, "connections", w, int, False) or 0),
                )
            )
        return tuple(out)

    def evidence(self, obj: Any, where: str) -> Evidence:
        if obj is None:
            return Evidence()
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object")
        probes = obj.get("probes") or {}
        if not isinstance(probes, dict):
            raise self.fail(f"{where}.probes", "expected an object")
        daily = []
        for i, d in enumerate(obj.get("daily") or []):
            w = f"{where}.daily[{i}]"
            if not isinstance(d, dict):
                raise self.fail(w, "expected an object")
            daily.append(
                (
                    self.get(d, "day", w, str),
                    int(self.get(d, "connections", w, int, False) or 0),
                    int(self.get(d, "probe_connections", w, int, False) or 0),
                )
            )
        sources = self.sources(obj.get("sources"), f"{where}.sources")
        source_count = self.get(obj, "source_count", where, int, False)
        return Evidence(
            connections=int(self.get(obj, "connections", where, int, False) or 0),
            packets=int(self.get(obj, "packets", where, int, False) or 0),
            bytes=int(self.get(obj, "bytes", where, int, False) or 0),
            source_count=int(source_count if source_count is not None else len(sources)),
            sources=sources,
            first_seen=self.get(obj, "first_seen", where, str, False),
            last_seen=self.get(obj, "last_seen", where, str, False),
            probe_source_count=int(
                self.get(probes, "source_count", f"{where}.probes", int, False) or 0
            ),
            probe_connections=int(
                self.get(probes, "connections", f"{where}.probes", int, False) or 0
            ),
            probe_sources=self.sources(probes.get("sources"), f"{where}.probes.sources"),
            probe_families=self.families(probes.get("families"), f"{where}.probes.families"),
            daily=tuple(daily),
            sample=tuple(str(s) for s in obj.get("sample") or ()),
            counted_by=self.get(obj, "counted_by", where, str, False),
        )

    def rule(self, obj: Any, group_id: str, where: str) -> PlanRule:
        if not isinstance(obj, dict):
            raise self.fail(where, "expected a rule object")
        self.get(obj, "IsEgress", where, bool)
        self.get(obj, "IpProtocol", where, (str, int))
        peers = [p for p in _PEERS if obj.get(p) is not None]
        if len(peers) != 1:
            raise self.fail(
                where, f"needs exactly one of {', '.join(_PEERS)}, found {peers or 'none'}"
            )
        if str(obj["IpProtocol"]) != "-1":
            self.get(obj, "FromPort", where, int)
            self.get(obj, "ToPort", where, int)
        try:
            rule = Rule.from_ec2(obj, group_id)
        except (KeyError, TypeError, ValueError) as exc:
            raise self.fail(where, f"not a security group rule ({exc})") from None
        return PlanRule(
            rule=rule,
            reason=str(obj.get("reason") or ""),
            evidence=self.evidence(obj.get("evidence"), f"{where}.evidence"),
            raw=obj,
        )

    def coverage(self, obj: Any, where: str) -> Coverage:
        if obj is None:
            return Coverage()
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object")
        gaps = []
        for i, gap in enumerate(obj.get("gaps") or []):
            w = f"{where}.gaps[{i}]"
            if not isinstance(gap, dict):
                raise self.fail(w, "expected an object")
            gaps.append(
                Gap(
                    interface_id=self.get(gap, "interface_id", w, str),
                    start=parse_time(self.time(gap, "start", w)),
                    end=parse_time(self.time(gap, "end", w)),
                    kind=str(gap.get("kind") or ""),
                )
            )
        return Coverage(
            enis=tuple(self.get(obj, "enis", where, list, False) or ()),
            uncovered_enis=tuple(self.get(obj, "uncovered_enis", where, list, False) or ()),
            gaps=tuple(gaps),
            window_days=self.get(obj, "window_days", where, float, False),
            gap_share=self.get(obj, "gap_share", where, float, False),
            quiet=tuple(str(q) for q in self.get(obj, "quiet", where, list, False) or ()),
        )

    def group(self, obj: Any, where: str) -> PlanGroup:
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object")
        gid = self.get(obj, "group_id", where, str)
        status = self.get(obj, "status", where, str)
        if status not in GROUP_STATUSES:
            raise self.fail(
                f"{where}.status", f"{status!r} is not one of {', '.join(GROUP_STATUSES)}"
            )

        def rules(key: str) -> tuple[PlanRule, ...]:
            items = self.get(obj, key, where, list, False) or []
            return tuple(self.rule(r, gid, f"{where}.{key}[{i}]") for i, r in enumerate(items))

        return PlanGroup(
            group_id=gid,
            group_name=str(obj.get("group_name") or ""),
            vpc_id=obj.get("vpc_id"),
            account_id=self.get(obj, "account_id", where, str),
            region=self.get(obj, "region", where, str),
            controls=tuple(self.get(obj, "controls", where, list, False) or ()),
            findings=tuple(self.get(obj, "findings", where, list, False) or ()),
            status=status,
            coverage=self.coverage(obj.get("coverage"), f"{where}.coverage"),
            revoke=rules("revoke"),
            authorize=rules("authorize"),
            keep=rules("keep"),
            warnings=tuple(str(w) for w in obj.get("warnings") or ()),
            raw=obj,
            shut_out_line=self.shut_out_line(obj.get("shut_out"), f"{where}.shut_out"),
        )

    def shut_out_line(self, obj: Any, where: str) -> str | None:
        if obj is None:
            return None
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object or null")
        line: str = self.get(obj, "line", where, str)
        return line

    def resource(self, obj: Any, where: str) -> PlanResource:
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object")
        action = self.get(obj, "action", where, str)
        if action not in RESOURCE_ACTIONS:
            raise self.fail(
                f"{where}.action", f"{action!r} is not one of {', '.join(RESOURCE_ACTIONS)}"
            )
        return PlanResource(
            resource_id=self.get(obj, "resource_id", where, str),
            resource_type=str(obj.get("resource_type") or ""),
            control=self.get(obj, "control", where, str),
            action=action,
            reason=str(obj.get("reason") or ""),
            evidence=self.get(obj, "evidence", where, dict, False) or {},
            account_id=str(obj.get("account_id") or ""),
            region=str(obj.get("region") or ""),
            raw=obj,
            findings=tuple(self.get(obj, "findings", where, list, False) or ()),
        )


def parse_plan(document: Any, path: Path) -> Plan:
    reader = _Reader(path)
    if not isinstance(document, dict):
        raise reader.fail("(top)", "expected a JSON object")
    schema = document.get("schema")
    if schema != SCHEMA:
        raise InputError(
            f"{path}: schema: expected {SCHEMA!r}, found {schema!r}",
            hint="this sgharden reads plans written by `sgharden propose --format json`",
        )
    check_plan_document(path, document)  # the one point where a plan meets the schema layer
    window = reader.get(document, "window", "window", dict) if "window" in document else None
    if window is None:
        raise reader.fail("window", "missing")
    groups = reader.get(document, "groups", "(top)", list)
    resources = reader.get(document, "resources", "(top)", list, False) or []
    return Plan(
        path=path,
        generated_at=reader.time(document, "generated_at", "(top)"),
        window_start=reader.time(window, "start", "window"),
        window_end=reader.time(window, "end", "window"),
        settings=reader.get(document, "settings", "(top)", dict, False) or {},
        groups=tuple(reader.group(g, f"groups[{i}]") for i, g in enumerate(groups)),
        resources=tuple(reader.resource(r, f"resources[{i}]") for i, r in enumerate(resources)),
        raw=document,
    )


def load_plan(path: Path | str) -> Plan:
    path = Path(path)
    try:
        document = load_json_strict(path, InputError)
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such plan file", hint="write one with `sgharden propose --format json`"
        ) from None
    return parse_plan(document, path)


def fragment(
    plan: Plan, group: PlanGroup | None = None, resource: PlanResource | None = None
) -> dict[str, Any]:
    """The plan restricted to one group or resource: still a valid plan, so every command reads it."""
    return {
        **{k: v for k, v in plan.raw.items() if k not in ("groups", "resources")},
        "groups": [group.raw] if group is not None else [],
        "resources": [resource.raw] if resource is not None else [],
    }
