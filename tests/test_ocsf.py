"""Security Lake OCSF as a local source: the OCSF vectors (real records written by Security Lake's
documented mapping, tests/ocsf_vectors.py) ingest to the same roll-up as the original records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ocsf_vectors import FIXTURES, SCHEMA, SOURCE_FILES, parquet_objects, source_records, to_ocsf

from sgharden.flowlogs import ocsf
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.workspace import open_workspace


def summary(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """What the planner reads, without the object paths (which differ by source)."""
    return {
        "rollup": con.execute(
            "SELECT account_id, region, interface_id, direction, basis, protocol, local_addr, "
            "service_port, remote_addr, remote_family, remote_hex, hour, sum(records), "
            "sum(connections), sum(packets_in), sum(bytes_in), sum(packets_out), sum(bytes_out), "
            "sum(accepted), sum(rejected), bit_or(tcp_flags), min(first_seen), max(last_seen) "
            "FROM flow_rollup GROUP BY ALL ORDER BY ALL"
        ).fetchall(),
        "samples": con.execute(
            "SELECT key_hash, direction, service_port, is_rx, interface_id, protocol, start "
            "FROM flow_sample_records ORDER BY ALL"
        ).fetchall(),
        "hours": con.execute(
            "SELECT account_id, region, interface_id, hour, sum(ok_records), sum(nodata_records), "
            "sum(skipdata_records) FROM interface_hours GROUP BY ALL ORDER BY ALL"
        ).fetchall(),
        "events": con.execute(
            "SELECT account_id, region, interface_id, log_status, start_time, end_time "
            "FROM coverage_events ORDER BY ALL"
        ).fetchall(),
        "listeners": con.execute("SELECT * FROM listeners ORDER BY ALL").fetchall(),
    }


def test_fixtures_are_the_generators_output(vectors: Path, tmp_path: Path) -> None:
    """tests/fixtures/ocsf/ is what `python tests/ocsf_vectors.py` writes from the vectors."""
    expected = parquet_objects(source_records(vectors))
    on_disk = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.parquet"))
    assert on_disk == sorted(expected)
    for key, body in expected.items():
        fresh = tmp_path / "x.parquet"
        fresh.write_bytes(body)
        assert pq.read_table(FIXTURES / key).equals(pq.read_table(fresh)), key


def test_ocsf_ingest_equals_original_records(vectors: Path) -> None:
    original = open_workspace(None)
    report = ingest(original, [str(vectors / "flowlogs" / f) for f in SOURCE_FILES])
    lake = open_workspace(None)
    lake_report = ingest(lake, [str(FIXTURES / "aws")])
    assert lake_report.rejected == 0 and lake_report.records == report.records > 0
    expected, got = summary(original), summary(lake)
    assert expected["rollup"] and expected["samples"] and expected["hours"]
    for part in expected:
        assert got[part] == expected[part], part
    # every directional rule was exercised: flow-direction, tcp-flags, ports
    bases = {row[4] for row in got["rollup"]}
    assert {"tcp-flags", "port"} <= bases


def test_nat_translated_record_keeps_the_interface_addresses(tmp_path: Path) -> None:
    """Security Lake puts pkt-srcaddr in src_endpoint.ip and srcaddr in intermediate_ips when
    they differ (the NAT gateway example of the AWS docs' vectors): the roll-up reads srcaddr."""
    record = {
        c: None
        for c in (
            "version",
            "vpc_id",
            "subnet_id",
            "instance_id",
            "az_id",
            "pkt_src_aws_service",
            "pkt_dst_aws_service",
            "flow_direction",
        )
    }
    record.update(interface_id="eni-1235b8ca123456789", account_id="123456789010",
                  region="us-east-1", srcaddr="10.0.1.5", dstaddr="10.0.0.220",
                  pkt_srcaddr="10.0.1.5", pkt_dstaddr="203.0.113.5", srcport=50000, dstport=443,
                  protocol=6, packets=3, bytes=180, start=1418530010, end=1418530070,
                  action="ACCEPT", log_status="OK", tcp_flags=2)  # fmt: skip
    row = to_ocsf(record)
    assert row["dst_endpoint"]["ip"] == "203.0.113.5"
    assert row["dst_endpoint"]["intermediate_ips"] == ["10.0.0.220"]
    path = tmp_path / "nat.parquet"
    pq.write_table(pa.Table.from_pylist([row], schema=SCHEMA), path)
    con = open_workspace(None)
    ingest(con, [str(path)], IngestOptions(keep_records=True))
    got = con.execute(
        "SELECT srcaddr, dstaddr, pkt_srcaddr, pkt_dstaddr FROM flow_records"
    ).fetchall()
    assert got == [("10.0.1.5", "10.0.0.220", "10.0.1.5", "203.0.113.5")]
    # the SYN's sender is the remote side (no address known: the interface is the responder);
    # the packet-level 203.0.113.5 is nowhere in the roll-up
    rows = con.execute("SELECT local_addr, remote_addr FROM flow_rollup").fetchall()
    assert rows == [("10.0.0.220", "10.0.1.5")]


def test_ocsf_object_lacking_what_the_rollup_needs_is_rejected_in_one_line(
    tmp_path: Path,
) -> None:
    table = pa.table({"class_uid": [4001], "connection_info": [{"protocol_num": 6}]})
    path = tmp_path / "partial.parquet"
    pq.write_table(table, path)
    con = open_workspace(None)
    report = ingest(con, [str(path)])
    assert report.records == 0 and report.rejected == 1
    ((source, reason),) = report.rejected_objects
    assert source == str(path) and reason.startswith("OCSF Network Activity object lacks ")
    assert "src_endpoint.interface_uid or dst_endpoint.interface_uid" in reason


@pytest.mark.parametrize("columns", [["class_uid", "protocol_num"], ["protocol", "srcaddr"]])
def test_ocsf_is_told_apart_from_flow_log_parquet(columns: list[str]) -> None:
    assert ocsf.is_ocsf_leaves(columns) == ("class_uid" in columns)
