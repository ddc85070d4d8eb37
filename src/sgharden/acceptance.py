"""Accepted risks: `sgharden.toml`, read and validated at the edge into frozen `Acceptance` records.

Schema (docs/workflow.md), one `[[accepted]]` table per entry:

    [[accepted]]
    id = "bastion-ssh"                 # unique, quoted in notes and reports
    match = "group"                    # group | rule | resource | control
    account = "111122223333"           # required for `control`; narrows the others
    region = "eu-west-1"               # optional
    group = "sg-0123456789abcdef0"     # match = group (and rule by protocol/port/peer)
    rule = "sgr-0123456789abcdef0"     # match = rule: a rule id, or protocol + port + peer
    protocol = "tcp"; port = 22; peer = "0.0.0.0/0"
    resource = "i-0123456789abcdef0"   # match = resource: an instance id or DB identifier
    control = "EC2.19"                 # match = control (in `account`)
    reason = "..."; owner = "..."; approver = "..."; ticket = "SEC-123"
    expires = 2027-03-31               # a TOML date; expired entries are warnings, not acceptances

Unknown keys, missing or mistyped fields are an `InputError` naming the file, the entry and the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sgharden.errors import InputError
from sgharden.findings import IN_SCOPE_CONTROLS
from sgharden.model import Finding
from sgharden.schema.toml_file import read_toml

MATCHES = ("group", "rule", "resource", "control")
REQUIRED = ("id", "match", "reason", "owner", "approver", "expires", "ticket")
OPTIONAL = ("account", "region", "group", "rule", "resource", "control", "protocol", "port", "peer")
_ACCOUNT = re.compile(r"^\d{12}$")
_GROUP = re.compile(r"^sg-[0-9a-f]{8,17}$")
_RULE = re.compile(r"^sgr-[0-9a-f]{8,17}$")


@dataclass(frozen=True)
class Acceptance:
    id: str
    match: str
    reason: str
    owner: str
    approver: str
    expires: date
    ticket: str
    account: str | None = None
    region: str | None = None
    group: str | None = None
    rule: str | None = None
    resource: str | None = None
    control: str | None = None
    protocol: str | None = None
    port: int | None = None
    peer: str | None = None

    def expired(self, today: date) -> bool:
        return self.expires < today

    def record(self) -> dict[str, Any]:
        """The entry as it is quoted in the plan, triage, tickets and Security Hub notes."""
        out = {k: v for k, v in self.__dict__.items() if v is not None}
        out["expires"] = self.expires.isoformat()
        return out

    def covers_finding(self, finding: Finding) -> bool:
        """Whether the entry accepts the finding as a whole (a rule entry accepts one rule of a
        group, not the group's findings)."""
        if self.account and finding.account_id != self.account:
            return False
        if self.region and finding.region != self.region:
            return False
        if self.match == "group":
            return finding.resource_id == self.group
        if self.match == "resource":
            return finding.resource_id == self.resource
        if self.match == "control":
            return finding.control == self.control
        return False


def _fail(path: Path, where: str, what: str) -> InputError:
    return InputError(f"{path}: {where}: {what}", hint="see the schema in docs/workflow.md")


def _text(path: Path, where: str, entry: dict[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"{where}.{key}", f"expected non-empty text, found {value!r}")
    return value


def parse_entry(path: Path, index: int, entry: Any) -> Acceptance:
    where = f"accepted[{index}]"
    if not isinstance(entry, dict):
        raise _fail(path, where, "expected a table ([[accepted]])")
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise _fail(path, f"{where}.{unknown[0]}", "unknown key")
    for key in REQUIRED:
        if key not in entry:
            raise _fail(path, f"{where}.{key}", "missing")
    texts = {k: _text(path, where, entry, k) for k in REQUIRED if k != "expires"}
    texts.update({k: _text(path, where, entry, k) for k in OPTIONAL if k in entry and k != "port"})
    where = f"accepted[{index}] ({texts['id']})"
    expires = entry["expires"]
    if not isinstance(expires, date):
        raise _fail(
            path, f"{where}.expires", f"expected a TOML date like 2027-03-31, found {expires!r}"
        )
    match = texts["match"]
    if match not in MATCHES:
        raise _fail(
            path, f"{where}.match", f"expected one of {', '.join(MATCHES)}, found {match!r}"
        )
    port = entry.get("port")
    if port is not None and (
        not isinstance(port, int) or isinstance(port, bool) or not -1 <= port <= 65535
    ):
        raise _fail(path, f"{where}.port", f"expected a port number, found {port!r}")
    if "account" in texts and not _ACCOUNT.match(texts["account"]):
        raise _fail(
            path, f"{where}.account", f"expected a 12-digit account id, found {texts['account']!r}"
        )
    needs = {"group": ("group",), "resource": ("resource",), "control": ("control", "account")}
    for key in needs.get(match, ()):
        if key not in texts:
            raise _fail(path, f"{where}.{key}", f"missing (match = {match!r} needs it)")
    if match == "rule" and "rule" not in texts and not {"group", "protocol", "peer"} <= set(texts):
        raise _fail(
            path, f"{where}.rule", "missing: give a rule id, or group + protocol + port + peer"
        )
    if "group" in texts and not _GROUP.match(texts["group"]):
        raise _fail(path, f"{where}.group", f"not a security group id: {texts['group']!r}")
    if "rule" in texts and not _RULE.match(texts["rule"]):
        raise _fail(path, f"{where}.rule", f"not a security group rule id: {texts['rule']!r}")
    if "control" in texts and texts["control"] not in IN_SCOPE_CONTROLS:
        raise _fail(
            path, f"{where}.control", f"not a control sgharden acts on: {texts['control']!r}"
        )
    return Acceptance(
        id=texts["id"],
        match=match,
        reason=texts["reason"],
        owner=texts["owner"],
        approver=texts["approver"],
        expires=expires if not hasattr(expires, "date") else expires.date(),
        ticket=texts["ticket"],
        **{k: texts.get(k) for k in OPTIONAL if k != "port"},
        port=port,
    )


def load_acceptances(path: Path | str) -> tuple[Acceptance, ...]:
    path = Path(path)
    document = read_toml(path)
    unknown = sorted(set(document) - {"accepted", "planner"})  # [planner]: sgharden.settings
    if unknown:
        raise _fail(path, unknown[0], "unknown top-level key (only [[accepted]] and [planner])")
    entries = document.get("accepted", [])
    if not isinstance(entries, list):
        raise _fail(path, "accepted", "expected [[accepted]] tables")
    parsed = tuple(parse_entry(path, i, e) for i, e in enumerate(entries))
    seen: set[str] = set()
    for a in parsed:
        if a.id in seen:
            raise _fail(path, f"accepted ({a.id})", "the same id twice")
        seen.add(a.id)
    return parsed


@dataclass(frozen=True)
class AcceptanceState:
    in_force: tuple[Acceptance, ...]
    expired: tuple[Acceptance, ...]

    def warnings(self) -> list[str]:
        return [
            f"accepted risk {a.id} expired on {a.expires.isoformat()} (owner {a.owner}, "
            f"{a.ticket}): judged normally again"
            for a in self.expired
        ]

    def accepted_findings(self, findings: Iterable[Finding]) -> dict[str, dict[str, Any]]:
        """finding id -> the record of the first entry in force that accepts it as a whole."""
        out: dict[str, dict[str, Any]] = {}
        for f in findings:
            for a in self.in_force:
                if a.covers_finding(f):
                    out[f.finding_id] = a.record()
                    break
        return out


DEFAULT_PATH = Path("sgharden.toml")


def acceptances_for(path: Path | None, today: date) -> AcceptanceState:
    """The entries of `path` split by expiry on `today`; without a path, those of ./sgharden.toml
    when it exists (the one default every command that reads accepted risks uses), else none."""
    if path is None and DEFAULT_PATH.is_file():
        path = DEFAULT_PATH
    return split_by_expiry(load_acceptances(path) if path else (), today)


def split_by_expiry(acceptances: Iterable[Acceptance], today: date) -> AcceptanceState:
    items = tuple(acceptances)
    return AcceptanceState(
        tuple(a for a in items if not a.expired(today)), tuple(a for a in items if a.expired(today))
    )


_PEER_KEYS = ("CidrIpv4", "CidrIpv6", "ReferencedGroupId", "PrefixListId")


def _rule_matches(entry: Acceptance, rule: dict[str, Any], group_id: str) -> bool:
    if entry.match == "group":
        return entry.group == group_id
    if entry.match != "rule":
        return False
    if entry.group and entry.group != group_id:
        return False
    if entry.rule:
        return rule.get("SecurityGroupRuleId") == entry.rule
    if str(rule.get("IpProtocol")) != entry.protocol:
        return False
    low, high = int(rule.get("FromPort", -1)), int(rule.get("ToPort", -1))
    if entry.port is not None and low != -1 and not low <= entry.port <= high:
        return False
    return any(rule.get(k) == entry.peer for k in _PEER_KEYS)


def _in_place(entry: Acceptance, account: str, region: str) -> bool:
    return (not entry.account or entry.account == account) and (
        not entry.region or entry.region == region
    )


def _accepted_rule(entry: Acceptance, rule: dict[str, Any]) -> dict[str, Any]:
    ev = rule.get("evidence") or {}
    still = (
        f"still admits {ev.get('source_count', 0)} real source(s) and "
        f"{(ev.get('probes') or {}).get('source_count', 0)} scanner source(s)"
    )
    return {
        **rule,
        "decision": "accepted-risk",
        "reason": f"accepted risk {entry.id} ({entry.reason}); {still}; was: {rule.get('reason')}",
        "accepted_risk": entry.record(),
    }


def _replaces(accepted: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether an authorize rule was the narrowed replacement of an accepted (kept) rule."""
    if accepted.get("IsEgress") != new.get("IsEgress"):
        return False
    proto = str(accepted.get("IpProtocol"))
    if proto != "-1" and proto != str(new.get("IpProtocol")):
        return False
    low, high = int(accepted.get("FromPort", -1)), int(accepted.get("ToPort", -1))
    if proto == "-1" or low == -1:
        return True
    return low <= int(new.get("FromPort", -1)) and int(new.get("ToPort", -1)) <= high


def apply_to_plan(plan: dict[str, Any], state: AcceptanceState) -> dict[str, Any]:
    """The plan with the entries in force applied: a matched rule is kept as `accepted-risk`
    (with the entry and what it still admits) instead of revoked, and the rules that were to
    replace it are dropped; a matched resource's action becomes `accepted-risk`. Pure: a new dict.
    """
    groups = []
    for group in plan.get("groups", []):
        gid, account, region = (
            str(group["group_id"]),
            str(group["account_id"]),
            str(group["region"]),
        )
        entries = [a for a in state.in_force if _in_place(a, account, region)]
        revoke, kept = [], list(group.get("keep", []))
        accepted_now = []
        for rule in group.get("revoke", []):
            entry = next((a for a in entries if _rule_matches(a, rule, gid)), None)
            if entry is None:
                revoke.append(rule)
            else:
                accepted_now.append(_accepted_rule(entry, rule))
        if not accepted_now:
            groups.append(group)
            continue
        authorize = [
            r for r in group.get("authorize", []) if not any(_replaces(a, r) for a in accepted_now)
        ]
        groups.append(
            {**group, "revoke": revoke, "authorize": authorize, "keep": kept + accepted_now}
        )
    resources = []
    for resource in plan.get("resources", []):
        entry = next(
            (
                a
                for a in state.in_force
                if a.match == "resource"
                and a.resource == resource.get("resource_id")
                and _in_place(a, str(resource["account_id"]), str(resource["region"]))
            ),
            None,
        )
        if entry is None or resource.get("action") not in (
            "remove-public-ip",
            "disable-public-access",
        ):
            resources.append(resource)
            continue
        resources.append(
            {
                **resource,
                "action": "accepted-risk",
                "reason": f"accepted risk {entry.id} ({entry.reason}); was: {resource.get('action')}: "
                f"{resource.get('reason')}",
                "accepted_risk": entry.record(),
            }
        )
    return {**plan, "groups": groups, "resources": resources}
