"""Generate the benchmark's flow logs: N records, custom v5 format, as gzip text AND as Parquet.

    python bench/generate.py [--records 20000000] [--per-object 250000] [--out bench/data]

Both trees hold the same records, object for object:

    bench/data/text/AWSLogs/123456789012/vpcflowlogs/eu-west-1/YYYY/MM/DD/<acct>_vpcflowlogs_..._<fl>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
    bench/data/parquet/AWSLogs/aws-account-id=.../aws-service=vpcflowlogs/aws-region=.../year=/month=/day=/hour=/....log.parquet

Everything is computed by DuckDB from the record number (hash-based, so the same N gives the same
records on every machine and in any thread order): `COPY (SELECT ... FROM range(lo, hi)) TO ...`
once per object. Records are in time order over a 7-day window, so the first k objects of a
20M run are a smaller, earlier run with the same distributions (the runner measures 2M and 5M
that way).

What the records look like (per connection, two records: request and response, each on the one
interface of the flow log; the responder's port is the service port):
- 300 interfaces in 12 subnets, popularity skewed (a few carry most of the traffic); roles by
  interface: web (443 and 80), app (8080), db (5432), ssh (22), cache (6379), metrics (9090).
- 52% inbound connections from the internet: remote addresses heavy-tailed over ~3M addresses
  (a few hundred clients make most connections, most appear once), 8% IPv6.
- 26% outbound connections to ~5000 internet services (443 and udp/123): their responses arrive
  at ephemeral ports (return traffic).
- 10% scanners: 200 addresses, SYN to random ports, REJECT, one packet.
- 11.5% long-lived connections inside the VPC (5432, 6379): later intervals, tcp-flags 0.
- 0.5% NODATA rows.
- tcp-flags: 3/19 for one-interval connections, 2/18 first intervals, 0 long-lived, 2 scans.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

ACCOUNT = "123456789012"
REGION = "eu-west-1"
FLOW_LOG_ID = "fl-0b3c4d5e6f7a8b9c0"
WINDOW_START = datetime(2026, 10, 1, tzinfo=UTC)
WINDOW_SECONDS = 7 * 24 * 3600

FIELDS = [
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
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "flow-direction",
    "traffic-path",
]

# One macro that turns record numbers [lo, hi) of an N-record run into flow records.
# u(x, k): a uniform number in [0, 1) from the hash of (x, k).
RECORDS_SQL = """
CREATE OR REPLACE MACRO u(x, k) AS (hash(x, k) % 1000003)::DOUBLE / 1000003;
CREATE OR REPLACE MACRO v4(r, salt) AS
    printf('%d.%d.%d.%d', 11 + hash(r, salt) % 180, hash(r, salt + 1) % 256, (r // 256) % 256, r % 256);
CREATE OR REPLACE MACRO flow_records(lo, hi, n, t0, span) AS TABLE
WITH rec AS (
    SELECT i, i // 2 AS c, i % 2 AS leg FROM range(lo, hi) t(i)
), conn AS (
    SELECT *,
        hash(c, 1) % 1000 AS draw,
        least(299, floor(300 * pow(u(c, 2), 1.6)))::INTEGER AS eni,
        u(c, 3) AS ur,
        u(c, 4) < 0.08 AS v6,
        32768 + hash(c, 9) % 28232 AS eph,
        t0 + (i * span) // n + hash(c, 13) % 50 AS t_start
    FROM rec
), kinds AS (
    SELECT *,
        CASE WHEN draw < 520 THEN 'in' WHEN draw < 780 THEN 'out' WHEN draw < 880 THEN 'scan'
             WHEN draw < 995 THEN 'long' ELSE 'nodata' END AS kind,
        '10.0.' || (eni // 25) || '.' || (10 + eni % 25) AS eni_ip,
        '2a05:d018:8c4:e3' || lpad((eni // 25)::VARCHAR, 2, '0') || '::' || printf('%x', 16 + eni % 25) AS eni_ip6
    FROM conn
), peers AS (
    SELECT *,
        CASE kind
            WHEN 'in' THEN CASE eni % 10 WHEN 0 THEN 443 WHEN 1 THEN 443 WHEN 2 THEN 443
                                         WHEN 3 THEN CASE WHEN ur < 0.2 THEN 80 ELSE 443 END
                                         WHEN 4 THEN 8080 WHEN 5 THEN 8080 WHEN 6 THEN 5432
                                         WHEN 7 THEN 22 WHEN 8 THEN 6379 ELSE 9090 END
            WHEN 'out' THEN CASE WHEN u(c, 5) < 0.1 THEN 123 ELSE 443 END
            WHEN 'scan' THEN (1 + hash(c, 6) % 10000)::INTEGER
            WHEN 'long' THEN CASE WHEN u(c, 5) < 0.5 THEN 5432 ELSE 6379 END
        END AS service_port,
        CASE kind
            WHEN 'in' THEN CASE WHEN v6 THEN printf('2a01:%x:%x::%x', hash(floor(pow(ur, 5) * 3000000)::BIGINT, 7) % 65536,
                                                    floor(pow(ur, 5) * 3000000)::BIGINT // 65536, floor(pow(ur, 5) * 3000000)::BIGINT % 65536)
                                ELSE v4(floor(pow(ur, 5) * 3000000)::BIGINT, 8) END
            WHEN 'out' THEN v4(floor(pow(ur, 2) * 5000)::BIGINT, 10)
            WHEN 'scan' THEN v4((hash(c, 11) % 200)::BIGINT * 7919, 12)
            WHEN 'long' THEN '10.0.' || (hash(c, 14) % 12) || '.' || (10 + hash(c, 15) % 25)
        END AS remote,
        kind = 'in' AND v6 AS ipv6
    FROM kinds
), legs AS (
    SELECT *,
        CASE WHEN ipv6 THEN eni_ip6 ELSE eni_ip END AS local_addr,
        kind = 'in' OR kind = 'scan' AS remote_opens,
        CASE WHEN kind = 'out' AND service_port = 123 THEN 17 ELSE 6 END AS proto
    FROM peers
)
SELECT
    5 AS "version",
    '123456789012' AS "account-id",
    printf('eni-0%016x', 1311768467463790320 + eni) AS "interface-id",
    CASE WHEN kind = 'nodata' THEN NULL WHEN (leg = 0) = remote_opens THEN remote ELSE local_addr END AS "srcaddr",
    CASE WHEN kind = 'nodata' THEN NULL WHEN (leg = 0) = remote_opens THEN local_addr ELSE remote END AS "dstaddr",
    CASE WHEN kind = 'nodata' THEN NULL WHEN kind = 'scan' THEN eph + leg
         WHEN leg = 0 THEN eph ELSE service_port END::INTEGER AS "srcport",
    CASE WHEN kind = 'nodata' THEN NULL WHEN kind = 'scan' THEN service_port + leg
         WHEN leg = 0 THEN service_port ELSE eph END::INTEGER AS "dstport",
    CASE WHEN kind = 'nodata' THEN NULL ELSE proto END AS "protocol",
    CASE WHEN kind = 'nodata' THEN NULL WHEN kind = 'scan' THEN 1
         WHEN leg = 0 THEN 1 + floor(pow(u(c, 16), 3) * 200)
         ELSE 1 + floor(pow(u(c, 17), 3) * 2000) END::BIGINT AS "packets",
    CASE WHEN kind = 'nodata' THEN NULL WHEN kind = 'scan' THEN 44
         WHEN leg = 0 THEN (1 + floor(pow(u(c, 16), 3) * 200)) * (52 + hash(c, 18) % 600)
         ELSE (1 + floor(pow(u(c, 17), 3) * 2000)) * (52 + hash(c, 19) % 1400) END::BIGINT AS "bytes",
    t_start::BIGINT AS "start",
    (t_start + CASE WHEN kind = 'scan' THEN 0 ELSE hash(c, 20) % 60 END)::BIGINT AS "end",
    CASE WHEN kind = 'nodata' THEN NULL WHEN kind = 'scan' THEN 'REJECT' ELSE 'ACCEPT' END AS "action",
    CASE WHEN kind = 'nodata' THEN 'NODATA' ELSE 'OK' END AS "log-status",
    'vpc-0a1b2c3d4e5f60718' AS "vpc-id",
    printf('subnet-0%016x', 1311768467463790000 + eni // 25) AS "subnet-id",
    CASE WHEN eni % 10 = 6 THEN NULL ELSE printf('i-0%016x', 1311768467463700000 + eni) END AS "instance-id",
    CASE WHEN kind = 'nodata' OR proto = 17 THEN CASE WHEN kind = 'nodata' THEN NULL ELSE 0 END
         WHEN kind = 'scan' THEN 2
         WHEN kind = 'long' THEN CASE WHEN hash(c, 21) % 10 = 0 THEN 1 ELSE 0 END
         WHEN hash(c, 22) % 10 < 7 THEN CASE WHEN leg = 0 THEN 3 ELSE 19 END
         ELSE CASE WHEN leg = 0 THEN 2 ELSE 18 END END::INTEGER AS "tcp-flags",
    CASE WHEN kind = 'nodata' THEN NULL WHEN ipv6 THEN 'IPv6' ELSE 'IPv4' END AS "type",
    CASE WHEN kind = 'nodata' THEN NULL WHEN (leg = 0) = remote_opens THEN remote ELSE local_addr END AS "pkt-srcaddr",
    CASE WHEN kind = 'nodata' THEN NULL WHEN (leg = 0) = remote_opens THEN local_addr ELSE remote END AS "pkt-dstaddr",
    'eu-west-1' AS "region",
    'euw1-az' || (1 + (eni // 25) % 3) AS "az-id",
    CASE WHEN kind = 'nodata' THEN NULL WHEN (leg = 0) = remote_opens THEN 'ingress' ELSE 'egress' END AS "flow-direction",
    CASE WHEN kind = 'nodata' OR (leg = 0) = remote_opens THEN NULL
         WHEN kind = 'long' THEN 1 ELSE 8 END::INTEGER AS "traffic-path"
FROM legs
"""


def object_key(index: int, first_start: int, parquet: bool) -> str:
    stamp = datetime.fromtimestamp(first_start - first_start % 300, UTC)
    digest = hashlib.sha256(f"{FLOW_LOG_ID}/{index}".encode()).hexdigest()[:8]
    name = f"{ACCOUNT}_vpcflowlogs_{REGION}_{FLOW_LOG_ID}_{stamp:%Y%m%dT%H%MZ}_{digest}"
    if parquet:
        folder = (
            f"AWSLogs/aws-account-id={ACCOUNT}/aws-service=vpcflowlogs/aws-region={REGION}/"
            f"year={stamp:%Y}/month={stamp:%m}/day={stamp:%d}/hour={stamp:%H}"
        )
        return f"{folder}/{name}.log.parquet"
    return f"AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/{stamp:%Y/%m/%d}/{name}.log.gz"


def generate(out: Path, records: int, per_object: int, threads: int | None = None) -> list[Path]:
    """Write both trees; returns the text objects in record order."""
    for tree in ("text", "parquet"):
        if (out / tree).exists():
            shutil.rmtree(out / tree)
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    con.execute(RECORDS_SQL)
    t0 = int(WINDOW_START.timestamp())
    objects = math.ceil(records / per_object)
    written = []
    compressing: list[subprocess.Popen[bytes]] = []
    started = time.perf_counter()
    for index in range(objects):
        lo, hi = index * per_object, min(records, (index + 1) * per_object)
        first_start = t0 + (lo * WINDOW_SECONDS) // records
        select = f"SELECT * FROM flow_records({lo}, {hi}, {records}, {t0}, {WINDOW_SECONDS})"
        con.execute(f"CREATE OR REPLACE TEMP TABLE object AS {select}")
        text = out / "text" / object_key(index, first_start, parquet=False)
        text.parent.mkdir(parents=True, exist_ok=True)
        plain = text.with_suffix("")  # .log
        con.execute(
            f"COPY object TO '{plain}' (FORMAT csv, DELIMITER ' ', HEADER true, NULLSTR '-')"
        )
        # gzip(1) on the other core while DuckDB writes the Parquet object: DuckDB's own gzip
        # writer is several times slower.
        for proc in compressing:
            proc.wait()
        compressing = [subprocess.Popen(["gzip", "-6", "-f", "-n", str(plain)])]
        parquet = out / "parquet" / object_key(index, first_start, parquet=True)
        parquet.parent.mkdir(parents=True, exist_ok=True)
        renamed = ", ".join(f'"{f}" AS {f.replace("-", "_")}' for f in FIELDS)
        con.execute(
            f"COPY (SELECT {renamed} FROM object) TO '{parquet}' (FORMAT parquet, COMPRESSION gzip)"
        )
        written.append(text)
        elapsed = time.perf_counter() - started
        print(
            f"\r{index + 1}/{objects} objects, {hi:,} records, {elapsed:.0f}s",
            end="",
            file=sys.stderr,
        )
    for proc in compressing:
        proc.wait()
    print(file=sys.stderr)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000_000)
    parser.add_argument("--per-object", type=int, default=250_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.records % 2:
        parser.error("--records must be even (a connection is two records)")
    generate(args.out, args.records, args.per_object, args.threads)
    (args.out / "records.txt").write_text(f"{args.records} {args.per_object}\n")


if __name__ == "__main__":
    main()
