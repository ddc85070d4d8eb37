"""The ingest edge: --log-format and flow-logs.json LogFormat name the bad token (exit 3), and the
JSON report names every object with rejected lines, not only a count."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sgharden.cli import main

GOOD = "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.5 50123 443 6 10 4000 1700000000 1700000060 ACCEPT OK"
FORMAT = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"


def ingest(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["ingest", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("log_format", "message"),
    [
        (FORMAT.replace("${interface-id}", "${interface_id}"), "token 3 '${interface_id}' is not ${field-name} (did you mean ${interface-id}?)"),
        (FORMAT.replace("${", "").replace("}", ""), "token 1 'version' is not ${field-name} (did you mean ${version}?)"),
        (FORMAT.replace("${srcaddr}", "${srcadr}"), "token 4 '${srcadr}' is not a flow-log field (did you mean ${srcaddr}?)"),
        (FORMAT + " ${action}", "token 15 '${action}' appears twice"),
    ],
)  # fmt: skip
def test_a_bad_log_format_names_its_token(tmp_path: Path, log_format: str, message: str) -> None:
    (tmp_path / "a.log").write_text(GOOD + "\n")
    code, _, err = ingest(str(tmp_path), "--workspace", ":memory:", "--log-format", log_format)
    assert code == 3
    assert err.strip() == f"sgharden: error: --log-format: {message} — " + (
        "write it as AWS does: '${version} ${account-id} ${interface-id} ...'"
    )


def test_a_log_format_in_flow_logs_json_is_checked_by_the_schema(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(GOOD + "\n")
    flow_log = {
        "FlowLogId": "fl-0a1b2c3d4e5f60718",
        "ResourceId": "eni-0a1b2c3d4e5f60718",
        "LogFormat": FORMAT.replace("${dstport}", "${dst-port}"),
    }
    (tmp_path / "flow-logs.json").write_text(json.dumps({"FlowLogs": [flow_log]}))
    code, _, err = ingest(str(tmp_path), "--workspace", ":memory:")
    assert code == 3
    assert f"{tmp_path / 'flow-logs.json'}: FlowLogs[0].LogFormat: token 7 '${{dst-port}}'" in err


def test_the_json_report_names_each_object_with_rejected_lines(tmp_path: Path) -> None:
    header = FORMAT.replace("${", "").replace("}", "")
    (tmp_path / "mixed.log").write_text(f"{header}\n{GOOD}\n{GOOD.replace(' 443 ', ' https ')}\n")
    (tmp_path / "clean.log").write_text(f"{header}\n{GOOD}\n")
    (tmp_path / "bad.log.gz").write_bytes(gzip.compress(b"x" * 5000)[:20])  # truncated gzip
    code, out, _ = ingest(str(tmp_path), "--workspace", ":memory:", "--format", "json")
    assert code == 4
    report = json.loads(out)["report"]
    partial = {Path(s).name: (n, why) for s, n, why in report["objects_with_rejects"]}
    assert partial == {"mixed.log": (1, "line 3: field dstport: 'https' is not an integer")}
    assert [Path(s).name for s, _ in report["rejected_objects"]] == ["bad.log.gz"]
