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
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sgharden.errors import InputError
from sgharden.findings import IN_SCOPE_CONTROLS
from sgharden.model import Finding

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
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(document) - {"accepted"})
    if unknown:
        raise _fail(path, unknown[0], "unknown top-level key (only [[accepted]] tables)")
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


def split_by_expiry(acceptances: Iterable[Acceptance], today: date) -> AcceptanceState:
    items = tuple(acceptances)
    return AcceptanceState(
        tuple(a for a in items if not a.expired(today)), tuple(a for a in items if a.expired(today))
    )
