"""Where `propose` spends its time: each SQL statement it runs, timed, and the Python around them.

    python bench/propose_stages.py --workspace W [--snapshot bench/data/snapshot]

Plans over a workspace `bench/run.py` filled (ingest-text), the way the propose-text task does
(--no-ingest --min-days 1), in this process, with a connection that times every `execute` by its
`sql/` query name (bench/stages.py's TimedConnection). Everything not inside an execute is
Python (matching, narrowing, building the plan). A diagnostic; it depends on
`sgharden.pipeline.build_plan`.
"""

from __future__ import annotations

import argparse
import collections
import os
import time
from dataclasses import replace
from pathlib import Path

from run import BENCH
from stages import TimedConnection, _cpu_seconds

from sgharden.analysis.options import PlannerOptions
from sgharden.pipeline import WindowRequest, build_plan
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--snapshot", type=Path, default=BENCH / "data" / "snapshot")
    args = parser.parse_args()
    spent: collections.Counter[str] = collections.Counter()
    cpu: collections.Counter[str] = collections.Counter()
    snapshot = load_snapshot(args.snapshot)
    con = open_workspace(str(args.workspace))
    options = replace(PlannerOptions(), min_window_days=1.0)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    plan = build_plan(TimedConnection(con, spent, cpu), snapshot, WindowRequest(), options)  # type: ignore[arg-type]
    total, cpu_total = time.perf_counter() - started, _cpu_seconds() - cpu_started
    con.close()
    print(f"load {os.getloadavg()[0]:.1f}; groups {len(plan.groups)}")
    print("| statement | wall s | CPU s | CPU share |\n|---|---:|---:|---:|")
    for label, seconds in cpu.most_common():
        if spent[label] >= 0.01:
            print(f"| {label} | {spent[label]:.2f} | {seconds:.2f} | {seconds / cpu_total:.0%} |")
    py_wall, py_cpu = total - sum(spent.values()), cpu_total - sum(cpu.values())
    print(f"| Python (outside execute) | {py_wall:.2f} | {py_cpu:.2f} | {py_cpu / cpu_total:.0%} |")
    print(f"| total | {total:.2f} | {cpu_total:.2f} | |")


if __name__ == "__main__":
    main()
