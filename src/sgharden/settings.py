"""Planner settings from `sgharden.toml` (the file accepted risks live in, docs/workflow.md):

    [planner]
    public_ports = [443, "tcp/8443", "udp/53"]   # declared public services ([tcp|udp/]PORT)
    burst_min_sessions = 5                       # any classifier threshold (Thresholds)

A declared public port keeps its world-open rule when it is really used, as `--public-port`
does (the two are merged). The classifier's thresholds (`analysis.connections.Thresholds`,
docs/planner.md "Classifying sources") take the same names here; the plan's `settings` record
the values used. Read and validated here, at the edge: an unknown key or a bad port is
one `InputError` naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sgharden.analysis.connections import Thresholds
from sgharden.errors import InputError
from sgharden.schema.toml_file import read_toml

SECTION = "planner"
THRESHOLDS = {f.name: f.type for f in fields(Thresholds)}
KEYS = ("public_ports", *THRESHOLDS)


@dataclass(frozen=True)
class PlannerSettings:
    public_ports: tuple[str, ...] = ()  # as --public-port takes them
    thresholds: Thresholds = field(default_factory=Thresholds)


def _fail(path: Path, where: str, what: str) -> InputError:
    return InputError(f"{path}: {where}: {what}", hint="see [planner] in docs/planner.md")


def load_planner_settings(path: Path | str) -> PlannerSettings:
    """The `[planner]` table of the file (none: the defaults)."""
    from sgharden.analysis.options import parse_public_ports

    path = Path(path)
    table = read_toml(path).get(SECTION, {})
    if not isinstance(table, dict):
        raise _fail(path, SECTION, "expected a table ([planner])")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise _fail(path, f"{SECTION}.{unknown[0]}", f"unknown key (known: {', '.join(KEYS)})")
    ports = table.get("public_ports", [])
    if not isinstance(ports, list):
        raise _fail(path, f"{SECTION}.public_ports", 'expected a list like [443, "udp/53"]')
    out = []
    for i, value in enumerate(ports):
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str):
            raise _fail(path, f"{SECTION}.public_ports[{i}]", f"expected a port, found {value!r}")
        try:
            parse_public_ports([text])
        except ValueError as exc:
            raise _fail(path, f"{SECTION}.public_ports[{i}]", str(exc)) from None
        out.append(text)
    chosen: dict[str, Any] = {}
    for name in sorted(set(table) & set(THRESHOLDS)):
        value = table[name]
        want_bool = THRESHOLDS[name] in (bool, "bool")
        ok = isinstance(value, bool) if want_bool else _count(value)
        if not ok:
            kind = "true or false" if want_bool else "a whole number of 0 or more"
            raise _fail(path, f"{SECTION}.{name}", f"expected {kind}, found {value!r}")
        chosen[name] = value
    return PlannerSettings(tuple(out), replace(Thresholds(), **chosen))


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
