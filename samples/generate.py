"""Generate the bundled sample snapshot (`samples/snapshot/`), deterministically.

    python samples/generate.py [--out samples/snapshot]

Standard library only, plus pyarrow to write the Parquet flow-log objects. The same seed and the
same pyarrow give the same bytes; `tests/test_samples.py` regenerates and compares.

The environment
===============
Account 111122223333, region eu-west-1, one VPC `vpc-0ff00000000000001` (10.0.0.0/16 and
2a05:d018:8c4:e300::/56), observed for 21 days, 2026-10-01T00:00Z to 2026-10-22T00:00Z.

Subnets (each with its own flow log, all created 2026-09-30, S3 bucket `acme-flow-logs-111122223333`):

  subnet            cidr            flow log                 format of the delivered objects
  public  ...0001   10.0.1.0/24     fl-0ee00000000000001    custom v5 text (tcp-flags, flow-direction,
                                                             pkt-srcaddr, traffic-path, ...), .log.gz
  app     ...0002   10.0.2.0/24     fl-0ee00000000000002    Parquet, Hive partitions with hour=,
                                                             custom v5 (default 14 + tcp-flags,
                                                             flow-direction), .log.parquet
  data    ...0003   10.0.3.0/24     fl-0ee00000000000003    default v2 text, .log.gz
  ops     ...0004   10.0.4.0/24     fl-0ee00000000000004    default v2 text, .log.gz
  app-b   ...0005   10.0.5.0/24     none (added for the canary on 2026-10-19, not yet logged)

Objects are cut per flow log per hour (AWS cuts every 5 minutes; hourly keeps the sample small),
named `<acct>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHH00Z>_<hash>`. Volumes are coarse: a few
dozen records an hour per interface; a long-lived connection logs only the 10-minute intervals in
which it carried traffic. Every 10-minute interval in which a logged interface carried nothing has a
NODATA row, except on the quiet host `jobs` (AWS does not promise NODATA rows: it has none).

Interfaces, groups and who talks to them
----------------------------------------
  web-1  eni-0bb00000000000001 10.0.1.10 2a05:d018:8c4:e301::10 public 34.242.17.101 i-0cc00000000000001
  web-2  eni-0bb00000000000002 10.0.1.11 2a05:d018:8c4:e301::11 public 34.242.17.102 i-0cc00000000000002
         group `web` sg-0aa00000000000002
  app-1  eni-0bb00000000000003 10.0.2.10  i-0cc00000000000003   group `app` sg-0aa00000000000003
  app-2  eni-0bb00000000000004 10.0.2.11  i-0cc00000000000004   group `app` sg-0aa00000000000003
  db     eni-0bb00000000000005 10.0.3.10  public 63.33.214.7 (PubliclyAccessible), requester-
         managed (amazon-rds), RDS `orders-db`,
         group `db` sg-0aa00000000000004
  batch  eni-0bb00000000000006 10.0.4.10  public 52.50.120.33  i-0cc00000000000005
         group `batch` sg-0aa00000000000005 (ingress tcp 22 from 10.0.0.0/16 only)
  report eni-0bb00000000000007 10.0.4.20  public 54.74.201.15  i-0cc00000000000006
         group `reporting` sg-0aa00000000000006
  canary eni-0bb00000000000008 10.0.5.10  i-0cc00000000000007   group `app-canary`
         sg-0aa00000000000007, attached 2026-10-19T09:12Z, NO flow log
  jobs   eni-0bb00000000000009 10.0.4.30  i-0cc00000000000008   group `jobs` sg-0aa00000000000009
         (the quiet host: ingress tcp 22 from 0.0.0.0/0, nobody uses it)
  `default` sg-0aa00000000000001: the VPC's default group, no interfaces.

Traffic:
- Public website on web-1/web-2: ~10 connections an hour per interface (diurnal), 85% tcp/443 and
  15% tcp/80, from a heavy-tailed pool of 4000 IPv4 and 800 IPv6 internet clients (thousands of
  distinct sources over the window, IPv6 ones on the interfaces' IPv6 addresses).
- SSH to web-1/web-2 on workdays 08-18 UTC from the office admins 198.51.100.10 and 198.51.100.11
  only: sessions of 5-90 minutes with real payload. (198.51.100.0/24 is a documentation range that
  Python's `ipaddress` calls private; it is outside the VPC, so it is internet to the planner.)
- web -> app tcp/8080: ~2 short connections an hour from each web interface, spread over app-1
  and app-2; web-1 -> canary tcp/8080 after 2026-10-19T12Z (seen only in web-1's log).
- app -> db tcp/5432: each app interface keeps one pooled connection (re-opened hourly,
  long-lived: later intervals carry tcp-flags 0, the last FIN 1) plus occasional short queries.
- web -> 18.200.44.12:443 (a partner API) and batch -> S3 (52.218.120.10, 52.218.96.35,
  3.5.72.14):443 nightly 01-05 UTC, batch -> NTP (162.159.200.123, 129.250.35.250) udp/123 every
  third hour: outbound connections whose return traffic arrives at ephemeral ports. Return
  traffic is not use of any inbound rule.
- The weekly reporting export: 84.17.52.140 opens RDP (tcp/3389) to the reporting host every
  Monday at 06:00 UTC (Oct 5, 12, 19), ~40 minutes, tens of MB.
- Internet scanners (IPv4 193.163.125.44, 45.148.10.200, 162.216.149.71, 89.248.163.112,
  205.210.31.38, 147.185.132.90, 80.82.77.139, 194.165.16.73; IPv6 2a06:4880:4000::5f) probe
  web-1, web-2, batch and reporting on many ports, plus port sweeps and ICMP echo: a single
  REJECT record where no rule allows the port; where a world rule allows it, handshake-sized
  ACCEPTed flows (SYN+RST from the scanner, SYN-ACK back; RST back on web's tcp/21 where nothing
  listens; a banner's worth on tcp/22). 45.148.10.200 always sends from port 61000.
- Scanners that complete handshakes and send a few bytes (their own random stream, so the rest
  stays as it was; shapes from ../shared/TRAFFIC_FACTS.md, each session's packets and payload
  given explicitly, headers added as flow logs count them):
  80 SSH brute forcers on web's tcp/22 (a burst of 6-200 failed logins within 10-100 minutes on
  one day, each a full key exchange: 12-22 packets and 1.6-3.2 KB from the client, 1.8-3.6 KB
  back; 30% spread their attempts over both web interfaces), 15 RDP brute forcers (NLA: a few
  KB each way) and 30 RDP protocol probes (a Connection Request of 19-60 B answered by a 19-byte
  Confirm) on reporting's tcp/3389, 12 Postgres brute forcers and 30 Postgres probes
  (SSLRequest answered 'N', a StartupMessage answered by an ErrorResponse) on the DB's public
  address, and 4 survey scanners that come back on 1-4 days, exchange first messages (HTTP GET,
  TLS ClientHello, SSH identification, RDP request, SSLRequest) with every open port of every
  public address and are REJECTed on the closed ones. None of them returns like a user.
- The quiet host `jobs`: nothing reaches it; on Sundays at 02:00 UTC its job downloads from S3.
  Its subnet's log is healthy and, as AWS does for an idle interface, writes nothing for it
  otherwise (no NODATA rows): quiet, not unseen.
- web-2 lost records 2026-10-09 03:00-05:00Z: SKIPDATA for 12 intervals (2 hours = 0.4% of the
  window, under the 2% gap gate: a warning, not a refusal).

Findings (findings.json) and the decision the planner should make
-----------------------------------------------------------------
Security groups (rules below are the ingress unless marked egress):

* `web` sg-0aa00000000000002 - EC2.19, EC2.13 (consolidated + a CIS 1.2.0 rule 4.1 duplicate that
  collapses into it), EC2.18, EC2.53. Status `ready`, warning for the SKIPDATA hours of web-2.
  - keep   tcp 443 0.0.0.0/0 and ::/0, tcp 80 0.0.0.0/0 and ::/0: public website, thousands of
    distinct IPv4 and IPv6 clients (EC2.18's authorized ports).
  - revoke tcp 22 0.0.0.0/0; authorize tcp 22 198.51.100.10/31 (or .10/32 + .11/32): the two
    admins; the scanners and brute forcers that also reached tcp/22 are probes/scanners and are
    not authorized: the group's line "shuts out N scanner source(s); none was a real user".
  - revoke tcp 21 0.0.0.0/0: only probes in 21 days.
  - egress unchanged.
* `app` sg-0aa00000000000003 - EC2.19, EC2.18. `ready`.
  - revoke tcp 8080 0.0.0.0/0; authorize tcp 8080 ReferencedGroupId sg-0aa00000000000002 (`web`:
    its two members are the only sources).
* `db` sg-0aa00000000000004 - EC2.19, EC2.18. `ready`.
  - revoke tcp 5432 0.0.0.0/0; authorize tcp 5432 ReferencedGroupId sg-0aa00000000000003 (`app`);
    the Postgres probes and brute forcers on its public address are shut out.
* `reporting` sg-0aa00000000000006 - EC2.14 (legacy CIS 1.2.0 rule 4.2 only), EC2.19, EC2.18,
  EC2.53. `ready`.
  - revoke tcp 3389 0.0.0.0/0; authorize tcp 3389 84.17.52.140/32: rare (weekly) but real use;
    the scanners, RDP probes and brute forcers on 3389 are not authorized.
* `jobs` sg-0aa00000000000009 - EC2.19, EC2.13. `ready`: revoke tcp 22 0.0.0.0/0 (no use in 21
  days; its log was healthy throughout, so its silence is evidence: a `coverage.quiet` line).
* `app-canary` sg-0aa00000000000007 - EC2.19. `needs-more-data`: eni-0bb00000000000008 has no
  flow log. Nothing revoked; the plan names the uncovered interface.
* `default` sg-0aa00000000000001 - EC2.2 (consolidated + a PCI.EC2.2 duplicate). `ready`, no
  interfaces: revoke all its rules: ingress -1 from itself, egress -1 0.0.0.0/0 and -1 ::/0.
* `batch` sg-0aa00000000000005 - has only a PASSED EC2.19 finding: not in scope, no change.

Resources:
* EC2.9 i-0cc00000000000005 (batch, 52.50.120.33): `remove-public-ip` - no real inbound from the
  internet (scanners only, all REJECTed; the inbound-looking records are return traffic of its
  own HTTPS/NTP). Say that its outbound HTTPS to S3 and NTP then need a NAT gateway (or endpoints).
* EC2.9 i-0cc00000000000006 (reporting): `keep-public-ip`, source 84.17.52.140.
* EC2.9 i-0cc00000000000001 and i-0cc00000000000002 (web): `keep-public-ip`, public website.
* RDS.2 `orders-db` (legacy FSBP-shaped finding): `disable-public-access` - its only clients are
  app-1/app-2 inside the VPC; the internet sources that reached it were all probes or scanners.

Ignored findings: an ARCHIVED EC2.19 on sg-0aa00000000000008 (a deleted group), a PASSED EC2.19 on
`batch`, and a FAILED EC2.8 (IMDSv2, out of scope) on the batch instance.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import ipaddress
import json
import math
import random
import shutil
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20261022
ACCOUNT = "111122223333"
REGION = "eu-west-1"
WINDOW_START = datetime(2026, 10, 1, tzinfo=UTC)
WINDOW_DAYS = 21
HOURS = WINDOW_DAYS * 24
INTERVAL = 600  # MaxAggregationInterval of every flow log
T0 = int(WINDOW_START.timestamp())
T_END = T0 + HOURS * 3600

VPC_ID = "vpc-0ff00000000000001"
VPC_CIDR = "10.0.0.0/16"
VPC_IPV6 = "2a05:d018:8c4:e300::/56"
BUCKET = f"acme-flow-logs-{ACCOUNT}"
FINDINGS_UPDATED = "2026-10-21T23:10:04.512Z"

DEFAULT_FORMAT = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
]
# The AWS documentation's custom-format example order, extended to v5.
PUBLIC_FORMAT = [
    "version",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "interface-id",
    "account-id",
    "type",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "protocol",
    "bytes",
    "packets",
    "start",
    "end",
    "action",
    "tcp-flags",
    "log-status",
    "region",
    "az-id",
    "flow-direction",
    "traffic-path",
]
APP_FORMAT = [*DEFAULT_FORMAT, "tcp-flags", "flow-direction"]

INT32 = {"version", "srcport", "dstport", "protocol", "tcp-flags", "traffic-path"}
INT64 = {"packets", "bytes", "start", "end"}

OFFICE_ADMINS = ("198.51.100.10", "198.51.100.11")
WEEKLY_CLIENT = "84.17.52.140"
PARTNER_API = "18.200.44.12"
S3_ADDRESSES = ("52.218.120.10", "52.218.96.35", "3.5.72.14")
NTP_SERVERS = ("162.159.200.123", "129.250.35.250")
SCANNERS_V4 = (
    "193.163.125.44",
    "45.148.10.200",
    "162.216.149.71",
    "89.248.163.112",
    "205.210.31.38",
    "147.185.132.90",
    "80.82.77.139",
    "194.165.16.73",
)
SCANNER_V6 = "2a06:4880:4000::5f"
FIXED_PORT_SCANNER = "45.148.10.200"
SCAN_PORTS = (22, 22, 22, 3389, 3389, 3389, 23, 80, 443, 21, 445, 8080, 5432, 3306, 1433, 6379)
SWEEP_PORTS = (21, 22, 23, 25, 80, 110, 143, 443, 445, 1433, 3306, 3389, 5432, 5900, 6379, 8080)
SWEEP_PORTS += (8443, 9200, 27017)
CANARY_ATTACHED = datetime(2026, 10, 19, 9, 12, 40, tzinfo=UTC)
CANARY_TRAFFIC_FROM = int(datetime(2026, 10, 19, 12, tzinfo=UTC).timestamp())
SKIPDATA_FROM = int(datetime(2026, 10, 9, 3, tzinfo=UTC).timestamp())
SKIPDATA_TO = SKIPDATA_FROM + 2 * 3600
# RDS's PubliclyAccessible gives the DB's interface a public address: scanners find it too.
DB_PUBLIC_IP = "63.33.214.7"
# The attacks that complete a handshake and send a few bytes (drawn from their own random stream,
# so the rest of the traffic stays as it was): how many sources of each, over the 21 days.
SSH_BRUTE_FORCERS = 80
RDP_PROBERS = 30
RDP_BRUTE_FORCERS = 15
POSTGRES_PROBERS = 30
DB_BRUTE_FORCERS = 12
SURVEY_SWEEPERS = 4
QUIET_HOST = "jobs"  # its log is healthy; AWS writes nothing for it while it is idle


# --------------------------------------------------------------------------- the inventory


@dataclass(frozen=True)
class Subnet:
    subnet_id: str
    name: str
    cidr: str
    ipv6_cidr: str | None
    az: str
    az_id: str
    flow_log_id: str | None


@dataclass(frozen=True)
class Host:
    """A network interface and what it is attached to."""

    name: str
    eni_id: str
    subnet: Subnet
    ip: str
    group_ids: tuple[str, ...]
    ipv6: str | None = None
    public_ip: str | None = None
    instance_id: str | None = None
    mac: str = ""
    description: str = ""
    requester_managed: bool = False
    attach_time: str = "2026-08-14T10:02:11+00:00"


def _sn(n: int) -> str:
    return f"subnet-0dd{n:014d}"


def _sg(n: int) -> str:
    return f"sg-0aa{n:014d}"


def _eni(n: int) -> str:
    return f"eni-0bb{n:014d}"


def _i(n: int) -> str:
    return f"i-0cc{n:014d}"


def _fl(n: int) -> str:
    return f"fl-0ee{n:014d}"


SUBNETS = {
    "public": Subnet(
        _sn(1), "public", "10.0.1.0/24", "2a05:d018:8c4:e301::/64", "eu-west-1a", "euw1-az1", _fl(1)
    ),
    "app": Subnet(_sn(2), "app", "10.0.2.0/24", None, "eu-west-1a", "euw1-az1", _fl(2)),
    "data": Subnet(_sn(3), "data", "10.0.3.0/24", None, "eu-west-1a", "euw1-az1", _fl(3)),
    "ops": Subnet(_sn(4), "ops", "10.0.4.0/24", None, "eu-west-1b", "euw1-az2", _fl(4)),
    "app-b": Subnet(_sn(5), "app-b", "10.0.5.0/24", None, "eu-west-1b", "euw1-az2", None),
}

SG_DEFAULT, SG_WEB, SG_APP, SG_DB, SG_BATCH, SG_REPORTING, SG_CANARY, SG_DELETED, SG_JOBS = (
    _sg(n) for n in range(1, 10)
)

HOSTS = {
    "web-1": Host(
        "web-1",
        _eni(1),
        SUBNETS["public"],
        "10.0.1.10",
        (SG_WEB,),
        "2a05:d018:8c4:e301::10",
        "34.242.17.101",
        _i(1),
        "06:1a:2b:3c:4d:01",
        "web-1 primary",
    ),
    "web-2": Host(
        "web-2",
        _eni(2),
        SUBNETS["public"],
        "10.0.1.11",
        (SG_WEB,),
        "2a05:d018:8c4:e301::11",
        "34.242.17.102",
        _i(2),
        "06:1a:2b:3c:4d:02",
        "web-2 primary",
    ),
    "app-1": Host(
        "app-1",
        _eni(3),
        SUBNETS["app"],
        "10.0.2.10",
        (SG_APP,),
        instance_id=_i(3),
        mac="06:1a:2b:3c:4d:03",
        description="app-1 primary",
    ),
    "app-2": Host(
        "app-2",
        _eni(4),
        SUBNETS["app"],
        "10.0.2.11",
        (SG_APP,),
        instance_id=_i(4),
        mac="06:1a:2b:3c:4d:04",
        description="app-2 primary",
    ),
    "db": Host(
        "db",
        _eni(5),
        SUBNETS["data"],
        "10.0.3.10",
        (SG_DB,),
        public_ip=DB_PUBLIC_IP,
        mac="06:1a:2b:3c:4d:05",
        description="RDSNetworkInterface",
        requester_managed=True,
    ),
    "batch": Host(
        "batch",
        _eni(6),
        SUBNETS["ops"],
        "10.0.4.10",
        (SG_BATCH,),
        public_ip="52.50.120.33",
        instance_id=_i(5),
        mac="0a:1a:2b:3c:4d:06",
        description="batch primary",
    ),
    "reporting": Host(
        "reporting",
        _eni(7),
        SUBNETS["ops"],
        "10.0.4.20",
        (SG_REPORTING,),
        public_ip="54.74.201.15",
        instance_id=_i(6),
        mac="0a:1a:2b:3c:4d:07",
        description="reporting primary",
    ),
    "canary": Host(
        "canary",
        _eni(8),
        SUBNETS["app-b"],
        "10.0.5.10",
        (SG_CANARY,),
        instance_id=_i(7),
        mac="0a:1a:2b:3c:4d:08",
        description="app canary",
        attach_time=CANARY_ATTACHED.isoformat(),
    ),
    "jobs": Host(
        "jobs",
        _eni(9),
        SUBNETS["ops"],
        "10.0.4.30",
        (SG_JOBS,),
        instance_id=_i(8),
        mac="0a:1a:2b:3c:4d:09",
        description="jobs primary",
    ),
}

FLOW_LOGS = {
    _fl(1): ("public", PUBLIC_FORMAT, "plain-text"),
    _fl(2): ("app", APP_FORMAT, "parquet"),
    _fl(3): ("data", DEFAULT_FORMAT, "plain-text"),
    _fl(4): ("ops", DEFAULT_FORMAT, "plain-text"),
}

GROUP_NAMES = {
    SG_DEFAULT: ("default", "default VPC security group"),
    SG_WEB: ("web", "public web tier"),
    SG_APP: ("app", "application tier"),
    SG_DB: ("db", "orders database"),
    SG_BATCH: ("batch", "nightly batch host"),
    SG_REPORTING: ("reporting", "reporting host (weekly RDP export)"),
    SG_CANARY: ("app-canary", "app canary (new)"),
    SG_JOBS: ("jobs", "weekly job runner"),
}


def _perm(
    proto: str,
    port: int | None,
    v4: list[str] = (),
    v6: list[str] = (),
    groups: list[str] = (),
    desc: str | None = None,
) -> dict[str, Any]:  # type: ignore[assignment]
    perm: dict[str, Any] = {"IpProtocol": proto}
    if proto != "-1":
        perm["FromPort"] = port
        perm["ToPort"] = port
    d = {"Description": desc} if desc else {}
    perm["IpRanges"] = [{"CidrIp": c, **d} for c in v4]
    perm["Ipv6Ranges"] = [{"CidrIpv6": c, **d} for c in v6]
    perm["PrefixListIds"] = []
    perm["UserIdGroupPairs"] = [{"GroupId": g, "UserId": ACCOUNT, **d} for g in groups]
    return perm


def _egress_all(ipv6: bool = False) -> list[dict[str, Any]]:
    return [_perm("-1", None, ["0.0.0.0/0"], ["::/0"] if ipv6 else [])]


WORLD = ["0.0.0.0/0"]
WORLD6 = ["::/0"]
GROUP_RULES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    SG_DEFAULT: ([_perm("-1", None, groups=[SG_DEFAULT])], _egress_all(ipv6=True)),
    SG_WEB: (
        [
            _perm("tcp", 443, WORLD, WORLD6, desc="HTTPS"),
            _perm("tcp", 80, WORLD, WORLD6, desc="HTTP redirect"),
            _perm("tcp", 22, WORLD, desc="SSH (temporary, incident 4711)"),
            _perm("tcp", 21, WORLD, desc="legacy FTP uploads"),
        ],
        _egress_all(ipv6=True),
    ),
    SG_APP: ([_perm("tcp", 8080, WORLD, desc="app http")], _egress_all()),
    SG_DB: ([_perm("tcp", 5432, WORLD, desc="postgres")], _egress_all()),
    SG_BATCH: ([_perm("tcp", 22, ["10.0.0.0/16"], desc="ssh from the VPC")], _egress_all()),
    SG_REPORTING: ([_perm("tcp", 3389, WORLD, desc="RDP for the weekly export")], _egress_all()),
    SG_CANARY: ([_perm("tcp", 8080, WORLD, desc="app http")], _egress_all()),
    SG_JOBS: ([_perm("tcp", 22, WORLD, desc="SSH to the job runner")], _egress_all()),
}

# What answers on each host (for probes): port -> listening?
LISTENING = {
    "web-1": {443, 80, 22},
    "web-2": {443, 80, 22},
    "reporting": {3389},
    "batch": {22},
    "db": {5432},
}


def allowed(host: Host, port: int, family: int) -> bool:
    """Whether the host's groups let a world source in on tcp `port` (the sample's rules only)."""
    for gid in host.group_ids:
        for perm in GROUP_RULES[gid][0]:
            if perm["IpProtocol"] == "tcp" and perm["FromPort"] <= port <= perm["ToPort"]:
                ranges = perm["IpRanges"] if family == 4 else perm["Ipv6Ranges"]
                cidr_key = "CidrIp" if family == 4 else "CidrIpv6"
                if any(r[cidr_key] in ("0.0.0.0/0", "::/0") for r in ranges):
                    return True
    return False


# --------------------------------------------------------------------------- flow records


@dataclass(frozen=True)
class Record:
    """One flow record on one interface (None = '-')."""

    host: str
    src: str | None
    dst: str | None
    srcport: int | None
    dstport: int | None
    protocol: int | None
    packets: int | None
    bytes: int | None
    start: int
    end: int
    action: str | None
    log_status: str
    tcp_flags: int | None = None
    direction: str | None = None
    traffic_path: int | None = None


class Traffic:
    """Collects the records each logged interface would see."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.records: list[Record] = []

    def logged(self, addr: str) -> Host | None:
        for host in HOSTS.values():
            if addr in (host.ip, host.ipv6) and host.subnet.flow_log_id:
                return host
        return None

    @staticmethod
    def in_vpc(addr: str) -> bool:
        ip = ipaddress.ip_address(addr)
        return ip in ipaddress.ip_network(VPC_CIDR) or ip in ipaddress.ip_network(VPC_IPV6)

    def _emit(
        self,
        src: str,
        dst: str,
        sport: int,
        dport: int,
        proto: int,
        packets: int,
        nbytes: int,
        start: int,
        end: int,
        action: str,
        flags: int | None,
    ) -> None:
        """The record of one direction, on each logged interface it touches."""
        if start >= T_END:
            return
        end = min(end, T_END - 1)
        for addr, direction in ((src, "egress"), (dst, "ingress")):
            host = self.logged(addr)
            if host is None:
                continue
            path = None
            if direction == "egress":
                path = 1 if self.in_vpc(dst) else 8
            self.records.append(
                Record(
                    host.name,
                    src,
                    dst,
                    sport,
                    dport,
                    proto,
                    packets,
                    nbytes,
                    start,
                    end,
                    action,
                    "OK",
                    flags,
                    direction,
                    path,
                )
            )

    def tcp(
        self,
        client: str,
        cport: int,
        server: str,
        sport: int,
        t0: float,
        duration: float,
        up: int,
        down: int,
        idle_share: float = 0.0,
    ) -> None:
        """A TCP connection, split into 10-minute aggregation intervals.

        Flags per interval: a single interval carries SYN+FIN (3) from the client and SYN-ACK+FIN
        (19) from the server; otherwise SYN (2) / SYN-ACK (18) first, nothing (0) in between, FIN
        (1) last. Intervals in the middle carry no traffic with probability `idle_share`.
        """
        t1 = t0 + max(duration, 0.001)
        pieces = []
        s = t0
        while s < t1:
            boundary = (math.floor(s / INTERVAL) + 1) * INTERVAL
            e = min(boundary, t1)
            pieces.append((s, e))
            s = e
        n = len(pieces)
        for idx, (s, e) in enumerate(pieces):
            first, last = idx == 0, idx == n - 1
            if not first and not last and self.rng.random() < idle_share:
                continue
            share = (e - s) / (t1 - t0) * self.rng.uniform(0.6, 1.4)
            up_bytes = int(up * share)
            down_bytes = int(down * share)
            up_packets = max(2 if first or last else 1, math.ceil(up_bytes / 1100))
            down_packets = max(2 if first or last else 1, math.ceil(down_bytes / 1300))
            up_bytes = max(up_bytes, 52 * up_packets)
            down_bytes = max(down_bytes, 52 * down_packets)
            if n == 1:
                cf, sf = 3, 19
            elif first:
                cf, sf = 2, 18
            elif last:
                cf, sf = 1, 1
            else:
                cf, sf = 0, 0
            a, b = int(s), int(e)
            self._emit(client, server, cport, sport, 6, up_packets, up_bytes, a, b, "ACCEPT", cf)
            self._emit(
                server, client, sport, cport, 6, down_packets, down_bytes, a, b, "ACCEPT", sf
            )

    def udp(self, client: str, cport: int, server: str, sport: int, t: int, size: int) -> None:
        self._emit(client, server, cport, sport, 17, 1, size, t, t, "ACCEPT", 0)
        self._emit(server, client, sport, cport, 17, 1, size, t, t + 1, "ACCEPT", 0)

    def probe(self, scanner: str, sport: int, target: Host, port: int, t: int) -> None:
        """A scanner's SYN: REJECTed where no rule allows it, a bare handshake where one does."""
        family = ipaddress.ip_address(scanner).version
        dst = target.ip if family == 4 else target.ipv6
        assert dst is not None
        if not allowed(target, port, family):
            packets = 1 if self.rng.random() < 0.8 else 2
            size = 44 if family == 4 else 64
            self._emit(
                scanner,
                dst,
                sport,
                port,
                6,
                packets,
                packets * size,
                t,
                t + packets - 1,
                "REJECT",
                2,
            )
            return
        if port not in LISTENING.get(target.name, set()):
            self._emit(scanner, dst, sport, port, 6, 1, 44, t, t, "ACCEPT", 2)
            self._emit(dst, scanner, port, sport, 6, 1, 40, t, t, "ACCEPT", 4)  # RST
            return
        if port == 22 and self.rng.random() < 0.5:  # banner grab: identification strings only
            self._emit(scanner, dst, sport, port, 6, 4, 52 * 3 + 23, t, t + 2, "ACCEPT", 6)
            self._emit(dst, scanner, port, sport, 6, 3, 60 + 52 + 41, t, t + 2, "ACCEPT", 19)
            return
        self._emit(scanner, dst, sport, port, 6, 2, 84, t, t, "ACCEPT", 6)  # SYN, then RST
        self._emit(dst, scanner, port, sport, 6, 1, 44, t, t, "ACCEPT", 18)

    def ping(self, scanner: str, target: Host, t: int) -> None:
        self._emit(scanner, target.ip, 0, 0, 1, 1, 84, t, t, "REJECT", 0)

    def session(
        self,
        client: str,
        server: str,
        port: int,
        t: float,
        seconds: float,
        up: tuple[int, int],
        down: tuple[int, int],
        reset: bool = False,
    ) -> None:
        """A short TCP session (seconds) inside one aggregation interval: `up`/`down` are
        (packets, payload bytes) of each side; headers of 40 B (IPv4) / 60 B (IPv6) a packet and
        the SYN's options (20 B) are added, as flow logs count whole packets."""
        family = ipaddress.ip_address(client).version
        header = 40 if family == 4 else 60
        boundary = (math.floor(t / INTERVAL) + 1) * INTERVAL
        a = int(min(t, boundary - seconds - 1))
        b = int(a + seconds)
        sport = _ephemeral(self.rng)
        (up_packets, up_payload), (down_packets, down_payload) = up, down
        up_bytes = up_packets * header + 20 + up_payload
        down_bytes = down_packets * header + 20 + down_payload
        client_flags = 6 if reset else 3  # SYN + RST (aborted) or SYN + FIN
        self._emit(
            client, server, sport, port, 6, up_packets, up_bytes, a, b, "ACCEPT", client_flags
        )
        self._emit(server, client, port, sport, 6, down_packets, down_bytes, a, b, "ACCEPT", 19)


# --------------------------------------------------------------------------- the traffic model


def _global_v4(rng: random.Random) -> str:
    while True:
        addr = ipaddress.IPv4Address(rng.getrandbits(32))
        if addr.is_global and not addr.is_multicast and int(addr) >> 24 not in (0, 10, 127):
            return str(addr)


def _global_v6(rng: random.Random, prefixes: list[int]) -> str:
    while True:
        value = (rng.choice(prefixes) << 96) | rng.getrandbits(96)
        addr = ipaddress.IPv6Address(value)
        if addr.is_global:
            return str(addr)


class ClientPool:
    """Internet clients with heavy-tailed popularity (a few return often, most once or twice)."""

    def __init__(self, rng: random.Random, size_v4: int, size_v6: int) -> None:
        self.rng = rng
        prefixes = [0x2A010000 + rng.randrange(0xFFFF) for _ in range(30)]
        prefixes += [0x24000000 + rng.randrange(0xFFFFFF) for _ in range(10)]
        self.v4 = [_global_v4(rng) for _ in range(size_v4)]
        self.v6 = [_global_v6(rng, prefixes) for _ in range(size_v6)]
        self.w4 = list(_cumulative_zipf(size_v4))
        self.w6 = list(_cumulative_zipf(size_v6))

    def pick(self, ipv6: bool) -> str:
        pool, weights = (self.v6, self.w6) if ipv6 else (self.v4, self.w4)
        return self.rng.choices(pool, cum_weights=weights)[0]


def _cumulative_zipf(n: int, exponent: float = 0.9) -> list[float]:
    total = 0.0
    out = []
    for k in range(1, n + 1):
        total += 1.0 / k**exponent
        out.append(total)
    return out


def _ephemeral(rng: random.Random, windows: bool = False) -> int:
    return rng.randint(49152, 65535) if windows else rng.randint(32768, 60999)


def _lognormal(rng: random.Random, median: float, sigma: float, lo: int, hi: int) -> int:
    return int(min(hi, max(lo, rng.lognormvariate(math.log(median), sigma))))


DIURNAL = [
    0.35,
    0.3,
    0.25,
    0.25,
    0.3,
    0.45,
    0.65,
    0.85,
    1.0,
    1.1,
    1.15,
    1.2,
    1.2,
    1.2,
    1.15,
    1.1,
    1.1,
    1.15,
    1.2,
    1.25,
    1.15,
    0.9,
    0.65,
    0.45,
]


def build_traffic(rng: random.Random) -> list[Record]:
    traffic = Traffic(rng)
    clients = ClientPool(rng, 4000, 800)
    web = [HOSTS["web-1"], HOSTS["web-2"]]
    app = [HOSTS["app-1"], HOSTS["app-2"]]
    db, batch, reporting = HOSTS["db"], HOSTS["batch"], HOSTS["reporting"]
    for h in range(HOURS):
        hs = T0 + h * 3600
        moment = WINDOW_START + timedelta(hours=h)
        hod, weekday = moment.hour, moment.weekday()

        def at(lo: int = 0, hi: int = 3599, base: int = hs) -> float:
            return base + rng.uniform(lo, hi)

        for host in web:
            assert host.ipv6 is not None
            # the public website
            for _ in range(max(0, round(10 * DIURNAL[hod]) + rng.randint(-2, 2))):
                ipv6 = rng.random() < 0.2
                client = clients.pick(ipv6)
                server = host.ipv6 if ipv6 else host.ip
                if rng.random() < 0.85:
                    traffic.tcp(
                        client,
                        _ephemeral(rng),
                        server,
                        443,
                        at(),
                        rng.uniform(0.3, 95),
                        _lognormal(rng, 3000, 1.0, 600, 400_000),
                        _lognormal(rng, 60_000, 1.4, 2_000, 30_000_000),
                    )
                else:
                    traffic.tcp(
                        client,
                        _ephemeral(rng),
                        server,
                        80,
                        at(),
                        rng.uniform(0.05, 0.8),
                        rng.randint(320, 620),
                        rng.randint(300, 520),
                    )
            # web -> app, web -> partner API
            for _ in range(2):
                target = rng.choice(app)
                traffic.tcp(
                    host.ip,
                    _ephemeral(rng),
                    target.ip,
                    8080,
                    at(),
                    rng.uniform(0.02, 3),
                    _lognormal(rng, 1500, 1.0, 300, 40_000),
                    _lognormal(rng, 12_000, 1.2, 800, 900_000),
                )
            traffic.tcp(
                host.ip,
                _ephemeral(rng),
                PARTNER_API,
                443,
                at(),
                rng.uniform(0.2, 2),
                _lognormal(rng, 2500, 0.5, 900, 20_000),
                _lognormal(rng, 6000, 0.6, 1200, 60_000),
            )
        if hs >= CANARY_TRAFFIC_FROM:
            traffic.tcp(
                web[0].ip,
                _ephemeral(rng),
                HOSTS["canary"].ip,
                8080,
                at(),
                rng.uniform(0.02, 2),
                _lognormal(rng, 1500, 1.0, 300, 40_000),
                _lognormal(rng, 12_000, 1.2, 800, 900_000),
            )

        # app -> db: one pooled connection per app interface, re-opened every hour
        for host in app:
            t0 = at(0, 240)
            traffic.tcp(
                host.ip,
                _ephemeral(rng),
                db.ip,
                5432,
                t0,
                rng.uniform(3300, 3590),
                _lognormal(rng, 150_000, 0.8, 5_000, 5_000_000),
                _lognormal(rng, 900_000, 0.9, 20_000, 40_000_000),
                idle_share=0.7,
            )
            if rng.random() < 0.5:
                traffic.tcp(
                    host.ip,
                    _ephemeral(rng),
                    db.ip,
                    5432,
                    at(),
                    rng.uniform(0.01, 0.5),
                    rng.randint(400, 3000),
                    rng.randint(600, 20_000),
                )

        # batch: nightly downloads from S3, NTP every third hour
        if 1 <= hod <= 4:
            for _ in range(3):
                traffic.tcp(
                    batch.ip,
                    _ephemeral(rng),
                    rng.choice(S3_ADDRESSES),
                    443,
                    at(0, 3000),
                    rng.uniform(30, 300),
                    _lognormal(rng, 20_000, 0.8, 2_000, 400_000),
                    _lognormal(rng, 25_000_000, 0.8, 1_000_000, 200_000_000),
                )
        if h % 3 == 0:
            traffic.udp(batch.ip, _ephemeral(rng), rng.choice(NTP_SERVERS), 123, int(at()), 76)

        # SSH from the office admins, workdays 08-18 UTC
        if weekday < 5 and 8 <= hod <= 17:
            for admin in OFFICE_ADMINS:
                if rng.random() < 0.12:
                    traffic.tcp(
                        admin,
                        _ephemeral(rng),
                        rng.choice(web).ip,
                        22,
                        at(),
                        rng.uniform(300, 5400),
                        _lognormal(rng, 120_000, 1.0, 20_000, 2_000_000),
                        _lognormal(rng, 800_000, 1.2, 50_000, 30_000_000),
                        idle_share=0.3,
                    )

        # the weekly reporting export, Mondays 06:00 UTC
        if weekday == 0 and hod == 6:
            traffic.tcp(
                WEEKLY_CLIENT,
                _ephemeral(rng, windows=True),
                reporting.ip,
                3389,
                at(60, 400),
                rng.uniform(2100, 3000),
                rng.randint(2_000_000, 4_000_000),
                rng.randint(20_000_000, 60_000_000),
            )

        # internet scanners
        targets = [*web, batch, reporting]
        for _ in range(rng.randint(2, 5)):
            scanner = rng.choice(SCANNERS_V4)
            sport = 61000 if scanner == FIXED_PORT_SCANNER else rng.randint(32768, 65535)
            traffic.probe(scanner, sport, rng.choice(targets), rng.choice(SCAN_PORTS), int(at()))
        if rng.random() < 0.2:
            scanner = rng.choice(SCANNERS_V4)
            target = rng.choice(targets)
            t = int(at(0, 3500))
            for port in rng.sample(SWEEP_PORTS, rng.randint(6, 12)):
                sport = 61000 if scanner == FIXED_PORT_SCANNER else rng.randint(32768, 65535)
                traffic.probe(scanner, sport, target, port, t + rng.randint(0, 20))
        if rng.random() < 0.1:
            traffic.ping(rng.choice(SCANNERS_V4), rng.choice(targets), int(at()))
        if rng.random() < 0.08:
            traffic.probe(
                SCANNER_V6,
                rng.randint(32768, 65535),
                rng.choice(web),
                rng.choice((22, 80, 443, 21, 3389)),
                int(at()),
            )

    return _with_coverage_rows(rng, traffic.records + build_attacks(random.Random(SEED + 9)))


def _new_source(rng: random.Random, taken: set[str]) -> str:
    while True:
        addr = _global_v4(rng)
        if addr not in taken:
            taken.add(addr)
            return addr


def _burst(
    traffic: Traffic,
    client: str,
    servers: list[Host],
    port: int,
    attempts: int,
    minutes: float,
    up: Any,
    down: Any,
) -> None:
    """Credential brute force: `attempts` failed logins from one source within `minutes`, on
    one day, never again (each a full handshake and key exchange: a few KB each way)."""
    rng = traffic.rng
    start = T0 + rng.uniform(0, HOURS * 3600 - minutes * 60 - 60)
    for _ in range(attempts):
        t = start + rng.uniform(0, minutes * 60)
        traffic.session(client, rng.choice(servers).ip, port, t, rng.uniform(2, 9), up(), down())


# what a survey scanner's first exchange carries on an open port: (client, server) (packets,
# payload bytes), from the protocols' first messages (HTTP GET, TLS ClientHello, SSH
# identification + KEXINIT, RDP connection request, Postgres SSLRequest)
SURVEY_EXCHANGE = {
    80: ((4, (40, 200)), (4, (200, 600))),
    443: ((5, (200, 600)), (6, (2500, 4500))),
    22: ((5, (20, 50)), (5, (1000, 1600))),
    3389: ((4, (19, 60)), (3, (19, 19))),
    5432: ((5, (8, 8)), (4, (1, 1))),
}


def build_attacks(rng: random.Random) -> list[Record]:
    """Scanners that complete handshakes and send a few bytes, and the quiet host's weekly job.

    Modelled on ../shared/TRAFFIC_FACTS.md: SSH/RDP/Postgres brute force in bursts from sources
    seen on one day only (some try both web interfaces); single protocol probes (RDP connection
    request answered by a 19-byte confirm, Postgres SSLRequest/StartupMessage answered by 'N' and
    an ErrorResponse); survey scanners that come back on a few days, exchange first messages
    with every open port of every public address and are REJECTed on the closed ones.
    """
    traffic = Traffic(rng)
    taken = {*OFFICE_ADMINS, WEEKLY_CLIENT, *SCANNERS_V4}
    web = [HOSTS["web-1"], HOSTS["web-2"]]
    db, reporting = HOSTS["db"], HOSTS["reporting"]

    def sized(packets: tuple[int, int], payload: tuple[int, int]) -> Any:
        return lambda: (rng.randint(*packets), rng.randint(*payload))

    for _ in range(SSH_BRUTE_FORCERS):
        servers = web if rng.random() < 0.3 else [rng.choice(web)]
        _burst(
            traffic,
            _new_source(rng, taken),
            servers,
            22,
            _lognormal(rng, 25, 0.7, 6, 200),
            rng.uniform(10, 100),
            sized((12, 22), (1600, 3200)),
            sized((10, 18), (1800, 3600)),
        )
    for _ in range(RDP_BRUTE_FORCERS):  # with NLA: TLS and CredSSP before the failure
        _burst(
            traffic,
            _new_source(rng, taken),
            [reporting],
            3389,
            _lognormal(rng, 20, 0.6, 6, 120),
            rng.uniform(15, 90),
            sized((14, 24), (2500, 5000)),
            sized((12, 20), (3500, 7000)),
        )
    for _ in range(DB_BRUTE_FORCERS):  # StartupMessage + password, answered by an error
        _burst(
            traffic,
            _new_source(rng, taken),
            [db],
            5432,
            _lognormal(rng, 20, 0.6, 6, 120),
            rng.uniform(10, 60),
            sized((6, 10), (150, 420)),
            sized((5, 9), (150, 520)),
        )
    for _ in range(RDP_PROBERS):
        client, t = _new_source(rng, taken), T0 + rng.uniform(0, HOURS * 3600 - 600)
        for _ in range(rng.randint(1, 2)):
            up = (4, rng.randint(19, 60))  # X.224 Connection Request, often with a cookie
            traffic.session(client, reporting.ip, 3389, t, rng.uniform(0.2, 2), up, (3, 19))
            t += rng.uniform(1, 30)
    for _ in range(POSTGRES_PROBERS):
        client, t = _new_source(rng, taken), T0 + rng.uniform(0, HOURS * 3600 - 600)
        for _ in range(rng.randint(1, 2)):
            up = (6, 8 + rng.randint(40, 100))  # SSLRequest, then a StartupMessage
            down = (5, 1 + rng.randint(60, 120))  # 'N', then an ErrorResponse
            traffic.session(client, db.ip, 5432, t, rng.uniform(0.2, 2), up, down)
            t += rng.uniform(1, 30)
    public = [*web, reporting, db, HOSTS["batch"]]
    for _ in range(SURVEY_SWEEPERS):
        scanner = _new_source(rng, taken)
        for day in rng.sample(range(WINDOW_DAYS), rng.randint(1, 4)):
            t = T0 + day * 86400 + rng.uniform(0, 86400 - 3600)
            for host in public:
                for port in rng.sample(SWEEP_PORTS, 8):
                    moment = t + rng.uniform(0, 1800)
                    open_port = allowed(host, port, 4) and port in LISTENING.get(host.name, ())
                    if port in SURVEY_EXCHANGE and open_port:
                        (up_p, up_b), (down_p, down_b) = SURVEY_EXCHANGE[port]
                        up = (up_p, rng.randint(*up_b))
                        down = (down_p, rng.randint(*down_b))
                        traffic.session(scanner, host.ip, port, moment, 1.5, up, down)
                        continue
                    traffic.probe(scanner, _ephemeral(rng), host, port, int(moment))
    # the quiet host: nothing reaches it; once a week its job fetches its input from S3
    jobs = HOSTS[QUIET_HOST]
    for week_day in range(3, WINDOW_DAYS, 7):  # Sundays 02:00 UTC (Oct 4, 11, 18)
        t = T0 + week_day * 86400 + 2 * 3600 + rng.uniform(0, 600)
        traffic.tcp(
            jobs.ip,
            _ephemeral(rng),
            rng.choice(S3_ADDRESSES),
            443,
            t,
            rng.uniform(60, 240),
            _lognormal(rng, 15_000, 0.5, 2_000, 200_000),
            _lognormal(rng, 40_000_000, 0.5, 1_000_000, 300_000_000),
        )
    return traffic.records


def _with_coverage_rows(rng: random.Random, records: list[Record]) -> list[Record]:
    """Drop web-2's records in its SKIPDATA hours; add SKIPDATA and NODATA rows."""
    skip_host = "web-2"
    records = [
        r for r in records if not (r.host == skip_host and SKIPDATA_FROM <= r.start < SKIPDATA_TO)
    ]
    busy: dict[str, set[int]] = defaultdict(set)
    for r in records:
        busy[r.host].add((r.start - T0) // INTERVAL)
    out = list(records)
    for host in HOSTS.values():
        if host.subnet.flow_log_id is None or host.name == QUIET_HOST:
            continue
        for slot in range(HOURS * 3600 // INTERVAL):
            s = T0 + slot * INTERVAL
            if host.name == skip_host and SKIPDATA_FROM <= s < SKIPDATA_TO:
                status = "SKIPDATA"
            elif slot in busy[host.name]:
                continue
            else:
                status = "NODATA"
            a, b = s + rng.randint(0, 9), s + INTERVAL - rng.randint(1, 9)
            out.append(
                Record(host.name, None, None, None, None, None, None, None, a, b, None, status)
            )
    return out


# --------------------------------------------------------------------------- writing objects


def field_value(record: Record, name: str) -> Any:
    host = HOSTS[record.host]
    ok = record.log_status == "OK"
    family = ipaddress.ip_address(record.src).version if ok and record.src else None
    values: dict[str, Any] = {
        "version": None,  # filled by the writer
        "account-id": ACCOUNT,
        "interface-id": host.eni_id,
        "srcaddr": record.src,
        "dstaddr": record.dst,
        "srcport": record.srcport,
        "dstport": record.dstport,
        "protocol": record.protocol,
        "packets": record.packets,
        "bytes": record.bytes,
        "start": record.start,
        "end": record.end,
        "action": record.action,
        "log-status": record.log_status,
        "vpc-id": VPC_ID,
        "subnet-id": host.subnet.subnet_id,
        "instance-id": host.instance_id,
        "tcp-flags": record.tcp_flags if ok else None,
        "type": {4: "IPv4", 6: "IPv6"}.get(family or 0),
        "pkt-srcaddr": record.src,
        "pkt-dstaddr": record.dst,
        "region": REGION,
        "az-id": host.subnet.az_id,
        "flow-direction": record.direction,
        "traffic-path": record.traffic_path,
    }
    return values[name]


def format_version(fields: list[str]) -> int:
    v5 = {"flow-direction", "traffic-path", "pkt-src-aws-service", "pkt-dst-aws-service"}
    v4 = {"region", "az-id", "sublocation-type", "sublocation-id"}
    if v5 & set(fields):
        return 5
    if v4 & set(fields):
        return 4
    if {"tcp-flags", "type", "vpc-id", "subnet-id", "instance-id", "pkt-srcaddr"} & set(fields):
        return 3
    return 2


def object_name(flow_log_id: str, hour: datetime, suffix: str) -> str:
    stamp = hour.strftime("%Y%m%dT%H%MZ")
    digest = hashlib.sha256(f"{flow_log_id}/{stamp}".encode()).hexdigest()[:8]
    return f"{ACCOUNT}_vpcflowlogs_{REGION}_{flow_log_id}_{stamp}_{digest}{suffix}"


def write_text_object(path: Path, fields: list[str], rows: list[Record]) -> None:
    version = format_version(fields)
    lines = [" ".join(fields)]
    for record in rows:
        values = []
        for name in fields:
            value = version if name == "version" else field_value(record, name)
            values.append("-" if value is None else str(value))
        lines.append(" ".join(values))
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def write_parquet_object(path: Path, fields: list[str], rows: list[Record]) -> None:
    version = format_version(fields)
    columns = {}
    schema = []
    for name in fields:
        column = name.replace("-", "_")
        kind = pa.int32() if name in INT32 else pa.int64() if name in INT64 else pa.string()
        values = [version if name == "version" else field_value(r, name) for r in rows]
        columns[column] = pa.array(values, type=kind)
        schema.append(pa.field(column, kind))
    table = pa.Table.from_pydict(columns, schema=pa.schema(schema))
    buffer = io.BytesIO()
    pq.write_table(
        table,
        buffer,
        compression="gzip",
        use_dictionary=False,
        store_schema=False,
        write_statistics=False,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def write_flow_logs(out: Path, records: list[Record]) -> None:
    by_object: dict[tuple[str, int], list[Record]] = defaultdict(list)
    for r in records:
        flow_log_id = HOSTS[r.host].subnet.flow_log_id
        assert flow_log_id is not None
        by_object[(flow_log_id, (r.end - T0) // 3600)].append(r)
    for (flow_log_id, h), rows in sorted(by_object.items()):
        rows.sort(key=lambda r: (r.end, r.start, r.host, r.src or "", r.srcport or 0, r.dst or ""))
        _, fields, file_format = FLOW_LOGS[flow_log_id]
        hour = WINDOW_START + timedelta(hours=h)
        if file_format == "parquet":
            folder = (
                out
                / "AWSLogs"
                / f"aws-account-id={ACCOUNT}"
                / "aws-service=vpcflowlogs"
                / f"aws-region={REGION}"
                / f"year={hour:%Y}"
                / f"month={hour:%m}"
                / f"day={hour:%d}"
                / f"hour={hour:%H}"
            )
            write_parquet_object(
                folder / object_name(flow_log_id, hour, ".log.parquet"), fields, rows
            )
        else:
            folder = out / "AWSLogs" / ACCOUNT / "vpcflowlogs" / REGION / f"{hour:%Y/%m/%d}"
            write_text_object(folder / object_name(flow_log_id, hour, ".log.gz"), fields, rows)


# --------------------------------------------------------------------------- inventory JSON


def _tags(**tags: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def security_groups() -> dict[str, Any]:
    groups = []
    for gid, (name, description) in GROUP_NAMES.items():
        ingress, egress = GROUP_RULES[gid]
        group = {
            "Description": description,
            "GroupName": name,
            "IpPermissions": ingress,
            "OwnerId": ACCOUNT,
            "GroupId": gid,
            "IpPermissionsEgress": egress,
            "VpcId": VPC_ID,
            "SecurityGroupArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{gid}",
        }
        if name != "default":
            group["Tags"] = _tags(Name=name, team="shop")
        groups.append(group)
    return {"SecurityGroups": groups}


def security_group_rules() -> dict[str, Any]:
    rules = []
    n = 0
    for gid in GROUP_NAMES:
        ingress, egress = GROUP_RULES[gid]
        for is_egress, perms in ((False, ingress), (True, egress)):
            for perm in perms:
                peers: list[tuple[str, Any, str | None]] = []
                peers += [("CidrIpv4", r["CidrIp"], r.get("Description")) for r in perm["IpRanges"]]
                peers += [
                    ("CidrIpv6", r["CidrIpv6"], r.get("Description")) for r in perm["Ipv6Ranges"]
                ]
                peers += [
                    (
                        "ReferencedGroupInfo",
                        {"GroupId": r["GroupId"], "UserId": ACCOUNT},
                        r.get("Description"),
                    )
                    for r in perm["UserIdGroupPairs"]
                ]
                for key, value, description in peers:
                    n += 1
                    rule: dict[str, Any] = {
                        "SecurityGroupRuleId": f"sgr-0{n:016x}",
                        "GroupId": gid,
                        "GroupOwnerId": ACCOUNT,
                        "IsEgress": is_egress,
                        "IpProtocol": perm["IpProtocol"],
                        "FromPort": perm.get("FromPort", -1),
                        "ToPort": perm.get("ToPort", -1),
                        key: value,
                        "Tags": [],
                        "SecurityGroupRuleArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group-rule/sgr-0{n:016x}",
                    }
                    if description:
                        rule["Description"] = description
                    rules.append(rule)
    return {"SecurityGroupRules": rules}


def _public_dns(ip: str) -> str:
    return f"ec2-{ip.replace('.', '-')}.{REGION}.compute.amazonaws.com"


def _private_dns(ip: str) -> str:
    return f"ip-{ip.replace('.', '-')}.{REGION}.compute.internal"


def network_interfaces() -> dict[str, Any]:
    out = []
    for host in HOSTS.values():
        association = None
        if host.public_ip:
            association = {
                "IpOwnerId": "amazon",
                "PublicDnsName": _public_dns(host.public_ip),
                "PublicIp": host.public_ip,
            }
        private = {
            "Primary": True,
            "PrivateDnsName": _private_dns(host.ip),
            "PrivateIpAddress": host.ip,
        }
        if association:
            private["Association"] = association
        eni: dict[str, Any] = {}
        if association:
            eni["Association"] = association
        if host.instance_id:
            eni["Attachment"] = {
                "AttachTime": host.attach_time,
                "AttachmentId": "eni-attach-0" + host.eni_id[-16:],
                "DeleteOnTermination": True,
                "DeviceIndex": 0,
                "NetworkCardIndex": 0,
                "InstanceId": host.instance_id,
                "InstanceOwnerId": ACCOUNT,
                "Status": "attached",
            }
        else:
            eni["Attachment"] = {
                "AttachTime": host.attach_time,
                "AttachmentId": "eni-attach-0" + host.eni_id[-16:],
                "DeleteOnTermination": False,
                "DeviceIndex": 1,
                "InstanceOwnerId": "amazon-rds",
                "Status": "attached",
            }
        eni.update(
            {
                "AvailabilityZone": host.subnet.az,
                "Description": host.description,
                "Groups": [{"GroupId": g, "GroupName": GROUP_NAMES[g][0]} for g in host.group_ids],
                "InterfaceType": "interface",
                "Ipv6Addresses": [{"Ipv6Address": host.ipv6}] if host.ipv6 else [],
                "MacAddress": host.mac,
                "NetworkInterfaceId": host.eni_id,
                "OwnerId": ACCOUNT,
                "PrivateDnsName": _private_dns(host.ip),
                "PrivateIpAddress": host.ip,
                "PrivateIpAddresses": [private],
                "RequesterManaged": host.requester_managed,
                "SourceDestCheck": True,
                "Status": "in-use",
                "SubnetId": host.subnet.subnet_id,
                "TagSet": [],
                "VpcId": VPC_ID,
            }
        )
        if host.requester_managed:
            eni["RequesterId"] = "amazon-rds"
        out.append(eni)
    return {"NetworkInterfaces": out}


def flow_logs() -> dict[str, Any]:
    out = []
    for flow_log_id, (subnet_name, fields, file_format) in FLOW_LOGS.items():
        out.append(
            {
                "CreationTime": "2026-09-30T16:41:07.318000+00:00",
                "DeliverLogsStatus": "SUCCESS",
                "FlowLogId": flow_log_id,
                "FlowLogStatus": "ACTIVE",
                "ResourceId": SUBNETS[subnet_name].subnet_id,
                "TrafficType": "ALL",
                "LogDestinationType": "s3",
                "LogDestination": f"arn:aws:s3:::{BUCKET}",
                "LogFormat": " ".join("${" + f + "}" for f in fields),
                "Tags": _tags(Name=f"flow-logs-{subnet_name}"),
                "MaxAggregationInterval": INTERVAL,
                "DestinationOptions": {
                    "FileFormat": file_format,
                    "HiveCompatiblePartitions": file_format == "parquet",
                    "PerHourPartition": file_format == "parquet",
                },
            }
        )
    return {"FlowLogs": out}


INSTANCE_TYPES = {
    "web-1": "t3.medium",
    "web-2": "t3.medium",
    "app-1": "m6i.large",
    "app-2": "m6i.large",
    "batch": "c6i.xlarge",
    "reporting": "t3.large",
    "canary": "m6i.large",
    "jobs": "t3.small",
}


def instances() -> dict[str, Any]:
    reservations = []
    for host in HOSTS.values():
        if host.instance_id is None:
            continue
        eni = next(
            e
            for e in network_interfaces()["NetworkInterfaces"]
            if e["NetworkInterfaceId"] == host.eni_id
        )
        instance: dict[str, Any] = {
            "AmiLaunchIndex": 0,
            "ImageId": "ami-0f3164307ee5d695a"
            if host.name != "reporting"
            else "ami-0a9a7b7f8b4a1c2d3",
            "InstanceId": host.instance_id,
            "InstanceType": INSTANCE_TYPES[host.name],
            "LaunchTime": host.attach_time,
            "Placement": {
                "AvailabilityZone": host.subnet.az,
                "GroupName": "",
                "Tenancy": "default",
            },
            "PrivateDnsName": _private_dns(host.ip),
            "PrivateIpAddress": host.ip,
            "PublicDnsName": _public_dns(host.public_ip) if host.public_ip else "",
            "State": {"Code": 16, "Name": "running"},
            "SubnetId": host.subnet.subnet_id,
            "VpcId": VPC_ID,
            "Architecture": "x86_64",
            "NetworkInterfaces": [eni],
            "SecurityGroups": [
                {"GroupId": g, "GroupName": GROUP_NAMES[g][0]} for g in host.group_ids
            ],
            "MetadataOptions": {"HttpTokens": "optional" if host.name == "batch" else "required"},
            "Platform": "windows" if host.name == "reporting" else None,
            "Tags": _tags(Name=host.name, team="shop"),
        }
        if host.public_ip:
            instance["PublicIpAddress"] = host.public_ip
        if instance["Platform"] is None:
            del instance["Platform"]
        if host.ipv6:
            instance["Ipv6Address"] = host.ipv6
        reservations.append(
            {
                "Groups": [],
                "Instances": [instance],
                "OwnerId": ACCOUNT,
                "ReservationId": "r-0" + host.instance_id[-16:],
            }
        )
    return {"Reservations": reservations}


DB_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders-db"


def db_instances() -> dict[str, Any]:
    return {
        "DBInstances": [
            {
                "DBInstanceIdentifier": "orders-db",
                "DBInstanceClass": "db.m6g.large",
                "Engine": "postgres",
                "EngineVersion": "16.4",
                "DBInstanceStatus": "available",
                "MasterUsername": "orders_admin",
                "Endpoint": {
                    "Address": "orders-db.c9akciq32.eu-west-1.rds.amazonaws.com",
                    "Port": 5432,
                    "HostedZoneId": "Z29XKXDKYMONMX",
                },
                "AllocatedStorage": 100,
                "InstanceCreateTime": "2025-03-02T11:20:45.102000+00:00",
                "VpcSecurityGroups": [{"VpcSecurityGroupId": SG_DB, "Status": "active"}],
                "AvailabilityZone": "eu-west-1a",
                "DBSubnetGroup": {
                    "DBSubnetGroupName": "orders-db-subnets",
                    "DBSubnetGroupDescription": "orders database",
                    "VpcId": VPC_ID,
                    "SubnetGroupStatus": "Complete",
                    "Subnets": [
                        {
                            "SubnetIdentifier": SUBNETS["data"].subnet_id,
                            "SubnetAvailabilityZone": {"Name": "eu-west-1a"},
                            "SubnetStatus": "Active",
                        }
                    ],
                },
                "MultiAZ": False,
                "PubliclyAccessible": True,
                "StorageEncrypted": True,
                "DbiResourceId": "db-7QWERTYUIOPASDFGHJKLZXCVBN",
                "DBInstanceArn": DB_ARN,
                "DbInstancePort": 0,
                "DeletionProtection": True,
            }
        ]
    }


# --------------------------------------------------------------------------- findings


CONTROL_TITLES = {
    "EC2.2": ("VPC default security groups should not allow inbound or outbound traffic", "HIGH"),
    "EC2.8": ("EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)", "HIGH"),
    "EC2.9": ("Amazon EC2 instances should not have a public IPv4 address", "HIGH"),
    "EC2.13": (
        "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22",
        "HIGH",
    ),
    "EC2.14": (
        "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 3389",
        "HIGH",
    ),
    "EC2.18": (
        "Security groups should only allow unrestricted incoming traffic for authorized ports",
        "HIGH",
    ),
    "EC2.19": (
        "Security groups should not allow unrestricted access to ports with high risk",
        "CRITICAL",
    ),
    "EC2.53": (
        "EC2 security groups should not allow ingress from 0.0.0.0/0 to remote server administration ports",
        "HIGH",
    ),
    "RDS.2": (
        "RDS DB Instances should prohibit public access, as determined by the PubliclyAccessible configuration",
        "CRITICAL",
    ),
}
NORMALIZED = {"CRITICAL": 90, "HIGH": 70}
STANDARDS = [
    {"StandardsId": "standards/aws-foundational-security-best-practices/v/1.0.0"},
    {"StandardsId": "standards/cis-aws-foundations-benchmark/v/3.0.0"},
]


def _finding_uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "sgharden-sample/" + "/".join(parts)))


def _group_resource(gid: str) -> dict[str, Any]:
    name = GROUP_NAMES.get(gid, ("old-ftp", ""))[0]
    ingress, egress = GROUP_RULES.get(gid, ([_perm("tcp", 21, WORLD)], _egress_all()))
    strip = [{k: v for k, v in p.items() if v != []} for p in ingress]
    strip_egress = [{k: v for k, v in p.items() if v != []} for p in egress]
    return {
        "Type": "AwsEc2SecurityGroup",
        "Id": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{gid}",
        "Partition": "aws",
        "Region": REGION,
        "Details": {
            "AwsEc2SecurityGroup": {
                "GroupName": name,
                "GroupId": gid,
                "OwnerId": ACCOUNT,
                "VpcId": VPC_ID,
                "IpPermissions": strip,
                "IpPermissionsEgress": strip_egress,
            }
        },
    }


def _instance_resource(host: Host) -> dict[str, Any]:
    details: dict[str, Any] = {
        "Type": INSTANCE_TYPES[host.name],
        "ImageId": "ami-0f3164307ee5d695a",
        "IpV4Addresses": [host.ip] + ([host.public_ip] if host.public_ip else []),
        "VpcId": VPC_ID,
        "SubnetId": host.subnet.subnet_id,
        "LaunchedAt": host.attach_time.replace("+00:00", "Z"),
        "NetworkInterfaces": [{"NetworkInterfaceId": host.eni_id}],
    }
    if host.ipv6:
        details["IpV6Addresses"] = [host.ipv6]
    return {
        "Type": "AwsEc2Instance",
        "Id": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{host.instance_id}",
        "Partition": "aws",
        "Region": REGION,
        "Details": {"AwsEc2Instance": details},
    }


def _db_resource() -> dict[str, Any]:
    return {
        "Type": "AwsRdsDbInstance",
        "Id": DB_ARN,
        "Partition": "aws",
        "Region": REGION,
        "Details": {
            "AwsRdsDbInstance": {
                "DBInstanceIdentifier": "orders-db",
                "DBInstanceClass": "db.m6g.large",
                "DbInstancePort": 0,
                "Endpoint": {
                    "Address": "orders-db.c9akciq32.eu-west-1.rds.amazonaws.com",
                    "Port": 5432,
                },
                "Engine": "postgres",
                "PubliclyAccessible": True,
                "VpcSecurityGroups": [{"VpcSecurityGroupId": SG_DB, "Status": "active"}],
            }
        },
    }


def _base_finding(
    finding_id: str,
    generator: str,
    title: str,
    severity: str,
    resource: dict[str, Any],
    first_seen: str,
) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": f"arn:aws:securityhub:{REGION}::product/aws/securityhub",
        "ProductName": "Security Hub",
        "CompanyName": "AWS",
        "Region": REGION,
        "GeneratorId": generator,
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "FirstObservedAt": first_seen,
        "LastObservedAt": FINDINGS_UPDATED,
        "CreatedAt": first_seen,
        "UpdatedAt": FINDINGS_UPDATED,
        "Severity": {"Label": severity, "Normalized": NORMALIZED[severity], "Original": severity},
        "Title": title,
        "Description": title + ".",
        "ProductFields": {
            "aws/securityhub/ProductName": "Security Hub",
            "aws/securityhub/CompanyName": "AWS",
            "Resources:0/Id": resource["Id"],
        },
        "Resources": [resource],
        "WorkflowState": "NEW",
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }


def consolidated(
    control: str,
    resource: dict[str, Any],
    *,
    status: str = "FAILED",
    record_state: str = "ACTIVE",
    annotation: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    title, severity = CONTROL_TITLES[control]
    fid = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:security-control/{control}/finding/{_finding_uuid(control, resource['Id'])}"
    finding = _base_finding(
        fid, f"security-control/{control}", title, severity, resource, "2026-09-12T08:31:52.114Z"
    )
    finding["ProductFields"]["aws/securityhub/FindingId"] = (
        f"arn:aws:securityhub:{REGION}::product/aws/securityhub/{fid}"
    )
    if annotation:
        finding["ProductFields"]["aws/securityhub/annotation"] = annotation
    compliance: dict[str, Any] = {
        "Status": status,
        "SecurityControlId": control,
        "AssociatedStandards": STANDARDS,
    }
    if parameters:
        compliance["SecurityControlParameters"] = parameters
    finding["Compliance"] = compliance
    finding["RecordState"] = record_state
    finding["Remediation"] = {
        "Recommendation": {
            "Text": "For information on how to correct this issue, consult the AWS Security Hub controls documentation.",
            "Url": f"https://docs.aws.amazon.com/console/securityhub/{control}/remediation",
        }
    }
    if record_state == "ARCHIVED":
        finding["Workflow"] = {"Status": "RESOLVED"}
        finding["WorkflowState"] = "RESOLVED"
    return finding


def legacy(
    generator: str,
    standard_arn: str,
    control_field: dict[str, str],
    title: str,
    severity: str,
    resource: dict[str, Any],
    finding_path: str,
) -> dict[str, Any]:
    fid = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:subscription/{finding_path}/finding/{_finding_uuid(generator, resource['Id'])}"
    finding = _base_finding(fid, generator, title, severity, resource, "2025-06-03T14:02:19.870Z")
    finding["ProductFields"].update(
        {
            "StandardsArn": standard_arn,
            "StandardsSubscriptionArn": f"arn:aws:securityhub:{REGION}:{ACCOUNT}:subscription/{standard_arn.split(':::')[1]}",
            **control_field,
            "aws/securityhub/FindingId": f"arn:aws:securityhub:{REGION}::product/aws/securityhub/{fid}",
        }
    )
    finding["Compliance"] = {"Status": "FAILED"}
    return finding


def findings() -> dict[str, Any]:
    web, app, db_g, rep = (_group_resource(g) for g in (SG_WEB, SG_APP, SG_DB, SG_REPORTING))
    ec2_18_params = [{"Name": "authorizedTcpPorts", "Value": "80,443"}]
    out = [
        consolidated("EC2.19", web, annotation="Unrestricted access to high-risk ports: 21, 22."),
        consolidated("EC2.13", web),
        consolidated(
            "EC2.18",
            web,
            parameters=ec2_18_params,
            annotation="No tcp ['21', '22'] port is authorized to be open, according to authorizedTcpPorts values ['80,443'] parameter.",
        ),
        consolidated("EC2.53", web),
        consolidated("EC2.19", app, annotation="Unrestricted access to high-risk ports: 8080."),
        consolidated("EC2.18", app, parameters=ec2_18_params),
        consolidated("EC2.19", db_g, annotation="Unrestricted access to high-risk ports: 5432."),
        consolidated("EC2.18", db_g, parameters=ec2_18_params),
        consolidated("EC2.19", rep, annotation="Unrestricted access to high-risk ports: 3389."),
        consolidated("EC2.18", rep, parameters=ec2_18_params),
        consolidated("EC2.53", rep),
        consolidated(
            "EC2.19",
            _group_resource(SG_CANARY),
            annotation="Unrestricted access to high-risk ports: 8080.",
        ),
        consolidated("EC2.2", _group_resource(SG_DEFAULT)),
        consolidated(
            "EC2.19",
            _group_resource(SG_JOBS),
            annotation="Unrestricted access to high-risk ports: 22.",
        ),
        consolidated("EC2.13", _group_resource(SG_JOBS)),
        *(
            consolidated("EC2.9", _instance_resource(HOSTS[n]))
            for n in ("web-1", "web-2", "batch", "reporting")
        ),
        # to be ignored: archived (group since deleted), passed, out of scope
        consolidated("EC2.19", _group_resource(SG_DELETED), record_state="ARCHIVED"),
        consolidated("EC2.19", _group_resource(SG_BATCH), status="PASSED"),
        consolidated("EC2.8", _instance_resource(HOSTS["batch"])),
        # legacy per-standard shapes
        legacy(
            "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.1",
            "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
            {"RuleId": "4.1"},
            "4.1 Ensure no security groups allow ingress from 0.0.0.0/0 to port 22",
            "HIGH",
            web,
            "cis-aws-foundations-benchmark/v/1.2.0/4.1",
        ),
        legacy(
            "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.2",
            "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
            {"RuleId": "4.2"},
            "4.2 Ensure no security groups allow ingress from 0.0.0.0/0 to port 3389",
            "HIGH",
            rep,
            "cis-aws-foundations-benchmark/v/1.2.0/4.2",
        ),
        legacy(
            "pci-dss/v/3.2.1/PCI.EC2.2",
            "arn:aws:securityhub:::standards/pci-dss/v/3.2.1",
            {"ControlId": "PCI.EC2.2"},
            "PCI.EC2.2 VPC default security group should prohibit inbound and outbound traffic",
            "HIGH",
            _group_resource(SG_DEFAULT),
            "pci-dss/v/3.2.1/PCI.EC2.2",
        ),
        legacy(
            "aws-foundational-security-best-practices/v/1.0.0/RDS.2",
            "arn:aws:securityhub:::standards/aws-foundational-security-best-practices/v/1.0.0",
            {"ControlId": "RDS.2"},
            "RDS.2 RDS DB Instances should prohibit public access, determined by the PubliclyAccessible configuration",
            "CRITICAL",
            _db_resource(),
            "aws-foundational-security-best-practices/v/1.0.0/RDS.2",
        ),
    ]
    return {"Findings": out}


# --------------------------------------------------------------------------- main


def _dump(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def generate(out: Path) -> Path:
    """Write the snapshot under `out` (replacing it); returns the account/region folder."""
    if out.exists():
        shutil.rmtree(out)
    folder = out / ACCOUNT / REGION
    folder.mkdir(parents=True)
    _dump(folder / "findings.json", findings())
    _dump(folder / "security-groups.json", security_groups())
    _dump(folder / "security-group-rules.json", security_group_rules())
    _dump(folder / "network-interfaces.json", network_interfaces())
    _dump(folder / "flow-logs.json", flow_logs())
    _dump(folder / "instances.json", instances())
    _dump(folder / "db-instances.json", db_instances())
    records = build_traffic(random.Random(SEED))
    write_flow_logs(folder / "flow-logs", records)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "snapshot")
    args = parser.parse_args()
    folder = generate(args.out)
    files = [p for p in args.out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(f"wrote {folder}: {len(files)} files, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
