"""Measure `sgharden ingest` against the floor and the baselines, on the same files, in one run.

    python bench/generate.py                  # once: 20M records into bench/data (text + Parquet)
    python bench/run.py                       # 2M, 5M and 20M (the first objects of the 20M set)
    python bench/run.py --records 2000000 --tasks floor-text python-text

Each task is a separate process under `/usr/bin/time -v` (wall time, peak RSS):

  floor-text         DuckDB's bare scan: SELECT count(*) FROM read_csv(the .log.gz objects)
  floor-parquet      DuckDB scan of the Parquet objects reading every column ingest reads
  ingest-text        sgharden ingest of the text objects into a fresh workspace
  ingest-text-again  the same command again: every object already ingested (target < 2 s)
  ingest-parquet     / ingest-parquet-again: the same for the Parquet objects
  rollup-text        the roll-up a skilled user writes by hand: one read_csv -> GROUP BY
                     (interface, direction, protocol, local/remote address, service port, hour)
                     into a table of a fresh DuckDB file (the peer ingest-text is compared with)
  rollup-parquet     the same over the Parquet objects (the peer of ingest-parquet)
  python-text        a plain streaming parser/aggregator (gzip, split, dict keyed like the roll-up)
  pandas-text        pandas read_csv of every object, concat, groupby on the same key

Results go to bench/results/<timestamp>.json and a Markdown table on stdout. A task is a name, a
command and an optional check in TASKS.

  propose-text       sgharden propose --no-ingest over the ingest-text workspace, with the snapshot
                     of bench/snapshot.py (target: under 10 s at 20M records)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = sys.executable
SGHARDEN = str(Path(PYTHON).with_name("sgharden"))
DEFAULT_RECORDS = (2_000_000, 5_000_000, 20_000_000)
KEY_FIELDS = [
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "log-status",
    "tcp-flags",
    "flow-direction",
]


# --------------------------------------------------------------------------- the workers
# Each runs in its own process (`python bench/run.py --worker NAME FILES...`) and prints one
# line: the records it saw, and what it produced.


def worker_floor_text(files: list[str]) -> str:
    import duckdb

    (count,) = duckdb.sql(
        "SELECT count(*) FROM read_csv($files, delim=' ', header=true)", params={"files": files}
    ).fetchone()  # type: ignore[misc]
    return f"records={count}"


def worker_floor_parquet(files: list[str]) -> str:
    import duckdb

    names = [c[0] for c in duckdb.sql("DESCRIBE SELECT * FROM read_parquet($f, hive_partitioning=false)", params={"f": files[:1]}).fetchall()]  # fmt: skip
    touch = ", ".join(f'max("{n}")' for n in names)
    row = duckdb.sql(
        f"SELECT count(*), {touch} FROM read_parquet($files, hive_partitioning=false)",
        params={"files": files},
    ).fetchone()
    assert row is not None
    return f"records={row[0]} columns={len(names)}"


# Direction from flow-direction and tcp-flags (SYN-ACK: its sender answers; SYN: its sender opens;
# else the lower port is the service), as the python/pandas baselines decide it.
HAND_ROLLUP = """
CREATE TABLE rollup AS
WITH r AS (
    SELECT interface_id, protocol, packets, bytes, start,
           flow_direction = 'egress' AS egress,
           CASE WHEN flow_direction = 'egress' THEN srcaddr ELSE dstaddr END AS local_addr,
           CASE WHEN flow_direction = 'egress' THEN dstaddr ELSE srcaddr END AS remote_addr,
           CASE WHEN flow_direction = 'egress' THEN srcport ELSE dstport END AS local_port,
           CASE WHEN flow_direction = 'egress' THEN dstport ELSE srcport END AS remote_port,
           coalesce(tcp_flags, 0) AS flags
    FROM {source}
    WHERE log_status = 'OK'
), d AS (
    SELECT *, CASE WHEN flags & 18 = 18 THEN egress WHEN flags & 2 = 2 THEN NOT egress
                   ELSE local_port < remote_port END AS inbound
    FROM r
)
SELECT interface_id, inbound, protocol, local_addr,
       CASE WHEN inbound THEN local_port ELSE remote_port END AS service_port,
       remote_addr, start // 3600 AS hour, count(*) AS records, sum(packets) AS packets,
       sum(bytes) AS bytes
FROM d
GROUP BY ALL
"""
_TEXT_SOURCE = (
    '(SELECT "interface-id" AS interface_id, srcaddr, dstaddr, srcport, dstport, protocol, '
    'packets, bytes, start, "log-status" AS log_status, "tcp-flags" AS tcp_flags, '
    '"flow-direction" AS flow_direction '
    "FROM read_csv($files, delim=' ', header=true, nullstr='-'))"
)
_PARQUET_SOURCE = "read_parquet($files, hive_partitioning=false)"


def _worker_rollup(files: list[str], source: str) -> str:
    import duckdb

    target = Path(os.environ["BENCH_WORKSPACE"])
    for stale in target.parent.glob(target.name + "*"):
        stale.unlink()
    con = duckdb.connect(str(target))
    con.execute("SET enable_progress_bar = false")
    con.execute(HAND_ROLLUP.format(source=source), {"files": files})
    (rows,) = con.execute("SELECT count(*) FROM rollup").fetchone()  # type: ignore[misc]
    con.close()
    return f"rollup rows={rows}"


def worker_rollup_text(files: list[str]) -> str:
    return _worker_rollup(files, _TEXT_SOURCE)


def worker_rollup_parquet(files: list[str]) -> str:
    return _worker_rollup(files, _PARQUET_SOURCE)


def worker_python_text(files: list[str]) -> str:
    """What people write today: stream each gzip object, split lines, aggregate in a dict."""
    import gzip

    rollup: dict[tuple[object, ...], list[int]] = {}
    records = 0
    for path in files:
        with gzip.open(path, "rt") as lines:
            header = lines.readline().split()
            at = {name: header.index(name) for name in KEY_FIELDS}
            i_eni, i_src, i_dst = at["interface-id"], at["srcaddr"], at["dstaddr"]
            i_sport, i_dport, i_proto = at["srcport"], at["dstport"], at["protocol"]
            i_packets, i_bytes, i_start = at["packets"], at["bytes"], at["start"]
            i_status, i_flags, i_dir = at["log-status"], at["tcp-flags"], at["flow-direction"]
            for line in lines:
                v = line.split()
                records += 1
                if v[i_status] != "OK":
                    continue
                egress = v[i_dir] == "egress"
                if egress:
                    local, remote = v[i_src], v[i_dst]
                    local_port, remote_port = int(v[i_sport]), int(v[i_dport])
                else:
                    local, remote = v[i_dst], v[i_src]
                    local_port, remote_port = int(v[i_dport]), int(v[i_sport])
                flags = int(v[i_flags]) if v[i_flags] != "-" else 0
                if flags & 18 == 18:  # SYN-ACK: the sender answers
                    inbound = egress
                elif flags & 2:  # SYN: the sender opens
                    inbound = not egress
                else:
                    inbound = local_port < remote_port
                key = (
                    v[i_eni],
                    inbound,
                    v[i_proto],
                    local,
                    local_port if inbound else remote_port,
                    remote,
                    int(v[i_start]) // 3600,
                )
                agg = rollup.get(key)
                if agg is None:
                    rollup[key] = [1, int(v[i_packets]), int(v[i_bytes])]
                else:
                    agg[0] += 1
                    agg[1] += int(v[i_packets])
                    agg[2] += int(v[i_bytes])
    return f"records={records} keys={len(rollup)}"


def worker_pandas_text(files: list[str]) -> str:
    import numpy as np
    import pandas as pd

    dtypes = {
        "srcport": "Int32",
        "dstport": "Int32",
        "protocol": "Int16",
        "packets": "Int64",
        "bytes": "Int64",
        "start": "Int64",
        "tcp-flags": "Int16",
    }
    frames = [
        pd.read_csv(p, sep=" ", usecols=list(KEY_FIELDS), na_values=["-"], dtype=dtypes)
        for p in files
    ]
    df = pd.concat(frames, ignore_index=True)
    records = len(df)
    df = df[df["log-status"] == "OK"]
    egress = (df["flow-direction"] == "egress").to_numpy()
    src, dst = df["srcaddr"].to_numpy(), df["dstaddr"].to_numpy()
    sport, dport = df["srcport"].to_numpy("int64"), df["dstport"].to_numpy("int64")
    local_port = np.where(egress, sport, dport)
    remote_port = np.where(egress, dport, sport)
    flags = df["tcp-flags"].fillna(0).to_numpy("int64")
    inbound = np.where(
        (flags & 18) == 18, egress, np.where((flags & 2) != 0, ~egress, local_port < remote_port)
    )
    keyed = pd.DataFrame(
        {
            "eni": df["interface-id"].to_numpy(),
            "inbound": inbound,
            "protocol": df["protocol"].to_numpy(),
            "local": np.where(egress, src, dst),
            "service": np.where(inbound, local_port, remote_port),
            "remote": np.where(egress, dst, src),
            "hour": df["start"].to_numpy("int64") // 3600,
            "packets": df["packets"].to_numpy("int64"),
            "bytes": df["bytes"].to_numpy("int64"),
        }
    )
    rollup = keyed.groupby(
        ["eni", "inbound", "protocol", "local", "service", "remote", "hour"], sort=False
    ).agg(records=("packets", "size"), packets=("packets", "sum"), bytes=("bytes", "sum"))
    return f"records={records} keys={len(rollup)}"


WORKERS: dict[str, Callable[[list[str]], str]] = {
    "floor-text": worker_floor_text,
    "floor-parquet": worker_floor_parquet,
    "rollup-text": worker_rollup_text,
    "rollup-parquet": worker_rollup_parquet,
    "python-text": worker_python_text,
    "pandas-text": worker_pandas_text,
}


# --------------------------------------------------------------------------- the tasks


@dataclass(frozen=True)
class Task:
    name: str
    kind: str  # text | parquet
    what: str  # floor | rollup | ingest | ingest-again | propose | python | pandas
    command: Callable[[list[str], Path], list[str]]
    fresh_workspace: bool = False


def _worker(name: str) -> Callable[[list[str], Path], list[str]]:
    return lambda files, _ws: [PYTHON, str(Path(__file__).resolve()), "--worker", name, *files]


def _ingest(files: list[str], workspace: Path) -> list[str]:
    return [SGHARDEN, "ingest", *files, "--workspace", str(workspace), "--quiet"]


def _propose(files: list[str], workspace: Path) -> list[str]:
    """propose over the workspace ingest-text just filled (--no-ingest: the plan alone is timed).

    The snapshot around the benchmark's 300 interfaces comes from bench/snapshot.py; the data
    spans 7 days, so --min-days 1 lets every group be judged rather than stop at needs-more-data.
    """
    from snapshot import build

    snap = workspace.parent.parent / "snapshot"
    build(snap)
    return [SGHARDEN, "propose", "--snapshot", str(snap), "--workspace", str(workspace),
            "--no-ingest", "--min-days", "1", "--format", "json", "--output", os.devnull,
            "--quiet"]  # fmt: skip


TASKS = [
    Task("floor-text", "text", "floor", _worker("floor-text")),
    Task("rollup-text", "text", "rollup", _worker("rollup-text")),
    Task("ingest-text", "text", "ingest", _ingest, fresh_workspace=True),
    Task("ingest-text-again", "text", "ingest-again", _ingest),
    Task("propose-text", "text", "propose", _propose),
    Task("floor-parquet", "parquet", "floor", _worker("floor-parquet")),
    Task("rollup-parquet", "parquet", "rollup", _worker("rollup-parquet")),
    Task("ingest-parquet", "parquet", "ingest", _ingest, fresh_workspace=True),
    Task("ingest-parquet-again", "parquet", "ingest-again", _ingest),
    Task("python-text", "text", "python", _worker("python-text")),
    Task("pandas-text", "text", "pandas", _worker("pandas-text")),
]


@dataclass
class Result:
    records: int
    task: str
    kind: str
    what: str
    wall_s: float
    cpu_s: float
    max_rss_mib: float
    exit_code: int
    output: str
    records_per_s: float
    load_before: float
    load_after: float
    walls_s: list[float]  # every repetition; wall_s is the fastest


def _time_v(command: list[str], env: dict[str, str]) -> tuple[float, float, float, int, str]:
    """Run under /usr/bin/time -v: wall seconds, CPU seconds (user + system, every thread: on a
    shared machine the fairer cost), peak RSS (MiB), exit code, last stdout line."""
    # beside the system's temp files, not in the data folder (which --data may put anywhere)
    report = Path(tempfile.gettempdir()) / f"sgharden-time-v-{os.getpid()}.txt"
    proc = subprocess.run(
        ["/usr/bin/time", "-v", "-o", str(report), *command],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )
    text = report.read_text()
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    user = re.search(r"User time \(seconds\): ([\d.]+)", text)
    system = re.search(r"System time \(seconds\): ([\d.]+)", text)
    assert wall and rss and user and system, text
    cpu = float(user.group(1)) + float(system.group(1))
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    output = (proc.stdout.strip().splitlines() or [""])[-1]
    if proc.returncode not in (0,):
        output = (output + " " + proc.stderr.strip()[-300:]).strip()
    return seconds, cpu, int(rss.group(1)) / 1024, proc.returncode, output


def _ingested_records(workspace: Path) -> int:
    import duckdb

    con = duckdb.connect(str(workspace), read_only=True)
    row = con.execute("SELECT coalesce(sum(records), 0) FROM ingested_objects").fetchone()
    con.close()
    return int(row[0]) if row else 0


def _rollup_ratio(workspace: Path, files: list[str]) -> float:
    """Roll-up bytes / raw bytes: the roll-up as Parquet (what the Athena engine downloads:
    docs/scale.md) over the objects ingested."""
    import tempfile

    import duckdb

    con = duckdb.connect(str(workspace), read_only=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rollup.parquet"
        con.execute(f"COPY (SELECT * FROM flow_rollup) TO '{out}' (FORMAT parquet)")
        size = out.stat().st_size
    con.close()
    return size / max(sum(Path(f).stat().st_size for f in files), 1)


def objects(data: Path, kind: str, records: int) -> list[str]:
    """The first objects of the generated set holding `records` records, in record order."""
    total, per_object = (int(x) for x in (data / "records.txt").read_text().split())
    if records > total or records % per_object:
        raise SystemExit(f"{records} records: not a multiple of {per_object} up to {total}")
    pattern = "*.log.gz" if kind == "text" else "*.log.parquet"
    found = sorted((data / kind).rglob(pattern), key=lambda p: p.name.split("_")[4:])
    return [str(p) for p in found[: records // per_object]]


def machine() -> dict[str, object]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    versions = {}
    for module in ("duckdb", "pandas", "pyarrow"):
        try:
            versions[module] = __import__(module).__version__
        except ImportError:
            versions[module] = None
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sgharden_commit": commit,
        **versions,
    }


def run(
    data: Path, sizes: list[int], task_names: list[str], limits: dict[str, int], repeat: int = 1
) -> list[Result]:
    """Every task at every size, `repeat` times in a row; the fastest repetition is kept (the
    machine is shared, so the slower ones measure the neighbours as much as the task)."""
    results: list[Result] = []
    workspaces = data / "workspaces"
    workspaces.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        files = {kind: objects(data, kind, n) for kind in ("text", "parquet")}
        for paths in files.values():  # warm the page cache: every task reads the same bytes
            for p in paths:
                with open(p, "rb") as f:
                    while f.read(1 << 22):
                        pass
        best: dict[str, Result] = {}
        for _ in range(repeat):
            for task in TASKS:
                if task.name not in task_names or n > limits.get(task.what, n):
                    continue
                result = _measure(task, n, files[task.kind], workspaces)
                kept = best.get(task.name)
                # a failed run never wins: its time measures a crash, not the task
                if kept is None or (result.exit_code, result.wall_s) < (
                    kept.exit_code,
                    kept.wall_s,
                ):
                    result.walls_s = [*(kept.walls_s if kept else []), result.wall_s]
                    best[task.name] = result
                else:
                    kept.walls_s.append(result.wall_s)
        results.extend(best.values())
    return results


def _measure(task: Task, n: int, files: list[str], workspaces: Path) -> Result:
    workspace = workspaces / f"{task.kind}-{n}.duckdb"
    if task.fresh_workspace:
        for stale in workspaces.glob(f"{task.kind}-{n}.duckdb*"):
            stale.unlink()
        shutil.rmtree(workspace.with_suffix(".tmp"), ignore_errors=True)
    load = os.getloadavg()[0]
    hand = workspaces / f"hand-{task.kind}-{n}.duckdb"
    wall, cpu, rss, code, output = _time_v(
        task.command(files, workspace), {"BENCH_WORKSPACE": str(hand)}
    )
    load_after = os.getloadavg()[0]
    if task.what in ("ingest", "ingest-again") and workspace.exists():
        output = f"workspace records={_ingested_records(workspace)} {output}".strip()
        if task.what == "ingest" and code == 0:
            output = f"rollup/raw={_rollup_ratio(workspace, files):.3f} {output}"
    print(
        f"{n:>11,} {task.name:<21} {wall:8.2f}s cpu {cpu:8.2f}s {rss:9.1f} MiB  exit {code}  "
        f"load {load:.1f}-{load_after:.1f}  {output}",
        file=sys.stderr,
    )
    return Result(n, task.name, task.kind, task.what, round(wall, 2), round(cpu, 2), round(rss, 1), code,
                  output, round(n / wall) if wall else 0.0, load, load_after, [round(wall, 2)])  # fmt: skip


def markdown(results: list[Result]) -> str:
    floors = {(r.records, r.kind): r.wall_s for r in results if r.what == "floor"}
    hands = {(r.records, r.kind): r.wall_s for r in results if r.what == "rollup"}
    hands_cpu = {(r.records, r.kind): r.cpu_s for r in results if r.what == "rollup"}
    ingests = {(r.records, r.kind): r.wall_s for r in results if r.what == "ingest"}
    lines = [
        "| records | task | wall s | CPU s | records/s | peak RSS MiB | load before–after "
        "| vs floor | vs hand-written | vs hand-written, CPU | ingest is N× faster |",
        "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        floor = floors.get((r.records, r.kind))
        hand = hands.get((r.records, r.kind))
        ingest = ingests.get((r.records, "text"))
        peer = r.what in ("ingest", "rollup")
        vs_floor = f"{r.wall_s / floor:.2f}x" if floor and peer else ""
        vs_hand = f"{r.wall_s / hand:.2f}x" if hand and r.what == "ingest" else ""
        hand_cpu = hands_cpu.get((r.records, r.kind))
        vs_cpu = f"{r.cpu_s / hand_cpu:.2f}x" if hand_cpu and r.what == "ingest" else ""
        speedup = f"{r.wall_s / ingest:.1f}x" if ingest and r.what in ("python", "pandas") else ""
        rate = f"{r.records_per_s:,.0f}" if r.what not in ("ingest-again", "propose") else ""
        lines.append(
            f"| {r.records:,} | {r.task} | {r.wall_s:.2f} | {r.cpu_s:.2f} | {rate} | "
            f"{r.max_rss_mib:,.0f} | {r.load_before:.1f}–{r.load_after:.1f} | {vs_floor} | "
            f"{vs_hand} | {vs_cpu} | {speedup} |"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        print(WORKERS[sys.argv[2]](sys.argv[3:]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=BENCH / "data")
    parser.add_argument("--records", type=int, nargs="+", default=list(DEFAULT_RECORDS))
    parser.add_argument("--tasks", nargs="+", default=[t.name for t in TASKS])
    parser.add_argument(
        "--python-max", type=int, default=20_000_000, help="largest N for python-text"
    )
    parser.add_argument(
        "--pandas-max", type=int, default=5_000_000, help="largest N for pandas-text"
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs per task; the fastest is kept")
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    args = parser.parse_args()
    unknown = set(args.tasks) - {t.name for t in TASKS}
    if unknown:
        parser.error(f"unknown tasks {sorted(unknown)}")
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    results = run(args.data, sorted(args.records), args.tasks,
                  {"python": args.python_max, "pandas": args.pandas_max}, args.repeat)  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {
                "started": started.isoformat(),
                "seconds": round(time.perf_counter() - t0, 1),
                "machine": machine(),
                "results": [asdict(r) for r in results],
            },
            indent=2,
        )
        + "\n"
    )
    print(markdown(results))
    print(f"\nresults: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
