"""What ingest writes, reduced to a small fingerprint: one digest per table per input case.

    python tests/ingest_fingerprint.py          # print the fingerprint of this checkout
    python tests/ingest_fingerprint.py --write  # store it in tests/fixtures/ingest_fingerprint.json

The stored file was written from the implementation before issue 14 changed ingest; the test
(tests/test_ingest_equality.py) recomputes it and requires equality, table by table. It was
rewritten once, deliberately, for issue 11 (a connection = distinct client ports per key and hour,
docs/planner.md): only `flow_rollup`'s connections and the plans changed; every other column of
every table was checked unchanged against the implementation before it.
Its sample plan was rewritten again for issue 11's review pack: the only differences (checked
with a diff of the plan JSON against main 6d92165) are a held rule's reason naming what peer ENIs'
logs saw, and `counted_by` on EC2.9/RDS.2 evidence; no table digest changed.

The roll-up and the coverage hours are compared as readers see them (rows of the same key and hour
summed, sql/schema.sql says readers sum them): how rows split across batches is storage, not
result. Everything else is compared row for row. Paths are made relative to the case's root and
load-time columns (ingested_at, rejected_at, a local file's mtime as version) are left out.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
STORED = TESTS / "fixtures" / "ingest_fingerprint.json"
NOW = datetime(2026, 11, 1, tzinfo=UTC)

# table -> query giving its content in a canonical form
TABLES: dict[str, str] = {
    "flow_rollup": """
        SELECT account_id, region, interface_id, direction, basis, protocol, local_addr,
               service_port, remote_addr, remote_family, remote_hex, hour, sum(records),
               sum(connections), sum(packets_in), sum(bytes_in), sum(packets_out), sum(bytes_out),
               sum(accepted), sum(rejected), bit_or(tcp_flags), min(first_seen), max(last_seen)
        FROM flow_rollup
        GROUP BY ALL""",
    # One sample per inbound key; which record wins a tie (equal start, same side) is decided by
    # content (sql/rollup_batch.sql), so the whole record is compared.
    "flow_sample_records": "SELECT * FROM flow_sample_records",
    "interface_hours": """
        SELECT account_id, region, interface_id, hour, sum(ok_records), sum(nodata_records),
               sum(skipdata_records)
        FROM interface_hours GROUP BY ALL""",
    "coverage_events": "SELECT * FROM coverage_events",
    "rejects": "SELECT source, line, reason, raw FROM rejects",
    "interface_addresses": "SELECT * FROM interface_addresses",
    "listeners": "SELECT * FROM listeners",
    "ingested_objects": """
        SELECT source, size, kind, account_id, region, flow_log_id, records, rejected
        FROM ingested_objects""",
    "flow_records": "SELECT * FROM flow_records",
}


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Iterator[tuple[list[str], dict[str, Any], Path | None]]]


def _digest(rows: list[tuple[Any, ...]], root: Path) -> dict[str, Any]:
    prefix = str(root) + "/"
    lines = sorted(
        json.dumps([_plain(v, prefix) for v in row], separators=(",", ":")) for row in rows
    )
    sha = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    return {"rows": len(lines), "sha256": sha}


def _plain(value: Any, prefix: str) -> Any:
    if isinstance(value, str):
        return value.replace(prefix, "")
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


def table_fingerprint(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, Any]:
    return {name: _digest(con.execute(sql).fetchall(), root) for name, sql in TABLES.items()}


def plan_fingerprint(plan: dict[str, Any], root: Path) -> dict[str, Any]:
    text = json.dumps(plan, sort_keys=True).replace(str(root) + "/", "")
    statuses: dict[str, int] = {}
    for group in plan.get("groups", []):
        statuses[group["status"]] = statuses.get(group["status"], 0) + 1
    return {"groups": statuses, "sha256": hashlib.sha256(text.encode()).hexdigest()[:16]}


# ------------------------------------------------------------------------------------- the cases


def _vectors() -> Path:
    shared = REPO.parent / "shared" / "vectors"
    return shared if (shared / "flowlogs").is_dir() else TESTS / "vectors"


V2 = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)
GOOD = (
    "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.5 50123 443 6 10 4000 "
    "1700000000 1700000060 ACCEPT OK"
)


def _bad_input(root: Path) -> None:
    """Objects that take every slow path: malformed lines, a truncated gzip, a double space, a
    header in the middle, records lacking what the roll-up needs, an unknown file, bad Parquet."""
    good = [GOOD, GOOD.replace("50123", "50124").replace("1700000000", "1700003700")]
    lines = [V2, *good, "2 123456789012 eni-0a1b2c3d4e5f60718 garbage"]
    lines += [GOOD.replace(" 443 ", " https "), GOOD.replace("ACCEPT", "MAYBE"), V2, *good]
    (root / "a.log.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    whole = gzip.compress(("\n".join([V2, *good * 50]) + "\n").encode())
    (root / "truncated.log.gz").write_bytes(whole[: len(whole) // 2])
    (root / "double.log").write_text(V2 + "\n" + GOOD.replace(" 443 ", "  443 ") + "\n")
    lacking = GOOD.replace("eni-0a1b2c3d4e5f60718", "-")
    nodata = "2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1700007200 1700007260 - NODATA"
    (root / "lacking.log").write_text("\n".join([V2, lacking, nodata, GOOD]) + "\n")
    (root / "notes.txt").write_text("not a flow log\n")
    (root / "broken.log.parquet").write_bytes(b"PAR1 not really")
    duckdb.sql(
        f"COPY (SELECT 'eni-0a1b2c3d4e5f60718' AS interface_id, 6 AS protocol) "
        f"TO '{root / 'short.log.parquet'}' (FORMAT parquet)"
    )


def _case_vectors(keep: bool) -> Callable[[Path], Iterator[Any]]:
    def build(root: Path) -> Iterator[Any]:
        flowlogs = root / "flowlogs"
        _copy_tree(_vectors() / "flowlogs", flowlogs)
        options: dict[str, Any] = {"keep_records": keep}
        if keep:
            options["log_format"] = tuple(V2.split())
        yield [str(flowlogs)], options, None

    return build


def _case_bad(root: Path) -> Iterator[Any]:
    _bad_input(root)
    yield [str(root)], {"keep_records": True}, None


def _case_sample(root: Path) -> Iterator[Any]:
    snap = root / "snapshot"
    _copy_tree(REPO / "samples" / "snapshot", snap)
    yield from _snapshot_case(snap, {})


def _corpus_case(fmt: str, **extra: Any) -> Callable[[Path], Iterator[Any]]:
    def build(root: Path) -> Iterator[Any]:
        sys.path.insert(0, str(TESTS))
        from corpus.generate import write

        snap = write(root, fmt, _small_corpus())
        yield from _snapshot_case(snap, extra)

    return build


_CORPUS: list[Any] = []


def _small_corpus() -> Any:
    """The labelled corpus (tests/corpus/generate.py), its first 4 days: small, every behaviour."""
    if not _CORPUS:
        from corpus.generate import T0, build

        corpus = build()
        corpus.records = [r for r in corpus.records if r.start < T0 + 4 * 86400]
        _CORPUS.append(corpus)
    return _CORPUS[0]


def _snapshot_case(snap: Path, extra: dict[str, Any]) -> Iterator[Any]:
    from sgharden.snapshot import load_snapshot

    snapshot = load_snapshot(snap)
    jsons = [snap / "flow-logs.json", *sorted(snap.glob("*/*/flow-logs.json"))]
    options: dict[str, Any] = {
        "flow_logs_json": tuple(p for p in jsons if p.is_file()),
        "known_addresses": {e.interface_id: e.addresses for e in snapshot.all_interfaces()},
    }
    if extra.pop("infer", False):
        options["known_addresses"] = {}
    options.update(extra)
    yield [str(p) for p in snapshot.flow_log_dirs], options, snap


def _copy_tree(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst)


CASES = (
    Case("vectors", _case_vectors(False)),
    Case("vectors-v2-keep-records", _case_vectors(True)),
    Case("bad-input", _case_bad),
    Case("sample", _case_sample),
    Case("corpus-v2", _corpus_case("v2")),
    Case("corpus-v5", _corpus_case("v5")),
    Case("corpus-parquet", _corpus_case("parquet")),
    # many small batches: rows, samples and listeners carried across batches
    Case("corpus-v5-batches", _corpus_case("v5", batch_bytes=1)),
    Case("corpus-v2-inferred", _corpus_case("v2", infer=True)),
)


@contextmanager
def _root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="sgharden-fp-") as tmp:
        yield Path(tmp).resolve()


def fingerprint_case(case: Case) -> dict[str, Any]:
    """Ingest the case into a fresh workspace; the tables' digests and, for a snapshot, the plan's."""
    from sgharden.analysis.connections import data_window
    from sgharden.analysis.options import PlannerOptions
    from sgharden.analysis.planner import propose
    from sgharden.flowlogs.ingest import IngestOptions, ingest
    from sgharden.snapshot import load_snapshot
    from sgharden.workspace import open_workspace

    with _root() as root:
        ((sources, options, snap),) = list(case.build(root))
        con = open_workspace(None)
        report = ingest(con, sources, IngestOptions(**options))
        out: dict[str, Any] = {
            "report": [report.records, report.rejected, report.unanalysable],
            "tables": table_fingerprint(con, root),
        }
        if snap is not None:
            snapshot = load_snapshot(snap)
            interfaces = sorted(e.interface_id for e in snapshot.all_interfaces())
            window = data_window(con, interfaces)
            assert window is not None, case.name
            plan = propose(con, snapshot, window, PlannerOptions(min_window_days=1), now=NOW)
            out["plan"] = plan_fingerprint(json.loads(json.dumps(plan.to_dict())), root)
        con.close()
    return out


def fingerprint() -> dict[str, Any]:
    return {case.name: fingerprint_case(case) for case in CASES}


def main() -> None:
    sys.path.insert(0, str(TESTS))
    found = fingerprint()
    text = json.dumps(found, indent=1, sort_keys=True) + "\n"
    if "--write" in sys.argv:
        STORED.write_text(text)
        print(f"wrote {STORED}")
    else:
        print(text)


if __name__ == "__main__":
    main()
