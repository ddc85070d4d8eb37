"""A labelled traffic corpus: real use and probes, written as AWS writes flow logs.

    python tests/corpus/generate.py OUT [--format v2|v5|parquet]

Deterministic (one seed). Every behaviour of issue 9 is generated from what real traffic shows
(../shared/TRAFFIC_FACTS.md), and every source address carries its ground-truth label: `build()`
returns the records and `labels` (remote address -> behaviour, "real" or "probe" family).
`write(out, fmt)` writes a snapshot (groups, ENIs, flow logs, findings) with its flow-log object:

- `v2`: the default format (no tcp-flags, no flow-direction), text;
- `v5`: custom v5 with tcp-flags and flow-direction, text;
- `parquet`: the same v5 fields as Parquet columns.

How records are made (what AWS does): each direction of a connection is its own record on each
logged ENI it touches; a connection longer than the ENI's aggregation interval (60 s or 600 s)
is one record per direction per interval, bytes spread over them, SYN only in the first, FIN or
RST only in the last (flagless middles: connection pools). A rejected packet is one REJECT record
on the target and nothing else.
"""

from __future__ import annotations

import io
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
REGION = "eu-west-1"
VPC = "vpc-0c000000"
VPC_CIDR = "10.20.0.0/16"
T0 = 1790812800  # 2026-10-01T00:00:00Z
DAYS = 15
SEED = 9

V2 = [
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
]  # fmt: skip
V5 = [*V2, "tcp-flags", "flow-direction"]


@dataclass(frozen=True)
class Host:
    name: str
    eni: str
    ip: str
    groups: tuple[str, ...]
    interval: int  # the flow log's aggregation interval, seconds
    ipv6: str | None = None


HOSTS = {
    h.name: h
    for h in (
        Host("bastion", "eni-0c000000000000001", "10.20.1.10", ("sg-0c0000000000000b1",), 60),
        Host("win", "eni-0c000000000000002", "10.20.1.30", ("sg-0c0000000000000b2",), 60),
        Host("app", "eni-0c000000000000003", "10.20.2.10", ("sg-0c0000000000000b3",), 600),
        Host("db", "eni-0c000000000000004", "10.20.3.10", ("sg-0c0000000000000b4",), 600),
        Host("cache", "eni-0c000000000000005", "10.20.3.20", ("sg-0c0000000000000b5",), 600),
        Host("logs", "eni-0c000000000000006", "10.20.3.30", ("sg-0c0000000000000b6",), 600),
        Host("batch", "eni-0c000000000000007", "10.20.4.10", ("sg-0c0000000000000b7",), 600),
        Host(
            "web",
            "eni-0c000000000000008",
            "10.20.1.20",
            ("sg-0c0000000000000b8",),
            600,
            "2a05:d018:9:e301::20",
        ),
        Host("quiet", "eni-0c000000000000009", "10.20.4.20", ("sg-0c0000000000000b9",), 600),
    )
}
BY_IP = {a: h for h in HOSTS.values() for a in (h.ip, h.ipv6) if a}

# (group, name, ingress [(protocol, from, to, cidr)], finding controls)
GROUPS = [
    ("sg-0c0000000000000b1", "bastion", [("tcp", 22, 22, "0.0.0.0/0")], ["EC2.13", "EC2.19"]),
    ("sg-0c0000000000000b2", "rdp", [("tcp", 3389, 3389, "0.0.0.0/0")], ["EC2.14", "EC2.19"]),
    ("sg-0c0000000000000b3", "app", [("tcp", 8000, 8999, "0.0.0.0/0")], ["EC2.19"]),
    ("sg-0c0000000000000b4", "db", [("tcp", 5432, 5432, "0.0.0.0/0")], ["EC2.19"]),
    ("sg-0c0000000000000b5", "cache", [("tcp", 6379, 6379, "0.0.0.0/0")], ["EC2.18"]),
    (
        "sg-0c0000000000000b6",
        "logs",
        [
            ("udp", 514, 514, "0.0.0.0/0"),
            ("udp", 53, 53, "0.0.0.0/0"),
            ("udp", 123, 123, "0.0.0.0/0"),
        ],
        ["EC2.18"],
    ),
    ("sg-0c0000000000000b7", "batch", [("tcp", 22, 22, "0.0.0.0/0")], ["EC2.13", "EC2.19"]),
    (
        "sg-0c0000000000000b8",
        "web",
        [
            ("tcp", 80, 80, "0.0.0.0/0"),
            ("tcp", 443, 443, "0.0.0.0/0"),
            ("tcp", 443, 443, "::/0"),
            ("icmp", -1, -1, "0.0.0.0/0"),
        ],
        ["EC2.18"],
    ),
    ("sg-0c0000000000000b9", "quiet", [("tcp", 22, 22, "0.0.0.0/0")], ["EC2.13", "EC2.19"]),
]
OPEN = {
    (g, proto, p)
    for g, _, rules, _ in GROUPS
    for proto, lo, hi, _ in rules
    for p in ([lo] if lo == hi else range(lo, hi + 1))
}
PROTO = {"tcp": 6, "udp": 17, "icmp": 1}

REAL_FAMILIES = (
    "ssh-admin-office", "ssh-vendor-weekly", "rdp-admin-office", "db-pool", "vpn-db-clients",
    "lb-health-check", "monitoring-scrape", "weekly-job", "syslog-udp", "dns-ntp", "icmp-monitor",
    "web-client-v4", "web-client-v6",
)  # fmt: skip
PROBE_FAMILIES = (
    "syn-scan", "connect-scan", "banner-grab", "http-probe", "tls-probe", "rdp-probe",
    "postgres-probe", "redis-probe", "ssh-brute-force", "rdp-brute-force", "db-brute-force",
    "udp-probe", "recurring-sweeper",
)  # fmt: skip


@dataclass
class Record:
    eni: str
    src: str
    dst: str
    sport: int | None
    dport: int | None
    protocol: int
    packets: int
    nbytes: int
    start: int
    end: int
    action: str
    flags: int | None
    direction: str  # ingress | egress


class Corpus:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.records: list[Record] = []
        self.labels: dict[str, str] = {}
        self.used: set[str] = set()

    # ------------------------------------------------------------------ addresses
    def internet_v4(self) -> str:
        while True:
            a = f"{self.rng.choice([45, 61, 80, 91, 103, 141, 185, 194, 212])}.{self.rng.randrange(256)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
            if a not in self.used:
                self.used.add(a)
                return a

    def internet_v6(self) -> str:
        a = f"2a0{self.rng.randrange(1, 9)}:{self.rng.randrange(0x10000):x}:{self.rng.randrange(0x10000):x}::{self.rng.randrange(1, 0xFFFF):x}"
        self.used.add(a)
        return a

    def label(self, addr: str, family: str) -> None:
        self.labels.setdefault(addr, family)

    def eph(self) -> int:
        return self.rng.randrange(32768, 61000)

    # ------------------------------------------------------------------ records
    def connection(
        self,
        client: str,
        server: str,
        port: int,
        t: float,
        duration: float,
        c_bytes: int,
        c_pkts: int,
        s_bytes: int,
        s_pkts: int,
        *,
        protocol: int = 6,
        close: str = "fin",
        sport: int | None = None,
    ) -> None:
        """One connection, recorded on every logged ENI it touches, per aggregation interval."""
        cport = sport if sport is not None else self.eph()
        if protocol == 1:
            cport, port = 0, 0  # ICMP: no ports (flow logs write type/code as 0 here)
        for host, local_is_server in ((BY_IP.get(server), True), (BY_IP.get(client), False)):
            if host is None:
                continue
            start, end = int(t), int(t + max(duration, 1))
            cuts = list(range(start - start % host.interval, end + 1, host.interval))
            spans = [(max(c, start), min(c + host.interval, end)) for c in cuts]
            spans = [(a, b) for a, b in spans if b > a] or [(start, start + 1)]
            total = sum(b - a for a, b in spans)
            for i, (a, b) in enumerate(spans):
                share = (b - a) / total
                first, last = i == 0, i == len(spans) - 1
                for sender, n_bytes, n_pkts in (
                    (client, c_bytes, c_pkts),
                    (server, s_bytes, s_pkts),
                ):
                    if n_pkts == 0:
                        continue
                    pk = max(1, round(n_pkts * share))
                    by = max(pk * 40, round(n_bytes * share))
                    flags: int | None = None
                    if protocol == 6:
                        flags = 0
                        if first:
                            flags |= 2 if sender == client else 18
                        if last and close == "fin":
                            flags |= 1
                        if last and close == "rst" and sender == client:
                            flags |= 4
                    rx = (sender == client) == local_is_server
                    self.records.append(
                        Record(
                            host.eni,
                            sender,
                            server if sender == client else client,
                            (cport if sender == client else port) if protocol != 1 else 0,
                            (port if sender == client else cport) if protocol != 1 else 0,
                            protocol,
                            pk,
                            by,
                            a,
                            b,
                            "ACCEPT",
                            flags,
                            "ingress" if rx else "egress",
                        )
                    )

    def reject(self, client: str, server: str, port: int, t: float, protocol: int = 6) -> None:
        host = BY_IP[server]
        size = 60 if ":" in client else 40
        self.records.append(
            Record(
                host.eni, client, server, self.eph(), port, protocol, 1, size,
                int(t), int(t) + 1, "REJECT", 2 if protocol == 6 else None, "ingress",
            )
        )  # fmt: skip

    def attempt(self, client: str, host: Host, port: int, t: float, protocol: int = 6) -> bool:
        """True when the target's groups let (protocol, port) in; else one REJECT record."""
        if any(
            (g, protocol, port) in {(o[0], PROTO.get(o[1], 0), o[2]) for o in OPEN}
            for g in host.groups
        ):
            return True
        self.reject(client, host.ip, port, t, protocol)
        return False

    def t(self, day: int, lo_h: float = 0, hi_h: float = 24) -> float:
        return T0 + day * 86400 + self.rng.uniform(lo_h * 3600, hi_h * 3600)

    def logn(self, median: float, sigma: float, lo: float, hi: float) -> int:
        return int(min(hi, max(lo, self.rng.lognormvariate(0, sigma) * median)))


def _open_ports() -> set[tuple[str, int, int]]:
    return {(g, PROTO[p], port) for g, p, port in OPEN}


OPEN_SET = _open_ports()


def allowed(host: Host, protocol: int, port: int) -> bool:
    return any((g, protocol, port) in OPEN_SET for g in host.groups)


def build(seed: int = SEED) -> Corpus:
    c = Corpus(seed)
    H = HOSTS
    workdays = [d for d in range(DAYS) if (d + 3) % 7 < 5]  # 2026-10-01 is a Thursday

    # ---------------------------------------------------------------- real use
    office = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]
    for a in office:
        c.label(a, "ssh-admin-office")
        for d in workdays:
            if c.rng.random() < 0.7:
                for _ in range(c.rng.randint(1, 3)):
                    dur = c.rng.uniform(300, 5400)
                    c.connection(a, H["bastion"].ip, 22, c.t(d, 8, 17), dur,
                                 c.logn(60_000, 1.2, 8_000, 5_000_000), int(dur / 4) + 30,
                                 c.logn(400_000, 1.3, 20_000, 50_000_000), int(dur / 3) + 40)  # fmt: skip
    vendor = "198.51.100.77"
    c.label(vendor, "ssh-vendor-weekly")
    for d in (2, 9):
        dur = c.rng.uniform(1200, 3600)
        c.connection(vendor, H["bastion"].ip, 22, c.t(d, 14, 15), dur, 90_000, 900, 700_000, 1200)
    for a in ("203.0.113.20", "203.0.113.21"):  # the Windows team, behind a second NAT
        c.label(a, "rdp-admin-office")
        for d in workdays:
            if c.rng.random() < 0.5:
                dur = c.rng.uniform(600, 7200)
                c.connection(a, H["win"].ip, 3389, c.t(d, 8, 16), dur,
                             c.logn(300_000, 1.0, 40_000, 9_000_000), int(dur),
                             c.logn(6_000_000, 1.0, 500_000, 90_000_000), int(dur * 2))  # fmt: skip
    # connection pool: app -> db, long-lived (reopened every 6 h), flagless middle intervals
    c.label(H["app"].ip, "db-pool")
    for d in range(DAYS):
        for k in range(4):
            for _ in range(1):
                t0 = T0 + d * 86400 + k * 21600 + c.rng.uniform(0, 30)
                c.connection(H["app"].ip, H["db"].ip, 5432, t0, 21500,
                             c.logn(2_000_000, 0.5, 200_000, 9e6), 4000,
                             c.logn(8_000_000, 0.5, 500_000, 4e7), 5000)  # fmt: skip
    vpn = [f"192.168.50.{i}" for i in (10, 11, 12, 13)]
    for a in vpn:
        c.label(a, "vpn-db-clients")
        for d in workdays:
            for _ in range(c.rng.randint(0, 4)):
                c.connection(a, H["db"].ip, 5432, c.t(d, 7, 19), c.rng.uniform(1, 600),
                             c.logn(3_000, 1.0, 600, 200_000), 12,
                             c.logn(40_000, 1.5, 300, 5_000_000), 30)  # fmt: skip
    # NLB TCP health checks: handshake only, from in-VPC node addresses, every 60 s per node
    for a in ("10.20.0.5", "10.20.0.6"):
        c.label(a, "lb-health-check")
        step = 60  # HealthCheckIntervalSeconds (5-300); 60 keeps the corpus small
        for s in range(0, DAYS * 86400, step):
            c.connection(a, H["app"].ip, 8080, T0 + s + c.rng.uniform(0, 2), 0.01, 112, 3, 60, 1)
    # monitoring: Prometheus-style scrape of the app's metrics and the cache's INFO, every 5 min
    mon = "10.20.0.50"
    c.label(mon, "monitoring-scrape")
    for s in range(0, DAYS * 86400, 300):
        c.connection(mon, H["app"].ip, 8081, T0 + s + 3, 0.05, 420, 5, 14_000, 12)
        c.connection(mon, H["cache"].ip, 6379, T0 + s + 5, 0.02, 90, 4, 4_200, 5)
    # weekly job: an outside backup host pulls over SSH, large
    backup = "192.0.2.50"
    c.label(backup, "weekly-job")
    for d in (4, 11):
        c.connection(backup, H["batch"].ip, 22, c.t(d, 2, 3), 3000, 4_000_000, 60_000,
                     900_000_000, 600_000)  # fmt: skip
    # one-way syslog (UDP 514, no answer), DNS and NTP answered
    for a in ("10.20.1.10", "10.20.2.10", "192.168.50.20"):
        c.label(a, "syslog-udp" if a == "192.168.50.20" else c.labels.get(a, "syslog-udp"))
        for h in range(DAYS * 24):
            n = c.rng.randint(5, 40)
            c.connection(a, H["logs"].ip, 514, T0 + h * 3600 + 60, 3500, n * 180, n, 0, 0,
                         protocol=17, sport=514)  # fmt: skip
    for a in ("10.20.4.10", "192.168.50.11"):
        c.label(a, c.labels.get(a, "dns-ntp"))
        for h in range(0, DAYS * 24, 2):
            c.connection(a, H["logs"].ip, 53, T0 + h * 3600 + 120, 0.01, 74, 1, 140, 1,
                         protocol=17)  # fmt: skip
            c.connection(a, H["logs"].ip, 123, T0 + h * 3600 + 200, 0.01, 76, 1, 76, 1,
                         protocol=17, sport=123)  # fmt: skip
    pinger = "198.51.100.200"
    c.label(pinger, "icmp-monitor")
    for s in range(0, DAYS * 86400, 600):
        c.connection(pinger, H["web"].ip, 0, T0 + s + 9, 1, 84, 1, 84, 1, protocol=1)
    # public web clients, v4 and v6: one to a few visits, a page of tens of KB to MB
    for i in range(500):
        v6 = i % 5 == 0
        a = c.internet_v6() if v6 else c.internet_v4()
        c.label(a, "web-client-v6" if v6 else "web-client-v4")
        target = H["web"].ipv6 if v6 else H["web"].ip
        assert target is not None
        for _ in range(1 if c.rng.random() < 0.7 else c.rng.randint(2, 4)):
            d = c.rng.randrange(DAYS)
            t0 = c.t(d, 6, 23)
            if c.rng.random() < 0.3:  # first http://, redirected
                c.connection(a, target, 80, t0, 0.2, 420, 5, 480, 4)
            for _k in range(c.rng.randint(1, 6)):
                c.connection(a, target, 443, t0 + c.rng.uniform(0, 20), c.rng.uniform(1, 120),
                             c.logn(4_000, 0.8, 1_500, 60_000), 20,
                             c.logn(300_000, 1.2, 40_000, 8_000_000), 220)  # fmt: skip

    # ---------------------------------------------------------------- probes
    targets = [H[n] for n in ("bastion", "win", "app", "db", "cache", "batch", "quiet", "logs")]
    sweep_ports = [21, 22, 23, 25, 80, 443, 445, 1433, 3306, 3389, 5432, 6379, 8080, 8443, 9200]

    def scanner(family: str) -> str:
        a = c.internet_v4()
        c.label(a, family)
        return a

    def sweep(a: str, d: int, tcp_probe: Any) -> None:
        """A scanner's pass: a few targets, several ports; closed ports get a REJECT record."""
        t0 = c.t(d)
        for host in c.rng.sample(targets, c.rng.randint(1, 3)):
            for port in c.rng.sample(sweep_ports, c.rng.randint(2, 6)):
                t0 += c.rng.uniform(0.1, 30)
                if allowed(host, 6, port):
                    tcp_probe(a, host.ip, port, t0)
                else:
                    c.reject(a, host.ip, port, t0)

    for _ in range(60):  # SYN scan: one SYN, answered by SYN-ACK then the scanner's RST
        a = scanner("syn-scan")
        sweep(a, c.rng.randrange(DAYS),
              lambda a, ip, p, t: c.connection(a, ip, p, t, 0.01, 80, 2, 44, 1, close="rst"))  # fmt: skip
    for _ in range(40):  # connect scan: SYN (with options), ACK, RST
        a = scanner("connect-scan")
        sweep(a, c.rng.randrange(DAYS),
              lambda a, ip, p, t: c.connection(a, ip, p, t, 0.05, 152, 3, 60, 1, close="rst"))  # fmt: skip
    for _ in range(40):  # banner grab on SSH: the server speaks first, the client sends nothing
        a = scanner("banner-grab")
        host = c.rng.choice([H["bastion"], H["batch"], H["quiet"]])
        c.connection(a, host.ip, 22, c.t(c.rng.randrange(DAYS)), 2, 164, 4, 236, 3)

    def one_probe(family: str, host: Host, port: int, c_payload: int, s_payload: int) -> None:
        a = scanner(family)
        d = c.rng.randrange(DAYS)
        for _ in range(c.rng.randint(1, 2)):
            c.connection(a, host.ip, port, c.t(d), 0.5, c_payload + 5 * 52, 5,
                         s_payload + 4 * 52, 4)  # fmt: skip
        if c.rng.random() < 0.5:  # many also sweep closed ports
            for p in c.rng.sample(sweep_ports, 3):
                if not allowed(host, 6, p):
                    c.reject(a, host.ip, p, c.t(d))

    for _ in range(50):
        one_probe("http-probe", H["app"], 8080, c.rng.randint(40, 200), c.rng.randint(150, 600))
    for _ in range(50):
        one_probe("tls-probe", H["app"], 8443, c.rng.randint(200, 600), c.rng.randint(2500, 5000))
    for _ in range(40):
        one_probe("rdp-probe", H["win"], 3389, c.rng.randint(19, 60), 19)
    for _ in range(40):
        one_probe("postgres-probe", H["db"], 5432, c.rng.choice([8, 8, 90]), c.rng.choice([1, 95]))
    for _ in range(40):
        one_probe("redis-probe", H["cache"], 6379, 14, c.rng.choice([7, 48]))

    def brute(
        family: str,
        host: Host,
        port: int,
        payload: tuple[tuple[int, int], tuple[int, int]],
        packets: tuple[tuple[int, int], tuple[int, int]],
    ) -> None:
        """Failed logins in a burst: each a full handshake + key exchange / auth, then refused."""
        a = scanner(family)
        t0 = c.t(c.rng.randrange(DAYS))
        span = c.rng.uniform(600, 7200)  # a burst within an hour or two
        for _ in range(c.logn(20, 1.0, 4, 300)):
            cp, sp = c.rng.randint(*packets[0]), c.rng.randint(*packets[1])
            c.connection(a, host.ip, port, t0 + c.rng.uniform(0, span), c.rng.uniform(2, 9),
                         c.rng.randint(*payload[0]) + 52 * cp, cp,
                         c.rng.randint(*payload[1]) + 52 * sp, sp)  # fmt: skip

    for _ in range(300):
        brute("ssh-brute-force", c.rng.choice([H["bastion"], H["batch"], H["quiet"]]), 22,
              ((1_500, 3_500), (2_000, 4_500)), ((16, 28), (12, 22)))  # fmt: skip
    for _ in range(80):
        brute(
            "rdp-brute-force",
            H["win"],
            3389,
            ((2_500, 6_000), (3_500, 8_000)),
            ((14, 24), (10, 20)),
        )
    for _ in range(60):
        brute("db-brute-force", H["db"], 5432, ((200, 600), (150, 500)), ((6, 10), (5, 8)))
    for _ in range(40):  # UDP probes: single datagrams, unanswered (syslog) or answered (DNS)
        a = scanner("udp-probe")
        if c.rng.random() < 0.5:
            c.connection(a, H["logs"].ip, 514, c.t(c.rng.randrange(DAYS)), 0.01, 90, 1, 0, 0,
                         protocol=17)  # fmt: skip
        else:
            c.connection(a, H["logs"].ip, 53, c.t(c.rng.randrange(DAYS)), 0.01, 71, 1, 98, 1,
                         protocol=17)  # fmt: skip
    for _ in range(8):  # internet-wide survey scanners: back every day, small protocol probes
        a = scanner("recurring-sweeper")
        for d in range(DAYS):
            sweep(a, d, lambda a, ip, p, t: c.connection(a, ip, p, t, 0.5, 300, 5, 900, 4))
    # outbound-heavy app tier: external APIs, a partner DB, package mirrors (return traffic)
    for d in range(DAYS):
        for _ in range(60):
            dest, port = c.rng.choice([("52.94.1.10", 443), ("3.120.5.5", 5432),
                                       ("151.101.2.10", 80), ("52.94.7.7", 443)])  # fmt: skip
            c.connection(H["app"].ip, dest, port, c.t(d), c.rng.uniform(0.1, 30),
                         c.logn(2_000, 1, 200, 90_000), 12,
                         c.logn(60_000, 1.5, 300, 9_000_000), 60)  # fmt: skip
    c.records.sort(key=lambda r: (r.start, r.eni, r.src, r.sport or 0, r.direction))
    return c


# ------------------------------------------------------------------------------ writing


def _value(r: Record, name: str, version: int) -> Any:
    return {
        "version": version,
        "account-id": ACCOUNT,
        "interface-id": r.eni,
        "srcaddr": r.src,
        "dstaddr": r.dst,
        "srcport": r.sport,
        "dstport": r.dport,
        "protocol": r.protocol,
        "packets": r.packets,
        "bytes": r.nbytes,
        "start": r.start,
        "end": r.end,
        "action": r.action,
        "log-status": "OK",
        "tcp-flags": r.flags if r.protocol == 6 else 0,
        "flow-direction": r.direction,
    }[name]


def snapshot_docs(fields: list[str], file_format: str) -> dict[str, Any]:
    groups = [
        {
            "GroupId": gid,
            "GroupName": name,
            "VpcId": VPC,
            "OwnerId": ACCOUNT,
            "Description": name,
            "IpPermissions": [
                {
                    "IpProtocol": p,
                    **({"FromPort": lo, "ToPort": hi} if p != "icmp" else {"FromPort": -1, "ToPort": -1}),
                    **({"Ipv6Ranges": [{"CidrIpv6": cidr}]} if ":" in cidr else {"IpRanges": [{"CidrIp": cidr}]}),
                }
                for p, lo, hi, cidr in rules
            ],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        }
        for gid, name, rules, _ in GROUPS
    ]  # fmt: skip
    enis = [
        {
            "NetworkInterfaceId": h.eni,
            "OwnerId": ACCOUNT,
            "VpcId": VPC,
            "SubnetId": "subnet-0c000001",
            "AvailabilityZone": f"{REGION}a",
            "Groups": [{"GroupId": g, "GroupName": g} for g in h.groups],
            "PrivateIpAddress": h.ip,
            "PrivateIpAddresses": [{"PrivateIpAddress": h.ip, "Primary": True}],
            "Ipv6Addresses": [{"Ipv6Address": h.ipv6}] if h.ipv6 else [],
            "InterfaceType": "interface",
            "Status": "in-use",
        }
        for h in HOSTS.values()
    ]
    findings = []
    for gid, _, _, controls in GROUPS:
        for control in controls:
            findings.append(
                {
                    "SchemaVersion": "2018-10-08",
                    "Id": f"arn:aws:securityhub:{REGION}:{ACCOUNT}:security-control/{control}/finding/{gid}",
                    "GeneratorId": f"security-control/{control}",
                    "AwsAccountId": ACCOUNT,
                    "Region": REGION,
                    "Title": control,
                    "RecordState": "ACTIVE",
                    "Compliance": {"Status": "FAILED", "SecurityControlId": control},
                    "Severity": {"Label": "HIGH"},
                    "Resources": [
                        {
                            "Type": "AwsEc2SecurityGroup",
                            "Id": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{gid}",
                            "Region": REGION,
                            "Details": {"AwsEc2SecurityGroup": {"GroupId": gid}},
                        }
                    ],
                }
            )
    flow_logs = [
        {
            "FlowLogId": f"fl-{h.eni[4:]}",
            "ResourceId": h.eni,
            "CreationTime": "2026-09-20T10:00:00+00:00",
            "DeliverLogsStatus": "SUCCESS",
            "TrafficType": "ALL",
            "LogDestinationType": "s3",
            "LogDestination": "arn:aws:s3:::corpus-logs",
            "FlowLogStatus": "ACTIVE",
            "MaxAggregationInterval": h.interval,
            "LogFormat": " ".join("${" + f + "}" for f in fields),
            "DestinationOptions": {"FileFormat": file_format},
        }
        for h in HOSTS.values()
    ]
    return {
        "security-groups.json": {"SecurityGroups": groups},
        "network-interfaces.json": {"NetworkInterfaces": enis},
        "findings.json": {"Findings": findings},
        "flow-logs.json": {"FlowLogs": flow_logs},
    }


def delivery_rows(corpus: Corpus) -> list[Record]:
    """One NODATA record an hour on every ENI that logged nothing that hour: delivery, no traffic.

    Except the quiet host: its log writes nothing at all for idle hours, as AWS often does, so the
    coverage gate must tell healthy silence (quiet) from a log that could not record (unseen)."""
    seen = {(r.eni, (r.start - T0) // 3600) for r in corpus.records}
    out = []
    for h in HOSTS.values():
        if h.name == "quiet":
            continue
        for hour in range(DAYS * 24):
            if (h.eni, hour) not in seen:
                t = T0 + hour * 3600 + 60
                out.append(
                    Record(h.eni, "-", "-", None, None, -1, 0, 0, t, t + 600, "-", None, "-")
                )
    return out


def write(out: Path, fmt: str, corpus: Corpus | None = None) -> Path:
    """Write the snapshot in `fmt` (v2 | v5 | parquet) under `out`; returns the snapshot dir."""
    corpus = corpus or build()
    fields = V2 if fmt == "v2" else V5
    version = 2 if fmt == "v2" else 5
    snap = out / f"snapshot-{fmt}"
    (snap / "flow-logs").mkdir(parents=True, exist_ok=True)
    for name, doc in snapshot_docs(fields, "parquet" if fmt == "parquet" else "plain-text").items():
        (snap / name).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    rows = corpus.records
    nodata = delivery_rows(corpus)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        int32 = {"version", "srcport", "dstport", "protocol", "tcp-flags"}
        int64 = {"packets", "bytes", "start", "end"}
        columns: dict[str, Any] = {}
        for name in fields:
            kind = pa.int32() if name in int32 else pa.int64() if name in int64 else pa.string()
            values = [_value(r, name, version) for r in rows]
            values += [_nodata_value(r, name, version) for r in nodata]
            columns[name.replace("-", "_")] = pa.array(values, type=kind)
        buffer = io.BytesIO()
        pq.write_table(pa.table(columns), buffer, compression="gzip")
        (snap / "flow-logs" / "corpus.log.parquet").write_bytes(buffer.getvalue())
    else:
        lines = [" ".join(fields)]
        for r in rows:
            lines.append(" ".join(_text(_value(r, n, version)) for n in fields))
        for r in nodata:
            lines.append(" ".join(_text(_nodata_value(r, n, version)) for n in fields))
        (snap / "flow-logs" / "corpus.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (snap / "labels.json").write_text(json.dumps(corpus.labels, sort_keys=True), encoding="utf-8")
    return snap


def _text(value: Any) -> str:
    return "-" if value is None else str(value)


def _nodata_value(r: Record, name: str, version: int) -> Any:
    if name in ("version", "account-id", "interface-id", "start", "end"):
        return _value(r, name, version)
    if name == "log-status":
        return "NODATA"
    return None


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-out")
    for fmt in sys.argv[2:] or ["v2", "v5", "parquet"]:
        print(write(target, fmt))
