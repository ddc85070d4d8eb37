"""OCSF test vectors: real flow-log records (the shared vectors) written as Amazon Security Lake
stores them, OCSF 1.1.0 Network Activity Parquet under region=/accountId=/eventDay= prefixes.

The mapping is applied forwards here, field by field, from the table Security Lake documents
(github.com/ocsf/examples, mappings/markdown/AWS/v1.1.0/VPC Flowlogs/README.md): written
independently of sql/ocsf_stage.sql, which reads it backwards, so a mistake in either shows as a
roll-up that differs from the original records'. tests/fixtures/ocsf/ holds the files this
writes (`python tests/ocsf_vectors.py` rewrites them; tests/test_ocsf.py checks they match).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.flowlogs.textparse import KNOWN_COLUMNS
from sgharden.workspace import open_workspace

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "ocsf"
# Real vectors whose records the roll-up can use (default v2, tcp-flags v3, v5 with
# flow-direction and AWS service names, the OpenTelemetry ones, CloudWatch JSON, header-less v2).
SOURCE_FILES = (
    "aws-docs/01_default_v2_examples.log",
    "aws-docs/02_tcp_flag_sequence_v3.log",
    "aws-docs/05_service_path_direction_v5.log",
    "otel-contrib/valid_vpc_flow_log.log",
    "otel-contrib/valid_vpc_flow_log_multi.log",
    "otel-contrib/valid_vpc_flow_cw.json",
    "flowlogs-reader/v2_records_no_header.log",
)
DEFAULT_ACCOUNT = "123456789010"

_ENDPOINT = pa.struct(
    [
        ("ip", pa.string()),
        ("port", pa.int32()),
        ("intermediate_ips", pa.list_(pa.string())),
        ("interface_uid", pa.string()),
        ("vpc_uid", pa.string()),
        ("subnet_uid", pa.string()),
        ("instance_uid", pa.string()),
        ("svc_name", pa.string()),
    ]
)
SCHEMA = pa.schema(
    [
        ("metadata", pa.struct([
            ("product", pa.struct([("name", pa.string()), ("vendor_name", pa.string()),
                                   ("version", pa.string()),
                                   ("feature", pa.struct([("name", pa.string())]))])),
            ("profiles", pa.list_(pa.string())),
            ("version", pa.string()),
        ])),
        ("time", pa.int64()),
        ("time_dt", pa.timestamp("ms", tz="UTC")),
        ("start_time", pa.int64()),
        ("start_time_dt", pa.timestamp("ms", tz="UTC")),
        ("end_time", pa.int64()),
        ("end_time_dt", pa.timestamp("ms", tz="UTC")),
        ("cloud", pa.struct([("provider", pa.string()), ("region", pa.string()),
                             ("zone", pa.string()),
                             ("account", pa.struct([("uid", pa.string())]))])),
        ("src_endpoint", _ENDPOINT),
        ("dst_endpoint", _ENDPOINT),
        ("connection_info", pa.struct([
            ("protocol_num", pa.int32()), ("tcp_flags", pa.int32()),
            ("direction", pa.string()), ("direction_id", pa.int32()),
        ])),
        ("traffic", pa.struct([("packets", pa.int64()), ("bytes", pa.int64())])),
        ("status_code", pa.string()),
        ("action", pa.string()), ("action_id", pa.int32()),
        ("disposition", pa.string()), ("disposition_id", pa.int32()),
        ("activity_id", pa.int32()), ("activity_name", pa.string()),
        ("category_uid", pa.int32()), ("category_name", pa.string()),
        ("class_uid", pa.int32()), ("class_name", pa.string()),
        ("type_uid", pa.int64()), ("severity_id", pa.int32()), ("severity", pa.string()),
        # Security Lake 2.0 (Iceberg) partitions by time_dt, region and accountid: data columns
        ("region", pa.string()), ("accountid", pa.string()),
    ]
)  # fmt: skip

_ACTIONS = {"ACCEPT": ("Allowed", 1, "Allowed", 1), "REJECT": ("Denied", 2, "Blocked", 2)}
_DIRECTIONS = {"ingress": ("Inbound", 1), "egress": ("Outbound", 2)}


def source_records(vectors: Path) -> list[dict[str, Any]]:
    """The analysable records of SOURCE_FILES, every field, as the local engine parses them."""
    return records_from([str(vectors / "flowlogs" / f) for f in SOURCE_FILES])


def records_from(paths: list[str]) -> list[dict[str, Any]]:
    """The analysable records of flow-log files or folders, every field."""
    con = open_workspace(None)
    ingest(con, paths, IngestOptions(keep_records=True))
    columns = ", ".join(f'"{c}"' for c in KNOWN_COLUMNS)
    cursor = con.execute(
        f"SELECT {columns} FROM flow_records WHERE interface_id IS NOT NULL AND start IS NOT NULL "
        "AND (log_status IN ('NODATA', 'SKIPDATA') OR (srcaddr IS NOT NULL AND dstaddr IS NOT "
        "NULL AND protocol IS NOT NULL)) ORDER BY source, line, start, srcaddr, dstaddr, srcport, dstport"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _endpoint(r: dict[str, Any], side: str, holds_interface: bool) -> dict[str, Any]:
    addr, pkt = r[f"{side}addr"], r[f"pkt_{side}addr"]
    # "if pkt_srcaddr equals srcaddr: ip = srcaddr; else ip = pkt_srcaddr, intermediate_ips = srcaddr"
    nat = pkt is not None and pkt != addr
    return {
        "ip": pkt if nat else addr,
        "port": r[f"{side}port"],
        "intermediate_ips": [addr] if nat else None,
        "interface_uid": r["interface_id"] if holds_interface else None,
        "vpc_uid": r["vpc_id"] if holds_interface else None,
        "subnet_uid": r["subnet_id"] if holds_interface else None,
        "instance_uid": r["instance_id"] if holds_interface else None,
        "svc_name": r[f"pkt_{side}_aws_service"],
    }


def to_ocsf(r: dict[str, Any]) -> dict[str, Any]:
    """One flow-log record as Security Lake's OCSF 1.1.0 Network Activity record."""
    direction, direction_id = _DIRECTIONS.get(r["flow_direction"] or "", ("Unknown", 0))
    action, action_id, disposition, disposition_id = _ACTIONS.get(
        r["action"] or "", ("Unknown", 0, "Unknown", 0)
    )
    # the interface's endpoint: dst for ingress, src for egress; src when the format has no
    # flow-direction (the documented mapping covers only the two directions)
    on_dst = r["flow_direction"] == "ingress"

    def ms(seconds: int | None) -> int | None:
        return None if seconds is None else seconds * 1000

    def dt(seconds: int | None) -> datetime | None:
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC)

    return {
        "metadata": {
            "product": {"name": "Amazon VPC", "vendor_name": "AWS",
                        "version": None if r["version"] is None else str(r["version"]),
                        "feature": {"name": "Flowlogs"}},
            "profiles": ["cloud", "security_control", "datetime"],
            "version": "1.1.0",
        },
        "time": ms(r["start"]), "time_dt": dt(r["start"]),
        "start_time": ms(r["start"]), "start_time_dt": dt(r["start"]),
        "end_time": ms(r["end"]), "end_time_dt": dt(r["end"]),
        "cloud": {"provider": "AWS", "region": r["region"], "zone": r["az_id"],
                  "account": {"uid": r["account_id"]}},
        "src_endpoint": _endpoint(r, "src", not on_dst),
        "dst_endpoint": _endpoint(r, "dst", on_dst),
        "connection_info": {"protocol_num": r["protocol"], "tcp_flags": r["tcp_flags"],
                            "direction": direction, "direction_id": direction_id},
        "traffic": {"packets": r["packets"], "bytes": r["bytes"]},
        "status_code": r["log_status"],
        "action": action, "action_id": action_id,
        "disposition": disposition, "disposition_id": disposition_id,
        "activity_id": 6, "activity_name": "Traffic",
        "category_uid": 4, "category_name": "Network Activity",
        "class_uid": 4001, "class_name": "Network Activity",
        "type_uid": 400106, "severity_id": 1, "severity": "Informational",
    }  # fmt: skip


def partition(r: dict[str, Any]) -> tuple[str, str, str]:
    """(region, account, eventDay) of a record, as Security Lake partitions it."""
    account = r["account_id"] or ""
    # one vector carries an 11-digit account id: its objects go under the default account
    account = account if len(account) == 12 and account.isdigit() else DEFAULT_ACCOUNT
    day = datetime.fromtimestamp(r["start"], UTC).strftime("%Y%m%d")
    return r["region"] or "us-east-1", account, day


def key_of(region: str, account: str, day: str) -> str:
    return f"aws/VPC_FLOW/2.0/region={region}/accountId={account}/eventDay={day}/ocsf.gz.parquet"


def parquet_objects(records: list[dict[str, Any]]) -> dict[str, bytes]:
    """S3 key (Security Lake's layout) -> Parquet bytes, one object per partition."""
    import io

    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in records:
        region, account, day = partition(r)
        row = {**to_ocsf(r), "region": region, "accountid": account}
        groups.setdefault((region, account, day), []).append(row)
    out = {}
    for part, rows in sorted(groups.items()):
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), buf, compression="gzip")
        out[key_of(*part)] = buf.getvalue()
    return out


def write_fixtures(vectors: Path, into: Path = FIXTURES) -> list[Path]:
    written = []
    for key, body in parquet_objects(source_records(vectors)).items():
        path = into / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        written.append(path)
    return written


if __name__ == "__main__":
    vectors = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "vectors"
    for p in write_fixtures(vectors):
        print(p.relative_to(HERE.parent))
