"""Where ingest spends its time: each SQL statement it runs, timed, on the benchmark's objects.

    python bench/stages.py [--kind text|parquet] [--records 2000000]

Runs the library's Ingester in this process with a connection that times every `execute` and
labels it by the `sql/` query name (or the statement's first words). A diagnostic for whoever
tunes ingest; it depends on `sgharden.flowlogs.ingest` internals (`query`, `Ingester`).
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path
from typing import Any

from run import BENCH, objects

from sgharden.flowlogs import ingest as ingest_module
from sgharden.workspace import open_workspace


class TimedConnection:
    """A DuckDB connection that adds each execute's wall time to `spent[label]`."""

    def __init__(self, con: Any, spent: collections.Counter[str]) -> None:
        self._con = con
        self._spent = spent

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        out = self._con.execute(sql, *args, **kwargs)
        label = sql[2 : sql.index("*/")] if sql.startswith("/*") else " ".join(sql.split()[:3])[:40]
        self._spent[label] += time.perf_counter() - started
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("text", "parquet"), default="text")
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--data", type=Path, default=BENCH / "data")
    args = parser.parse_args()
    named = ingest_module.query
    ingest_module.query = lambda name: f"/*{name}*/ " + named(name)  # type: ignore[assignment]
    spent: collections.Counter[str] = collections.Counter()
    files = objects(args.data, args.kind, args.records)
    with tempfile.TemporaryDirectory() as tmp:
        con = open_workspace(str(Path(tmp) / "stages.duckdb"))
        started = time.perf_counter()
        ingester = ingest_module.Ingester(
            TimedConnection(con, spent), ingest_module.IngestOptions()
        )  # type: ignore[arg-type]
        ingester.run(files)
        total = time.perf_counter() - started
        con.close()
    print("| statement | s | share |\n|---|---:|---:|")
    for label, seconds in spent.most_common():
        if seconds >= 0.01:
            print(f"| {label} | {seconds:.2f} | {seconds / total:.0%} |")
    print(f"| total | {total:.2f} | |")


if __name__ == "__main__":
    main()
