"""Security Lake OCSF records get the line parser's grammar: a bad value is one record kept aside.

Hostile OCSF Parquet written by DuckDB's COPY: the Network Activity record Security Lake writes
for a flow-log line (tests/ocsf_vectors.py's forward mapping), with one field's column typed as a
string holding garbage, `-`, or a value past its range. Each such record goes to `rejects` with
its row and the line parser's reason naming the OCSF field; the object's good records are stored,
and their roll-up is the one the same records give as a text object.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from ocsf_vectors import to_ocsf
from test_ingest_parsers_agree import GOOD, HEADER

from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.flowlogs.textparse import KNOWN_COLUMNS, parse_lines
from sgharden.workspace import open_workspace

ROLLUP = (
    "SELECT interface_id, service_port, remote_addr, remote_hex, records, bytes_in, accepted "
    "FROM flow_rollup ORDER BY ALL"
)
_ENDPOINT = (
    "STRUCT(ip {ip}, port {port}, intermediate_ips VARCHAR[], interface_uid VARCHAR, "
    "vpc_uid VARCHAR, subnet_uid VARCHAR, instance_uid VARCHAR, svc_name VARCHAR)"
)


def _record(line: str) -> dict[str, Any]:
    (row,) = parse_lines(enumerate([HEADER, line], 1), None).rows
    record = dict(zip(KNOWN_COLUMNS, row, strict=False))
    return to_ocsf(record)


def _types(strings: set[str]) -> dict[str, str]:
    """read_json column types: the path names in `strings` are VARCHAR (garbage can be there)."""

    def t(path: str, typ: str) -> str:
        return "VARCHAR" if path in strings else typ

    def endpoint(side: str) -> str:
        return _ENDPOINT.format(ip="VARCHAR", port=t(f"{side}.port", "INTEGER"))

    return {
        "metadata": "STRUCT(product STRUCT(name VARCHAR, vendor_name VARCHAR, version VARCHAR))",
        "time": t("time", "BIGINT"),
        "start_time": t("start_time", "BIGINT"),
        "end_time": t("end_time", "BIGINT"),
        "cloud": "STRUCT(provider VARCHAR, region VARCHAR, zone VARCHAR, account STRUCT(uid VARCHAR))",
        "src_endpoint": endpoint("src_endpoint"),
        "dst_endpoint": endpoint("dst_endpoint"),
        "connection_info": (
            f"STRUCT(protocol_num {t('protocol_num', 'INTEGER')}, tcp_flags INTEGER, "
            f"direction VARCHAR, direction_id {t('direction_id', 'INTEGER')})"
        ),
        "traffic": f"STRUCT(packets {t('packets', 'BIGINT')}, bytes {t('bytes', 'BIGINT')})",
        "status_code": "VARCHAR",
        "action_id": t("action_id", "INTEGER"),
        "disposition_id": "INTEGER",
        "class_uid": t("class_uid", "INTEGER"),
    }


def _set(record: dict[str, Any], path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        record = record[part]
    record[leaf] = value


def write_ocsf(path: Path, rows: list[dict[str, Any]], strings: set[str]) -> None:
    source = path.with_suffix(".json")
    source.write_text("\n".join(json.dumps(r, default=str) for r in rows))
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM read_json($src, format='newline_delimited', columns=$types)) "
        "TO $dst (FORMAT parquet)",
        {"src": str(source), "types": _types(strings), "dst": str(path)},
    )
    con.close()
    source.unlink()


# (OCSF path, the column's type is a string?, value, the reason; None: not analysable)
HOSTILE = [
    ("src_endpoint.ip", False, "not-an-ip", "field src_endpoint.ip: 'not-an-ip' is not an IP address"),
    ("dst_endpoint.ip", False, "999.1.1.1", "field dst_endpoint.ip: '999.1.1.1' is not an IP address"),
    ("dst_endpoint.port", True, "https", "field dst_endpoint.port: 'https' is not an integer"),
    ("dst_endpoint.port", True, "4_43", "field dst_endpoint.port: '4_43' is not an integer"),
    ("dst_endpoint.port", False, 70000, "field dst_endpoint.port: 70000 is out of range"),
    ("src_endpoint.port", False, -1, "field src_endpoint.port: '-1' is not an integer"),
    ("connection_info.protocol_num", True, "tcp", "field connection_info.protocol_num: 'tcp' is not an integer"),
    ("traffic.bytes", True, "99999999999999999999999", "field traffic.bytes: 99999999999999999999999 is out of range"),
    ("start_time", True, "2023-11-14T00:00:00Z", "field start_time: '2023-11-14T00:00:00Z' is not an integer"),
    ("status_code", False, "ok", "field status_code: 'ok' is not OK, NODATA or SKIPDATA"),
    ("connection_info.direction_id", True, "in", "field connection_info.direction_id: 'in' is not an integer"),
    ("action_id", True, "allow", "field action_id: 'allow' is not an integer"),
    ("class_uid", True, "4001; DROP", "field class_uid: '4001; DROP' is not an integer"),
    ("src_endpoint.ip", False, "-", "not analysable: lacks srcaddr"),
    ("connection_info.protocol_num", True, "-", "not analysable: lacks protocol"),
]  # fmt: skip
_LEAF = {"connection_info.protocol_num": "protocol_num", "traffic.bytes": "bytes",
         "connection_info.direction_id": "direction_id"}  # fmt: skip


def _ingest(folder: Path, keep: bool = False) -> tuple[Any, list[tuple[object, ...]], list[Any]]:
    con = open_workspace(None)
    report = ingest(con, [str(folder)], IngestOptions(keep_records=keep))
    rejects = con.execute("SELECT line, reason FROM rejects ORDER BY line").fetchall()
    rollup = con.execute(ROLLUP).fetchall()
    con.close()
    return report, rejects, rollup


@pytest.mark.parametrize(("path", "string", "value", "reason"), HOSTILE)
def test_a_bad_ocsf_value_is_one_record_kept_aside(
    tmp_path: Path, path: str, string: bool, value: object, reason: str
) -> None:
    other = GOOD.replace("198.51.100.7", "198.51.100.8")
    rows = [_record(GOOD), _record(GOOD), _record(other)]
    _set(rows[1], path, value)
    strings = {_LEAF.get(path, path)} if string else set()
    write_ocsf(tmp_path / "lake.parquet", rows, strings)
    report, rejects, rollup = _ingest(tmp_path)
    assert rejects == [(2, reason)]
    assert report.rejected_objects == [] and report.records == 2
    # the good records' roll-up is what the same two records give as a text object
    with tempfile.TemporaryDirectory() as text:
        Path(text, "a.log").write_text("\n".join([HEADER, GOOD, other]) + "\n")
        _, text_rejects, text_rollup = _ingest(Path(text))
    assert text_rejects == [] and rollup == text_rollup


def test_the_same_records_as_text_and_as_ocsf_are_refused_alike(tmp_path: Path) -> None:
    # what the line parser refuses in a text line is refused in the OCSF record, at the same
    # place (row n = line n + 1) and in the same words; only the field's name is OCSF's
    edits = [
        ("198.51.100.7", "not-an-ip", "src_endpoint.ip", "not-an-ip"),
        (" OK", " ok", "status_code", "ok"),
        (" 6 10 ", " 6 99999999999999999999 ", "traffic.packets", "99999999999999999999"),
    ]
    lines, rows = [GOOD], [_record(GOOD)]
    for old, new, path, value in edits:
        lines.append(GOOD.replace(old, new))
        row = _record(GOOD)
        _set(row, path, value)
        rows.append(row)
    (tmp_path / "lake").mkdir()
    write_ocsf(tmp_path / "lake" / "a.parquet", rows, {"packets"})
    (tmp_path / "text").mkdir()
    Path(tmp_path, "text", "a.log").write_text("\n".join([HEADER, *lines]) + "\n")
    _, lake_rejects, lake_rollup = _ingest(tmp_path / "lake")
    _, text_rejects, text_rollup = _ingest(tmp_path / "text")
    names = {
        "srcaddr": "src_endpoint.ip",
        "log-status": "status_code",
        "packets": "traffic.packets",
    }
    renamed = []
    for line, reason in text_rejects:
        name = reason.split(":", 1)[0].removeprefix("field ")
        renamed.append((line - 1, reason.replace(f"field {name}:", f"field {names[name]}:")))
    assert lake_rejects == renamed and len(renamed) == 3
    assert lake_rollup == text_rollup
