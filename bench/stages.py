"""Where ingest spends its time: each SQL statement it runs, timed, on the benchmark's objects.

    python bench/stages.py [--kind text|parquet] [--records 2000000]

Runs the library's Ingester in this process with a connection that times every `execute` and
labels it by the `sql/` query name (or the statement's first words). A diagnostic for whoever
tunes ingest; it depends on `sgharden.flowlogs.ingest` internals (`query`, `Ingester`).
"""

from __future__ import annotations

import argparse
import collections
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from run import BENCH, objects

from sgharden.flowlogs import ingest as ingest_module
from sgharden.workspace import open_workspace


class TimedConnection:
    """A DuckDB connection that adds each execute's wall and CPU time to `spent`/`cpu[label]`."""

    def __init__(
        self, con: Any, spent: collections.Counter[str], cpu: collections.Counter[str]
    ) -> None:
        self._con = con
        self._spent = spent
        self._cpu = cpu

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), _cpu_seconds()
        out = self._con.execute(sql, *args, **kwargs)
        label = sql[2 : sql.index("*/")] if sql.startswith("/*") else " ".join(sql.split()[:3])[:40]
        if label.startswith("-- name: "):
            label = label.split()[2]
        self._spent[label] += time.perf_counter() - started
        self._cpu[label] += _cpu_seconds() - cpu
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _cpu_seconds() -> float:
    """This process's CPU time (every DuckDB thread): on a shared machine it says what a
    statement costs better than wall time, which also measures the neighbours."""
    t = os.times()
    return t.user + t.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("text", "parquet"), default="text")
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--data", type=Path, default=BENCH / "data")
    args = parser.parse_args()
    named = ingest_module.query
    ingest_module.query = lambda name: f"/*{name}*/ " + named(name)  # type: ignore[assignment]
    spent: collections.Counter[str] = collections.Counter()
    cpu: collections.Counter[str] = collections.Counter()
    files = objects(args.data, args.kind, args.records)
    with tempfile.TemporaryDirectory() as tmp:
        con = open_workspace(str(Path(tmp) / "stages.duckdb"))
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        ingester = ingest_module.Ingester(
            TimedConnection(con, spent, cpu), ingest_module.IngestOptions()
        )  # type: ignore[arg-type]
        report = ingester.run(files)
        total, cpu_total = time.perf_counter() - started, _cpu_seconds() - cpu_started
        con.close()
    print(f"load {os.getloadavg()[0]:.1f}; records {report.records:,}")
    print("| statement | wall s | CPU s | CPU share |\n|---|---:|---:|---:|")
    for label, seconds in cpu.most_common():
        if spent[label] >= 0.01:
            print(f"| {label} | {spent[label]:.2f} | {seconds:.2f} | {seconds / cpu_total:.0%} |")
    print(f"| total | {total:.2f} | {cpu_total:.2f} | |")


if __name__ == "__main__":
    main()
