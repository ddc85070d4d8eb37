"""The planner's settings (every threshold a decision depends on) and the port facts they name:
which ports are high-risk, which are public services, what to do instead of a world-open rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from sgharden.analysis.connections import INTERNAL_NETWORKS, Thresholds
from sgharden.analysis.matching import parse_address


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


# EC2.19's high-risk ports (not customizable) with EC2.13/14/53/54's 22 and 3389: never kept
# world-open, however many sources were counted, unless the user declares the port public.
HIGH_RISK_PORTS = frozenset(
    (20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432,
     5500, 5601, 8080, 8088, 8888, 9200, 9300)
)  # fmt: skip
ADMIN_PORTS = frozenset((22, 3389))
DATABASE_PORTS = frozenset((1433, 1434, 3306, 5432, 5500, 9200, 9300, 6379, 27017))


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
