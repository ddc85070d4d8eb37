"""The same records as a text object and as a Parquet object are stored alike and refused alike.

The Parquet object is written by DuckDB's COPY with a string column per field, holding each
field's token as it stands in the text line (a garbage port, `-`, a tab inside an id): the
Parquet reader must store the same roll-up and keep the same records aside, with the same reason,
as the line parser gives the text line (Parquet row n is text line n + 1, after the header).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_ingest_parsers_agree import FIELD, GOOD, HEADER, HOSTILE

from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.workspace import open_workspace

MISSING = {  # `-` where the text path reads a missing value: kept aside as not analysable
    "srcaddr": ["-"], "interface-id": ["-"], "protocol": ["-"], "start": ["-"], "log-status": ["-"],
    "packets": ["-"], "srcport": ["-", "\U0001d7d1", "4'3"], "dstaddr": ["a\\b"],
}  # fmt: skip
TOKENS = {name: HOSTILE.get(name, []) + MISSING.get(name, []) for name in {*HOSTILE, *MISSING}}
ROLLUP = (
    "SELECT interface_id, service_port, remote_addr, remote_hex, records, bytes_in, accepted "
    "FROM flow_rollup ORDER BY ALL"
)


def _write_parquet(path: Path, lines: list[str]) -> None:
    names = [n.replace("-", "_") for n in HEADER.split()]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f'"{n}" VARCHAR' for n in names) + ")")
    con.executemany(
        f"INSERT INTO t VALUES ({', '.join('?' for _ in names)})", [ln.split(" ") for ln in lines]
    )
    con.execute("COPY t TO $p (FORMAT parquet)", {"p": str(path)})
    con.close()


def _stored(kind: str, lines: list[str], keep: bool) -> tuple[object, ...]:
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "text":
            Path(tmp, "a.log").write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
        else:
            _write_parquet(Path(tmp, "a.parquet"), lines)
        con = open_workspace(None)
        report = ingest(con, [tmp], IngestOptions(keep_records=keep))
        rollup = con.execute(ROLLUP).fetchall()
        records = con.execute(
            "SELECT * EXCLUDE (line, source) FROM flow_records ORDER BY ALL"
        ).fetchall()
        offset = 1 if kind == "text" else 0  # the header is line 1
        rejects = [
            (line - offset, reason, raw if not reason.startswith("not analysable") else "")
            for line, reason, raw in con.execute(
                "SELECT line, reason, raw FROM rejects ORDER BY line"
            ).fetchall()
        ]
        con.close()
        counts = (report.records, report.rejected, report.unanalysable)
        # "line 3: ..." in a text object is "line 2: ..." in Parquet (no header): the reason alone
        reported = [(n, why.split(": ", 1)[1]) for _, n, why in report.objects_with_rejects]
        first = [why for _, why in report.rejected_objects]
        return rollup, records, rejects, counts, reported, first


def assert_alike(lines: list[str]) -> None:
    for keep in (False, True):
        assert _stored("parquet", lines, keep) == _stored("text", lines, keep)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(
            st.sampled_from(sorted(TOKENS)).flatmap(
                lambda n: st.tuples(st.just(n), st.sampled_from(TOKENS[n]))
            ),
            max_size=3,
        ),
        min_size=1,
        max_size=4,
    )
)
# found by a seed: a CR inside a token crashed the line parser's load (read_csv took it for the
# line end); pinned so every run tries it
@example(records=[[("interface-id", "eni-1\rx")]])
def test_text_and_parquet_store_and_refuse_the_same(records: list[list[tuple[str, str]]]) -> None:
    lines = []
    for edits in records:
        tokens = GOOD.split()
        for name, token in edits:
            tokens[FIELD[name]] = token
        lines.append(" ".join(tokens))
    assert_alike(lines)


@pytest.mark.parametrize(
    ("name", "token"),
    [
        ("dstport", "https"), ("srcaddr", "not-an-ip"), ("srcaddr", "-"), ("action", "accept"),
        ("log-status", "ok"), ("dstport", "4'3"), ("bytes", "99999999999999999999999"),
        ("interface-id", "-"), ("log-status", "NODATA"),
    ],
)  # fmt: skip
def test_each_kind_of_refusal_is_the_same_in_text_and_parquet(name: str, token: str) -> None:
    tokens = GOOD.split()
    tokens[FIELD[name]] = token
    assert_alike([GOOD, " ".join(tokens), GOOD.replace("10.0.1.5", "10.0.1.6")])
    # and the refusal is there at all (a reader refusing nothing on both sides would pass)
    _, _, rejects, _, _, _ = _stored("parquet", [GOOD, " ".join(tokens)], False)
    if (name, token) != ("log-status", "NODATA"):
        assert [line for line, _, _ in rejects] == [2]
