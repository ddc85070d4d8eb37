"""Which security group rules let a connection in.

A rule allows an inbound connection when its protocol and port range cover the connection's
service port and its peer covers the remote address:
- CidrIpv4 / CidrIpv6: the address is inside the block (same family);
- ReferencedGroupId: the address is a private (or IPv6) address of an ENI in the inventory that
  carries the referenced group — as in EC2, a reference never matches traffic from a public IP;
- PrefixListId: the address is inside one of the prefix list's CIDRs (inventory.prefix_lists).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sgharden.analysis.connections import Connection, hex_range, hex_span
from sgharden.model import Interface, Inventory, Rule, port_allowed

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=1 << 20)
def parse_address(text: str) -> IpAddress:
    return ipaddress.ip_address(text)


@lru_cache(maxsize=4096)
def parse_network(text: str) -> IpNetwork:
    return ipaddress.ip_network(text, strict=False)


class AddressBook:
    """The inventory's ENI addresses by security group, built once per inventory."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.groups_of_address: dict[str, set[str]] = {}
        self.interfaces_of_address: dict[str, list[Interface]] = {}
        self.members: dict[str, list[Interface]] = {}
        for eni in inventory.interfaces.values():
            for group_id in eni.group_ids:
                self.members.setdefault(group_id, []).append(eni)
            for addr in eni.addresses:
                key = str(parse_address(addr))
                self.groups_of_address.setdefault(key, set()).update(eni.group_ids)
                self.interfaces_of_address.setdefault(key, []).append(eni)

    def carries(self, address: str, group_id: str) -> bool:
        return group_id in self.groups_of_address.get(str(parse_address(address)), ())

    def member_addresses(self, group_id: str) -> list[str]:
        return [a for eni in self.members.get(group_id, []) for a in eni.addresses]


# One book per inventory object; the inventory is frozen, so its book never goes stale.
_BOOKS: dict[int, AddressBook] = {}


def address_book(inventory: Inventory) -> AddressBook:
    book = _BOOKS.get(id(inventory))
    if book is None or book.inventory is not inventory:
        if len(_BOOKS) > 64:
            _BOOKS.clear()
        book = AddressBook(inventory)
        _BOOKS[id(inventory)] = book
    return book


@lru_cache(maxsize=1 << 20)
def address_key(text: str) -> tuple[int, int]:
    """(family, integer value) of an address, cached: the matcher's hot path."""
    addr = parse_address(text)
    return addr.version, int(addr)


def forget_inventories() -> None:
    """Drop what the caches hold of the inventories matched so far (address books, compiled
    rules, parsed addresses): a caller that plans one part of a snapshot after another would
    otherwise keep every part's ENIs and rules alive until the end of the run."""
    _BOOKS.clear()
    _compile.cache_clear()
    address_key.cache_clear()
    parse_address.cache_clear()


def _span(cidr: str) -> tuple[int, int, int]:
    net = parse_network(cidr)
    return net.version, int(net.network_address), int(net.broadcast_address)


@dataclass(frozen=True)
class CompiledRule:
    """A rule reduced to integers, so matching millions of connections stays cheap."""

    rule: Rule
    protocol: int
    lo: int
    hi: int
    any_port: bool  # all-protocol and ICMP rules: ports do not apply
    spans: tuple[tuple[int, int, int], ...]  # CIDR / prefix list: (family, first, last)
    group_id: str | None  # referenced group
    world_family: int | None = None  # 0.0.0.0/0 -> 4, ::/0 -> 6: the family decides alone

    def allows_port(self, protocol: int, port: int | None) -> bool:
        return port_allowed(self.protocol, self.any_port, self.lo, self.hi, protocol, port)

    def covers(self, address: str, inventory: Inventory) -> bool:
        if self.group_id is not None:
            return address_book(inventory).carries(address, self.group_id)
        family, value = address_key(address)
        return any(f == family and lo <= value <= hi for f, lo, hi in self.spans)


@lru_cache(maxsize=65536)
def _compile(rule: Rule, prefix_lists: tuple[str, ...]) -> CompiledRule:
    lo, hi = rule.port_range()
    spans: tuple[tuple[int, int, int], ...] = ()
    if rule.cidr_ipv4 is not None or rule.cidr_ipv6 is not None:
        spans = (_span(rule.peer),)
    elif rule.prefix_list_id is not None:
        spans = tuple(_span(c) for c in prefix_lists)
    world = parse_network(rule.peer).version if rule.is_world_open else None
    return CompiledRule(
        rule,
        rule.protocol,
        lo,
        hi,
        rule.any_port,
        spans,
        rule.referenced_group_id,
        world,
    )


def compile_rule(rule: Rule, inventory: Inventory) -> CompiledRule:
    pl = inventory.prefix_lists.get(rule.prefix_list_id or "")
    # an unknown prefix list has no CIDRs: it covers nothing we can show
    return _compile(rule, pl.cidrs if pl else ())


def peer_ranges(rule: Rule, inventory: Inventory) -> list[dict[str, Any]]:
    """The address ranges a rule's peer covers (CIDR, prefix list, the referenced group's member
    addresses), as the SQL takes them ($ranges): the same spans the Python matcher compares."""
    compiled = compile_rule(rule, inventory)
    if compiled.group_id is not None:
        members = address_book(inventory).members.get(compiled.group_id, [])
        return [hex_range(a) for eni in members for a in eni.addresses]
    return [hex_span(f, lo, hi) for f, lo, hi in compiled.spans]


def peer_covers(rule: Rule, address: str, inventory: Inventory) -> bool:
    """Whether the rule's peer (CIDR, referenced group, prefix list) covers the address."""
    return compile_rule(rule, inventory).covers(address, inventory)


def rule_allows(
    rule: Rule, protocol: int, port: int | None, address: str, inventory: Inventory
) -> bool:
    """Whether one ingress rule lets (protocol, port) in from `address`."""
    if rule.is_egress:
        return False
    compiled = compile_rule(rule, inventory)
    return compiled.allows_port(protocol, port) and compiled.covers(address, inventory)


def allowing_rules(
    rules: Iterable[Rule], connection: Connection, interface: Interface, inventory: Inventory
) -> list[Rule]:
    """The ingress rules among `rules` that let `connection` into `interface`."""
    if connection.interface_id != interface.interface_id:
        raise ValueError(
            f"connection on {connection.interface_id} matched against {interface.interface_id}"
        )
    return [
        r
        for r in rules
        if rule_allows(
            r, connection.protocol, connection.service_port, connection.remote_addr, inventory
        )
    ]


def rules_allow(
    rules: Iterable[Rule], connection: Connection, interface: Interface, inventory: Inventory
) -> bool:
    """Whether any ingress rule among `rules` lets `connection` into `interface`."""
    return bool(allowing_rules(rules, connection, interface, inventory))


def interface_rules(interface: Interface, inventory: Inventory) -> list[Rule]:
    """The ingress rules of all the interface's groups (the union EC2 evaluates)."""
    out: list[Rule] = []
    for group_id in interface.group_ids:
        group = inventory.security_groups.get(group_id)
        if group is not None:
            out.extend(group.ingress)
    return out
