"""Every flow-log vector in ../shared/vectors/flowlogs ingests, with field values asserted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from sgharden.flowlogs.fields import parse_log_format
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.workspace import open_workspace


def _ingest(paths: list[Path], **options: object) -> tuple[duckdb.DuckDBPyConnection, object]:
    con = open_workspace(None)
    report = ingest(con, [str(p) for p in paths], IngestOptions(keep_records=True, **options))  # type: ignore[arg-type]
    return con, report


def _record(
    con: duckdb.DuckDBPyConnection, where: str, params: dict[str, object]
) -> dict[str, object]:
    cur = con.execute(f"SELECT * FROM flow_records WHERE {where}", params)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0], strict=True))


def test_default_v2_examples(vectors: Path) -> None:
    con, report = _ingest([vectors / "flowlogs/aws-docs/01_default_v2_examples.log"])
    assert report.records == 7 and report.rejected == 0
    ssh = _record(con, "dstport = 22 AND protocol = 6 AND srcaddr = '172.31.16.139'", {})
    assert ssh["interface_id"] == "eni-1235b8ca123456789"
    assert (ssh["srcport"], ssh["packets"], ssh["bytes"]) == (20641, 20, 4249)
    assert (ssh["start"], ssh["end"], ssh["action"]) == (1418530010, 1418530070, "ACCEPT")
    rdp = _record(con, "dstport = 3389", {})
    assert rdp["action"] == "REJECT"
    skip = _record(con, "log_status = 'SKIPDATA'", {})
    assert skip["interface_id"] == "eni-11111111aaaaaaaaa" and skip["srcaddr"] is None
    v6 = _record(con, "srcaddr LIKE '2001:%'", {})
    assert v6["dstaddr"] == "2001:db8:1234:a102:3304:8879:34cf:4071" and v6["bytes"] == 8855
    # coverage facts, not traffic
    events = con.execute(
        "SELECT interface_id, log_status FROM coverage_events ORDER BY 1"
    ).fetchall()
    assert events == [("eni-11111111aaaaaaaaa", "SKIPDATA"), ("eni-1235b8ca123456789", "NODATA")]


def test_tcp_flag_sequence_double_space_and_direction(vectors: Path) -> None:
    con, report = _ingest([vectors / "flowlogs/aws-docs/02_tcp_flag_sequence_v3.log"])
    assert report.records == 8 and report.rejected == 0
    # the line with a double space in the documentation parses like the others
    rec = _record(con, "dstport = 43638", {})
    assert (rec["srcport"], rec["tcp_flags"], rec["bytes"]) == (5001, 19, 967)
    assert (rec["pkt_srcaddr"], rec["vpc_id"]) == ("10.0.0.62", "vpc-abcdefab012345678")
    # every record belongs to connections INTO 10.0.0.62:5001 from 52.213.180.42: the SYN-ACK
    # records (18) and the later flagless intervals are folded in, never counted as outbound
    rows = con.execute(
        "SELECT DISTINCT direction, service_port, remote_addr FROM flow_rollup"
    ).fetchall()
    assert rows == [("inbound", 5001, "52.213.180.42")]
    assert con.execute("SELECT sum(records) FROM flow_rollup").fetchone() == (8,)
    assert con.execute("SELECT port FROM listeners").fetchall() == [(5001,)]
    # one raw record kept per inbound connection key: the earliest, in the default field order
    assert con.execute("SELECT remote_addr, service_port, record FROM flow_samples").fetchall() == [
        (
            "52.213.180.42",
            5001,
            "3 123456789010 eni-1235b8ca123456789 52.213.180.42 10.0.0.62 43416 5001 6 8 568 "
            "1566848875 1566848933 ACCEPT OK",
        )
    ]


def test_custom_formats_without_analysis_fields_are_kept_aside(vectors: Path) -> None:
    docs = vectors / "flowlogs/aws-docs"
    con, report = _ingest(
        [
            docs / "03_nat_gateway_custom.log",
            docs / "04_transit_gateway_custom_v3.log",
            docs / "06_encryption_controls_blog_custom.log",
        ]
    )
    nat = _record(con, "interface_id = 'eni-1111aaaa2222bbbb3' AND srcaddr = '203.0.113.5'", {})
    assert (nat["instance_id"], nat["pkt_srcaddr"], nat["pkt_dstaddr"]) == (
        "i-01234567890123456",
        "203.0.113.5",
        "10.0.1.5",
    )
    tgw = _record(con, "interface_id = 'eni-22222222222222222'", {})
    assert (tgw["tcp_flags"], tgw["pkt_dstaddr"], tgw["srcport"]) == (19, "10.20.33.164", 80)
    enc = _record(con, "flow_direction = 'egress'", {})
    assert json.loads(str(enc["extra"])) == {"encryption-status": "1"}  # unknown newer field kept
    assert enc["traffic_path"] == 1
    # no start time / interface: stored, counted and kept aside with the reason, not analysed
    assert report.unanalysable == 12 and report.rejected == 0
    reasons = {r[0] for r in con.execute("SELECT reason FROM rejects").fetchall()}
    assert any(re.match(r"not analysable: lacks .*start", r) for r in reasons)
    assert con.execute("SELECT count(*) FROM flow_rollup").fetchone() == (0,)


def test_v5_service_path_direction(vectors: Path) -> None:
    con, _ = _ingest([vectors / "flowlogs/aws-docs/05_service_path_direction_v5.log"])
    egress = _record(con, "flow_direction = 'egress'", {})
    assert (egress["traffic_path"], egress["pkt_dst_aws_service"], egress["region"]) == (
        8,
        "S3",
        "ap-southeast-2",
    )
    # the interface opened a connection to S3 on port 80: outbound, never inbound use
    rows = con.execute(
        "SELECT direction, service_port, remote_addr, records FROM flow_rollup"
    ).fetchall()
    assert rows == [("outbound", 80, "52.95.128.179", 2)]


def test_headerless_v2_and_alphabetical_headers(vectors: Path) -> None:
    reader = vectors / "flowlogs/flowlogs-reader"
    con, report = _ingest(sorted(reader.glob("*.log")) + sorted(reader.glob("*.gz")))
    nodata = _record(con, "interface_id = 'eni-1a2b3c4d'", {})
    assert nodata["log_status"] == "NODATA"
    rej = _record(con, "interface_id = 'eni-102010cd'", {})
    assert (rej["action"], rej["bytes"], rej["end"]) == ("REJECT", 1680, 1439387266)
    # alphabetical headers: fields land in their own columns whatever the order
    v4 = _record(con, "sublocation_id = 'outpostid04'", {})
    assert (v4["az_id"], v4["srcport"], v4["dstport"], v4["tcp_flags"]) == (
        "use1-az4",
        8088,
        443,
        3,
    )
    # the .log.gz named like an S3 object: account, region and flow-log id from its name
    obj = con.execute(
        "SELECT account_id, region, flow_log_id FROM ingested_objects WHERE source LIKE '%.gz'"
    ).fetchone()
    assert obj == ("123456789010", "pangaea-1", "fl-102010")
    assert report.rejected == 0


def test_otel_files_cloudwatch_and_mid_file_header(vectors: Path) -> None:
    otel = vectors / "flowlogs/otel-contrib"
    con, report = _ingest(
        [
            otel / n
            for n in (
                "valid_vpc_flow_log.log",
                "valid_vpc_flow_log_ecs.log",
                "valid_vpc_flow_log_multi.log",
                "valid_vpc_flow_cw.json",
                "valid_tgw_flow_log.log",
            )
        ]
    )
    ecs = _record(con, "ecs_cluster_name IS NOT NULL", {})
    assert (ecs["ecs_service_name"], ecs["dstport"], ecs["version"]) == ("my-service", 22, 5)
    # the multi file's last record has no trailing newline
    multi = _record(con, "source LIKE '%multi.log' AND dstport = 3389", {})
    assert (multi["srcaddr"], multi["action"], multi["end"]) == (
        "172.31.9.69",
        "REJECT",
        1418530070,
    )
    cw = _record(con, "source LIKE '%flow_cw.json' AND dstport = 3389", {})
    assert (cw["action"], cw["line"]) == ("REJECT", 2)
    tgw = _record(con, "source LIKE '%tgw_flow_log.log'", {})
    assert json.loads(str(tgw["extra"]))["tgw-id"] == "tgw-0abc12345def67890"
    assert report.rejected == 0


def test_cloudwatch_custom_format_from_log_format(vectors: Path) -> None:
    path = vectors / "flowlogs/otel-contrib/valid_vpc_flow_cw_custom.json"
    con, report = _ingest([path])
    assert report.rejected == 2  # no header, no format: kept aside, not guessed
    assert {r[0] for r in con.execute("SELECT reason FROM rejects").fetchall()} == {
        "no header line and no --log-format: the field order is unknown"
    }
    fmt = parse_log_format("${version} ${interface-id} ${srcaddr} ${dstaddr}")
    con, report = _ingest([path], log_format=fmt)
    rec = _record(con, "srcaddr = '172.31.9.69'", {})
    assert (rec["interface_id"], rec["dstaddr"]) == ("eni-1235b8ca123456789", "172.31.9.12")


def test_panther_raw_lines(vectors: Path, tmp_path: Path) -> None:
    # panther keeps raw v2 lines inside YAML: the YAML itself is not a flow-log object
    lines = [
        line.strip()[2:]
        for line in (vectors / "flowlogs/panther/attacker_vpc.yml").read_text().splitlines()
        if re.match(r"^\s+- 2 \d{12} eni-", line)
    ]
    assert len(lines) == 6
    (tmp_path / "attacker.log").write_text("\n".join(lines) + "\n")
    con, report = _ingest(
        [tmp_path / "attacker.log", vectors / "flowlogs/panther/attacker_vpc.yml"]
    )
    exfil = _record(con, "srcport = 38316 AND start = 1604271660", {})
    assert (exfil["dstaddr"], exfil["bytes"]) == ("92.55.146.245", 1048576)
    assert report.rejected == 1  # the .yml, as a whole object
    assert (
        con.execute("SELECT reason FROM rejects").fetchone()[0].startswith("not a flow-log object")
    )


def test_whole_tree_ingests_and_nothing_is_lost(vectors: Path) -> None:
    con, report = _ingest([vectors / "flowlogs"])
    stored = con.execute("SELECT count(*) FROM flow_records").fetchone()[0]
    kept_aside = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
    manifest = con.execute("SELECT sum(records), sum(rejected) FROM ingested_objects").fetchone()
    assert stored == report.records + report.unanalysable
    assert manifest == (report.records, kept_aside)
    assert report.objects_read == report.objects_found > 20


@pytest.mark.parametrize("name", ["01_default_v2_examples.log", "02_tcp_flag_sequence_v3.log"])
def test_fast_and_line_parsers_agree(vectors: Path, tmp_path: Path, name: str) -> None:
    """The DuckDB fast path and the line parser produce the same records."""
    src = vectors / "flowlogs/aws-docs" / name
    fast, _ = _ingest([src])
    # a trailing space on the header forces the line parser for the copy
    slow_file = tmp_path / name
    text = src.read_text().splitlines()
    slow_file.write_text(text[0] + " \n" + "\n".join(text[1:]) + "\n")
    slow, _ = _ingest([slow_file])
    cols = "* EXCLUDE (source, line)"
    assert sorted(map(str, fast.execute(f"SELECT {cols} FROM flow_records").fetchall())) == sorted(
        map(str, slow.execute(f"SELECT {cols} FROM flow_records").fetchall())
    )
