"""plan/fingerprint.py's workspace digest, made in batches, is the digest one query made before.

The digest of the flow-log data a plan rests on (`inputs.workspace.digest`) was one SQL string_agg
of every line, which ran out of memory at 20M benchmark records (issue 14). It is now the md5 of
the same lines streamed batch by batch (sql/window_digest*.sql). Plans written before must still
match: here the sample is ingested (real DuckDB) and the batched digest, at batch sizes down to
one roll-up row, is compared with the former single query, kept below as it was.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from sgharden.cli import main
from sgharden.plan.fingerprint import digest_batches, workspace_inputs
from sgharden.workspace import open_workspace

SAMPLE = Path(__file__).parents[1] / "samples" / "snapshot"

# sql/window_digest.sql before the batches (main e9be65b), the reference
FORMER = """
-- Columns: records (flow records of the interfaces in the window), digest (md5 hex).
WITH wanted AS (SELECT DISTINCT unnest(from_json($interfaces, '["VARCHAR"]')) AS interface_id),
client_ports AS (
    -- one row per key and hour: rollup_client_ports holds one row per batch that saw new ports
    SELECT key_hash, hour_index, flatten(list(ports)) AS ports
    FROM rollup_client_ports
    WHERE hour_index >= epoch($start::TIMESTAMP)::BIGINT // 3600
      AND hour_index < epoch($end::TIMESTAMP)::BIGINT // 3600
    GROUP BY key_hash, hour_index
),
rows AS (
    SELECT r.*, hash(r.interface_id, r.direction, r.protocol, r.service_port, r.remote_addr)
               AS key_hash,
           epoch(r.hour)::BIGINT // 3600 AS hour_index
    FROM flow_rollup r
    WHERE r.interface_id IN (SELECT interface_id FROM wanted) AND r.hour >= $start
      AND r.hour < $end
),
traffic AS (
    SELECT interface_id, hour, protocol, remote_addr,
           sum(records) AS records, sum(packets_in) AS packets_in, sum(bytes_in) AS bytes_in,
           sum(packets_out) AS packets_out, sum(bytes_out) AS bytes_out,
           sum(accepted) AS accepted, sum(rejected) AS rejected,
           list_sort(list_distinct(flatten(list(
               list_append(coalesce(c.ports::INTEGER[], []::INTEGER[]), service_port)
           )))) AS ports
    FROM rows
    LEFT JOIN client_ports c USING (key_hash, hour_index)
    GROUP BY interface_id, hour, protocol, remote_addr
),
delivered AS (
    SELECT interface_id, hour, sum(ok_records) AS ok, sum(nodata_records) AS nodata,
           sum(skipdata_records) AS skipdata
    FROM interface_hours
    WHERE interface_id IN (SELECT interface_id FROM wanted) AND hour >= $start AND hour < $end
    GROUP BY interface_id, hour
),
lines AS (
    SELECT concat_ws(' ', 'traffic', interface_id, strftime(hour, '%Y-%m-%dT%H'), protocol,
                     remote_addr, records, packets_in, bytes_in, packets_out, bytes_out,
                     accepted, rejected, array_to_string(ports, ',')) AS line
    FROM traffic
    UNION ALL
    SELECT concat_ws(' ', 'delivered', interface_id, strftime(hour, '%Y-%m-%dT%H'), ok, nodata,
                     skipdata)
    FROM delivered
)
SELECT (SELECT coalesce(sum(records), 0) FROM traffic) AS records,
       md5(coalesce(string_agg(line, chr(10) ORDER BY line), '')) AS digest
FROM lines;
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("digest") / "w.duckdb"
    result = CliRunner().invoke(main, ["ingest", str(SAMPLE), "--workspace", str(path), "--quiet"])
    assert result.exit_code in (0, 4), result.output  # 4: the sample's deliberately bad lines
    return path


def _interfaces(con) -> list[str]:
    """The sample's interfaces, those with the fewest roll-up hours first."""
    sql = (
        "SELECT interface_id FROM flow_rollup GROUP BY interface_id "
        "ORDER BY count(DISTINCT hour), interface_id"
    )
    return [r[0] for r in con.execute(sql).fetchall()]


# At one or two roll-up rows a batch, every (interface, hour) is a batch of its own: one query
# each, ~3,300 over the whole sample (minutes on 2 cores). The two interfaces with the fewest
# hours still put a batch boundary between every hour (seven rows: three interfaces); larger
# batches take the whole sample.
@pytest.mark.parametrize(("batch_rows", "fewest"), [(1, 2), (2, 2), (7, 3), (100, None), (0, None)])
def test_the_batched_digest_is_the_former_single_querys(
    workspace: Path, batch_rows: int, fewest: int | None
) -> None:
    con = open_workspace(str(workspace))
    interfaces = _interfaces(con)[:fewest]
    window = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
    got = workspace_inputs(con, interfaces, window, batch_rows=batch_rows)
    records, digest = con.execute(
        FORMER,
        {
            "interfaces": json.dumps(interfaces),
            "start": datetime(2000, 1, 1),
            "end": datetime(2100, 1, 1),
        },
    ).fetchone()
    assert records > 0
    assert (got["records"], got["digest"]) == (records, "md5:" + digest)


def test_batches_follow_the_lines_order_and_keep_to_the_budget() -> None:
    h = datetime(2026, 10, 1)
    units = [
        ("eni-0000000b", h, 3),
        ("eni-0000000a", h + timedelta(hours=1), 2),
        ("eni-0000000a", h, 2),
        ("eni-0000000a", h + timedelta(hours=3), 9),
    ]
    batches = digest_batches(units, 4)
    assert batches == [
        [
            {
                "interface_id": "eni-0000000a",
                "lo": "2026-10-01T00:00:00",
                "hi": "2026-10-01T02:00:00",
            }
        ],
        [
            {
                "interface_id": "eni-0000000a",
                "lo": "2026-10-01T03:00:00",
                "hi": "2026-10-01T04:00:00",
            }
        ],
        [
            {
                "interface_id": "eni-0000000b",
                "lo": "2026-10-01T00:00:00",
                "hi": "2026-10-01T01:00:00",
            }
        ],
    ]
    # one batch when the budget allows, hours of one ENI apart kept as two ranges
    (one,) = digest_batches(units, 100)
    assert [(r["interface_id"], r["lo"][11:13], r["hi"][11:13]) for r in one] == [
        ("eni-0000000a", "00", "02"),
        ("eni-0000000a", "03", "04"),
        ("eni-0000000b", "00", "01"),
    ]
