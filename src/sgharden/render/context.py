"""Human context a ticket carries besides the evidence: who owns the group, when it may change,
and who each in-VPC source address is (its ENI, the instance's Name tag, its groups)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sgharden.model import SecurityGroup
from sgharden.snapshot import Snapshot

# Tag keys teams use, compared without case, '-', '_' or spaces; the first one present wins.
OWNER_TAGS = ("owner", "team", "contact", "owneremail", "technicalcontact")
WINDOW_TAGS = ("changewindow", "maintenancewindow", "patchwindow", "window")


def _norm(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch.isalnum())


@dataclass(frozen=True)
class TicketFields:
    owner: str | None
    owner_tag: str | None
    change_window: str | None
    window_tag: str | None


def _tag(tags: tuple[tuple[str, str], ...], wanted: tuple[str, ...]) -> tuple[str, str] | None:
    by_norm = {_norm(k): (k, v) for k, v in tags if v.strip()}
    for name in wanted:
        if name in by_norm:
            return by_norm[name]
    return None


def ticket_fields(group: SecurityGroup | None) -> TicketFields:
    tags = group.tags if group else ()
    owner = _tag(tags, OWNER_TAGS)
    window = _tag(tags, WINDOW_TAGS)
    return TicketFields(
        owner[1] if owner else None,
        owner[0] if owner else None,
        window[1] if window else None,
        window[0] if window else None,
    )


def source_names(snapshot: Snapshot | None) -> dict[str, str]:
    """address -> "eni-… (instance i-… Name, sg-…, sg-…)" for every address of the snapshot's
    ENIs, so a reviewer reads who 10.0.2.11 is instead of looking it up."""
    if snapshot is None:
        return {}
    names: dict[str, str] = {}
    for inv in snapshot.inventories.values():
        for eni in inv.interfaces.values():
            what = []
            if eni.instance_id:
                inst = inv.instances.get(eni.instance_id)
                label = eni.instance_id + (f" {inst.name}" if inst and inst.name else "")
                what.append(label)
            elif eni.description:
                what.append(eni.description)
            what.extend(eni.group_ids)
            label = f"{eni.interface_id} ({', '.join(what)})" if what else eni.interface_id
            for address in (*eni.addresses, *([eni.public_ip] if eni.public_ip else [])):
                names.setdefault(canonical(address), label)
    return names


def canonical(address: str) -> str:
    """One spelling per address (IPv6 has many), so snapshot and flow-log addresses meet."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def name_of(names: dict[str, str], address: str) -> str:
    return names.get(canonical(address), "")
