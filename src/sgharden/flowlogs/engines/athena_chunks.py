"""Athena's query length limit: the snapshot's interfaces split so no statement passes it.

Athena refuses a query string over 256 KB. A statement names its interfaces (the pruning IN
list, their inventory addresses, their listeners), so a snapshot of a few thousand interfaces
passes the limit. Everything the roll-up decides is per interface (addresses, listeners,
direction, keys, hours), so a run over groups of interfaces gives exactly the roll-up of one run
over all: the interfaces are split into as few groups as keep every statement under the limit.
Interfaces of one account-region are grouped together and a group's statements select only its
own accounts and regions, so a split run reads each partition about as often as one run would
(an account-region whose interfaces span two groups is read by both).
"""

from __future__ import annotations

import math
from dataclasses import replace

from sgharden.errors import InputError
from sgharden.flowlogs.engines.athena_sql import RollupScope, statements

QUERY_LIMIT = 262_144  # bytes: Athena's maximum query string (UTF-8)
_FILL = 0.9  # of the room left: interfaces differ in how many addresses/listeners they bring


def restrict(scope: RollupScope, interfaces: tuple[str, ...]) -> RollupScope:
    """The scope of some of its interfaces, with only their known addresses and listeners, and
    (where the snapshot says where each interface is) only their accounts and regions."""
    keep = set(interfaces)
    places = [(a, r) for i, a, r in scope.places if i in keep]
    located = len({i for i, _, _ in scope.places if i in keep}) == len(keep)
    return replace(
        scope,
        interfaces=interfaces,
        accounts=tuple(sorted({a for a, _ in places})) if located else scope.accounts,
        regions=tuple(sorted({r for _, r in places})) if located else scope.regions,
        places=tuple(p for p in scope.places if p[0] in keep),
        pairs=tuple(sorted(set(places))) if located else scope.pairs,
        known_addresses=tuple(a for a in scope.known_addresses if a[0] in keep),
        known_listeners=tuple(a for a in scope.known_listeners if a[0] in keep),
    )


def _longest(found: dict[str, str]) -> int:
    return max(len(s.encode("utf-8")) for s in found.values())


def _first_split(scope: RollupScope, limit: int) -> list[tuple[str, ...]]:
    """Groups sized from a sample: a statement's bytes grow about linearly with its interfaces."""
    # interfaces of one account-region together: a group's statements read only its partitions
    where = {i: (a, r) for i, a, r in scope.places}
    interfaces = tuple(sorted(scope.interfaces, key=lambda i: (*where.get(i, ("", "")), i)))
    sample = interfaces[:: max(1, len(interfaces) // 200)]  # spread over the whole snapshot
    one = _longest(statements(restrict(scope, sample[:1]), "s3://b/"))
    many = _longest(statements(restrict(scope, sample), "s3://b/"))
    per_interface = max((many - one) / max(len(sample) - 1, 1), 1.0)
    room = (limit - one) * _FILL
    if room < per_interface:
        raise InputError(
            f"an Athena statement for one interface is {one:,} bytes, near Athena's "
            f"{limit:,}-byte query limit",
            hint="the snapshot gives some interfaces very many addresses or listeners",
        )
    size = max(1, int(room // per_interface))
    groups = math.ceil(len(interfaces) / size)
    step = math.ceil(len(interfaces) / groups)
    return [interfaces[i : i + step] for i in range(0, len(interfaces), step)]


def chunked_statements(
    scope: RollupScope, results: str, limit: int = QUERY_LIMIT
) -> dict[str, str]:
    """Part -> statement for every group of interfaces; the first group's parts keep their
    names (`rollup`), later ones are `rollup#2`, ...; each statement is under `limit` bytes."""
    return {name: sql for _, found in chunks(scope, results, limit) for name, sql in found.items()}


def chunks(
    scope: RollupScope, results: str, limit: int = QUERY_LIMIT
) -> list[tuple[RollupScope, dict[str, str]]]:
    """(the group's scope, its named statements) for every group of interfaces."""
    pending = _first_split(scope, limit)
    out: list[tuple[RollupScope, dict[str, str]]] = []
    chunk = 0
    while pending:
        group = pending.pop(0)
        sub = restrict(scope, group)
        found = statements(sub, results, chunk)
        if _longest(found) > limit:
            if len(group) == 1:
                raise InputError(
                    f"the Athena statements for interface {group[0]} alone pass Athena's "
                    f"{limit:,}-byte query limit",
                    hint="the snapshot gives it very many addresses or listeners",
                )
            half = len(group) // 2
            pending[:0] = [group[:half], group[half:]]
            continue
        names = {part if chunk == 0 else f"{part}#{chunk + 1}": sql for part, sql in found.items()}
        out.append((sub, names))
        chunk += 1
    return out


def part_of(name: str) -> str:
    """`rollup` of `rollup#3`."""
    return name.split("#", 1)[0]
