"""Write a many-account snapshot for the triage benchmark (and, small, for the triage tests).

    python bench/triage_snapshot.py --out bench/data/triage-snapshot            # ~35,000 findings
    python bench/triage_snapshot.py --out /tmp/t --accounts 2 --regions 1 --groups 6
    python bench/triage_snapshot.py --out /tmp/t --accounts 2 --regions 1 --groups 4 --flow-logs

Per account and region (`DIR/<account>/<region>/`, the layout `collect` writes): `--groups`
world-open groups (EC2.19 + EC2.18 on SSH/RDP/DB ports, EC2.13/EC2.14 when 22/3389 is open, a CIS
1.2.0 duplicate of EC2.13 so that the dedupe is exercised), each carried by 0-3 ENIs; the default
group (EC2.2) in use in every other region; one EC2.9 instance per 20 groups. The VPC has a flow
log, but every tenth ENI is in a second VPC without one (so `wait` lists ENIs without flow logs).

By default no flow-log objects are written: the benchmark times planning and triage over the
inventory, not ingest (bench/generate.py and bench/run.py measure that). `--flow-logs` also writes,
per account/region, the VPC log's delivered objects where AWS puts them and the snapshot reader
looks (`flow-logs/AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/<acct>_vpcflowlogs_<region>_<fl-id>_
<stamp>_<hash>.log.gz`, gzip text, the header listing flow-logs.json's LogFormat in its order), one
object per day over FLOW_LOG_DAYS days: on each group's first risky port, two private (internal)
sources connect to each of its ENIs in the main VPC once a day, and every hour without traffic has
a NODATA row, so the log delivered throughout and propose judges the window (14 days minimum, no
gaps). Those groups come out `ready`, narrowed to the two sources; ENIs in the dark VPC still have
no log. Small with small parameters (2 accounts x 1 region x 4 groups: 30 objects, ~1,300 rows), for
the recheck tests (tests/test_recheck_generated.py). Those tests, and tests/test_workflow_doc.py,
add later objects with the same helpers (write_flow_log_object / flow_log_key + flow_log_body,
real_session), so every object is named and laid out the one way.
Deterministic for a given --seed, and the inventory is the same with or without `--flow-logs`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")
RISKY = ((22, "EC2.13"), (3389, "EC2.14"), (5432, None), (3306, None), (6379, None), (9200, None))
LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
FLOW_LOG_START = datetime(2026, 10, 1, tzinfo=UTC)
FLOW_LOG_DAYS = 15  # over the planner's min_window_days (14)
SEVERITY = {"EC2.19": "CRITICAL", "EC2.18": "HIGH", "EC2.13": "HIGH", "EC2.14": "HIGH",
            "EC2.2": "HIGH", "EC2.9": "HIGH"}  # fmt: skip


def _finding(control: str, account: str, region: str, rtype: str, arn: str, rid: str,
             legacy: str | None = None) -> dict[str, Any]:  # fmt: skip
    details: dict[str, Any] = {}
    if rtype == "AwsEc2SecurityGroup":
        details = {"AwsEc2SecurityGroup": {"GroupId": rid}}
    body: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/"
        + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{control}/{arn}/{legacy}")),
        "ProductArn": f"arn:aws:securityhub:{region}::product/aws/securityhub",
        "GeneratorId": legacy or f"security-control/{control}",
        "AwsAccountId": account,
        "Region": region,
        "Severity": {"Label": SEVERITY[control]},
        "Title": f"{control} on {rid}",
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
        "Compliance": {"Status": "FAILED"},
        "Resources": [{"Type": rtype, "Id": arn, "Region": region, "Details": details}],
    }
    if legacy is None:
        body["Compliance"]["SecurityControlId"] = control
    return body


FIELDS = re.findall(r"\$\{([^}]+)\}", LOG_FORMAT)


def _flow_log_row(values: dict[str, object]) -> str:
    return " ".join(str(values.get(name, "-")) for name in FIELDS)


def real_session(account: str, eni_id: str, eni_addr: str, source: str, port: int, start: int,
                 rng: random.Random) -> list[dict[str, object]]:  # fmt: skip
    """One session `source` opened to `port` of the ENI, sized as real work (not a probe):
    tens of packets and tens of KB in, hundreds of KB back, over half a minute to minutes;
    accepted, answered. The request's record and the answer's."""
    sport = rng.randint(32768, 60999)
    request: dict[str, object] = {
        "version": 2, "account-id": account, "action": "ACCEPT", "log-status": "OK",
        "protocol": 6, "interface-id": eni_id, "srcaddr": source, "dstaddr": eni_addr,
        "srcport": sport, "dstport": port, "packets": rng.randint(40, 120),
        "bytes": rng.randint(20_000, 90_000), "start": start, "end": start + rng.randint(30, 500),
    }  # fmt: skip
    answer = {**request, "srcaddr": eni_addr, "dstaddr": source, "srcport": port,
              "dstport": sport, "bytes": rng.randint(100_000, 900_000)}  # fmt: skip
    return [request, answer]


def flow_log_key(account: str, region: str, flow_log_id: str, moment: datetime) -> str:
    """Where AWS delivers an object of the flow log delivered at `moment`: the key in the
    bucket, and the path under a snapshot's `flow-logs/`."""
    stamp = f"{moment:%Y%m%dT%H%MZ}"
    digest = hashlib.sha256(f"{flow_log_id}/{stamp}".encode()).hexdigest()[:8]
    return (f"AWSLogs/{account}/vpcflowlogs/{region}/{moment:%Y/%m/%d}/"
            f"{account}_vpcflowlogs_{region}_{flow_log_id}_{stamp}_{digest}.log.gz")  # fmt: skip


def flow_log_body(records: list[dict[str, object]]) -> bytes:
    """An object's bytes as AWS writes them to S3: gzip text, the header listing LOG_FORMAT's
    fields in order, then the records by start time."""
    rows = sorted((int(str(r["start"])), _flow_log_row(r)) for r in records)
    text = "\n".join([" ".join(FIELDS), *(line for _, line in rows)]) + "\n"
    return gzip.compress(text.encode(), mtime=0)


def write_flow_log_object(folder: Path, account: str, region: str, flow_log_id: str,
                          moment: datetime, records: list[dict[str, object]]) -> Path:  # fmt: skip
    """One delivered object in the snapshot's account/region `folder`, where the snapshot
    reader looks (`flow-logs/` + flow_log_key)."""
    path = folder / "flow-logs" / flow_log_key(account, region, flow_log_id, moment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(flow_log_body(records))
    return path


def write_flow_log_objects(folder: Path, account: str, region: str, flow_log_id: str,
                           enis: list[dict[str, Any]], ports: dict[str, int],
                           rng: random.Random) -> int:  # fmt: skip
    """The objects of the VPC's flow log (`enis`: those it records); returns the rows written.

    Per ENI of a group in `ports` (its first risky port), the group's two internal sources open
    one session a day each, sized as real work (not a probe), answered; every hour in which no
    ENI had traffic gets one NODATA row, so the log is seen delivering throughout."""
    t0 = int(FLOW_LOG_START.timestamp())
    days: dict[int, list[dict[str, object]]] = {}
    busy: set[int] = set()
    for raw in enis:
        eni_id, addr = raw["NetworkInterfaceId"], raw["PrivateIpAddress"]
        gid = next((g["GroupId"] for g in raw["Groups"] if g["GroupId"] in ports), None)
        if gid is None:
            continue
        for day in range(FLOW_LOG_DAYS):
            for source in internal_sources(gid):
                hour = day * 24 + rng.randint(7, 18)
                start = t0 + hour * 3600 + rng.randint(0, 3000)
                days.setdefault(day, []).extend(
                    real_session(account, eni_id, addr, source, ports[gid], start, rng)
                )
                busy.add(hour)
    if not days:
        return 0
    first = enis[0]["NetworkInterfaceId"]
    for hour in range(FLOW_LOG_DAYS * 24):
        if hour not in busy:
            start = t0 + hour * 3600 + 5
            nodata = {"version": 2, "account-id": account, "interface-id": first,
                      "start": start, "end": start + 590, "log-status": "NODATA"}  # fmt: skip
            days.setdefault(hour // 24, []).append(nodata)
    rows = 0
    for day, records in sorted(days.items()):
        moment = FLOW_LOG_START + timedelta(days=day)
        write_flow_log_object(folder, account, region, flow_log_id, moment, records)
        rows += len(records)
    return rows


def internal_sources(group_id: str) -> list[str]:
    """The two internal sources that use a group's first risky port in the generated logs."""
    region_index, g = int(group_id[3:10], 16), int(group_id[10:], 16)
    return [f"172.16.{region_index % 250}.{(2 * g + k) % 250 + 1}" for k in range(2)]


def write_region(root: Path, account: str, region: str, index: int, groups: int,
                 rng: random.Random, flow_log_rng: random.Random | None = None) -> int:  # fmt: skip
    """One account/region of the snapshot; returns how many findings it holds."""
    folder = root / account / region
    folder.mkdir(parents=True, exist_ok=True)
    vpc, dark_vpc = f"vpc-{index:017x}", f"vpc-d{index:016x}"
    sgs: list[dict[str, Any]] = []
    enis: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    reservations: list[dict[str, Any]] = []

    def eni(n: int, group_ids: list[str], instance: str | None) -> None:
        in_dark = n % 10 == 9
        raw: dict[str, Any] = {
            "NetworkInterfaceId": f"eni-{index:07x}{n:010x}",
            "VpcId": dark_vpc if in_dark else vpc,
            "SubnetId": f"subnet-{index:07x}{n % 4:010x}",
            "PrivateIpAddress": f"10.{index % 250}.{n // 250}.{n % 250 + 1}",
            "Groups": [{"GroupId": g, "GroupName": g} for g in group_ids],
            "Status": "in-use",
            "InterfaceType": "interface",
        }
        if instance:
            raw["Attachment"] = {"InstanceId": instance, "Status": "attached"}
        if rng.random() < 0.3:
            raw["Association"] = {"PublicIp": f"203.0.{index % 250}.{n % 250 + 1}"}
        enis.append(raw)

    default_id = f"sg-d{index:016x}"
    sgs.append({"GroupId": default_id, "GroupName": "default", "VpcId": vpc,
                "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [
                    {"GroupId": default_id}], "IpRanges": [], "Ipv6Ranges": [],
                    "PrefixListIds": []}],
                "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [
                    {"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [],
                    "UserIdGroupPairs": []}]})  # fmt: skip
    arn = f"arn:aws:ec2:{region}:{account}:security-group/{default_id}"
    findings.append(_finding("EC2.2", account, region, "AwsEc2SecurityGroup", arn, default_id))
    n_eni = 0
    if index % 2:
        eni(n_eni, [default_id], None)
        n_eni += 1
    for g in range(groups):
        gid = f"sg-{index:07x}{g:010x}"
        ports = rng.sample(RISKY, rng.randint(1, 3))
        perms = [{"IpProtocol": "tcp", "FromPort": p, "ToPort": p,
                  "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [],
                  "UserIdGroupPairs": []} for p, _ in ports]  # fmt: skip
        sgs.append({"GroupId": gid, "GroupName": f"app-{g}", "VpcId": vpc,
                    "IpPermissions": perms, "IpPermissionsEgress": []})  # fmt: skip
        arn = f"arn:aws:ec2:{region}:{account}:security-group/{gid}"
        for control in ("EC2.19", "EC2.18", *(c for _, c in ports if c)):
            findings.append(_finding(control, account, region, "AwsEc2SecurityGroup", arn, gid))
        if any(c == "EC2.13" for _, c in ports):
            legacy = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.1"
            findings.append(
                _finding("EC2.13", account, region, "AwsEc2SecurityGroup", arn, gid, legacy)
            )
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            instance = f"i-{index:07x}{n_eni:010x}"
            eni(n_eni, [gid], instance)
            if g % 20 == 0 and not any(r["Instances"][0]["InstanceId"] == instance
                                       for r in reservations):  # fmt: skip
                last = enis[-1]
                reservations.append({"Instances": [{
                    "InstanceId": instance, "VpcId": last["VpcId"],
                    "PublicIpAddress": (last.get("Association") or {}).get("PublicIp", "198.18.0.1"),
                    "NetworkInterfaces": [{"NetworkInterfaceId": last["NetworkInterfaceId"]}]}]})  # fmt: skip
                iarn = f"arn:aws:ec2:{region}:{account}:instance/{instance}"
                findings.append(
                    _finding("EC2.9", account, region, "AwsEc2Instance", iarn, instance)
                )
            n_eni += 1
    flow_logs = [{"FlowLogId": f"fl-{index:017x}", "ResourceId": vpc, "FlowLogStatus": "ACTIVE",
                  "TrafficType": "ALL", "LogDestinationType": "s3",
                  "LogDestination": "arn:aws:s3:::flow-log-bucket",
                  "LogFormat": LOG_FORMAT, "MaxAggregationInterval": 600}]  # fmt: skip
    files = {
        "findings.json": {"Findings": findings},
        "security-groups.json": {"SecurityGroups": sgs},
        "network-interfaces.json": {"NetworkInterfaces": enis},
        "flow-logs.json": {"FlowLogs": flow_logs},
        "instances.json": {"Reservations": reservations},
    }
    for name, document in files.items():
        (folder / name).write_text(json.dumps(document), encoding="utf-8")
    if flow_log_rng is not None:
        first_port = {g["GroupId"]: g["IpPermissions"][0]["FromPort"] for g in sgs[1:]}
        recorded = [e for e in enis if e["VpcId"] == vpc]
        write_flow_log_objects(folder, account, region, flow_logs[0]["FlowLogId"], recorded,
                               first_port, flow_log_rng)  # fmt: skip
    return len(findings)


def write_snapshot(out: Path, accounts: int = 50, regions: int = 3, groups: int = 70,
                   seed: int = 12, flow_logs: bool = False,
                   first_account: int = 100000000000) -> int:  # fmt: skip
    """The whole snapshot; returns the number of findings written."""
    rng = random.Random(seed)
    total = 0
    for a in range(accounts):
        account = f"{first_account + a * 7919:012d}"
        for r in range(regions):
            index = a * regions + r + 1
            # its own stream: the inventory is the same with or without flow logs
            flow_log_rng = random.Random(f"{seed}/{index}") if flow_logs else None
            total += write_region(out, account, REGIONS[r % len(REGIONS)], index, groups, rng,
                                  flow_log_rng)  # fmt: skip
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench/data/triage-snapshot"))
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--groups", type=int, default=70, help="flagged groups per region")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--flow-logs",
        action="store_true",
        help=f"also write {FLOW_LOG_DAYS} days of flow-log objects",
    )
    args = parser.parse_args()
    total = write_snapshot(
        args.out, args.accounts, args.regions, args.groups, args.seed, args.flow_logs
    )
    print(
        f"{total:,} findings over {args.accounts} accounts x {args.regions} regions in {args.out}"
    )


if __name__ == "__main__":
    main()
