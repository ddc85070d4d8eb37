"""`sgharden dry-run --format table`: the replay's verdict and what each group's ports lose."""

from __future__ import annotations

from sgharden.change.replay import ReplayResult, group_ports
from sgharden.model import PROTOCOL_BY_NUMBER
from sgharden.render.rows import rows_text

HEADERS = [
    "group",
    "port",
    "real conns cut",
    "real sources",
    "probe conns shut out",
    "probe sources",
]


def dry_run_table(replay: ReplayResult, failed_checks: int | None) -> str:
    """`failed_checks`: AWS calls that would fail (None: --check-aws not asked)."""
    verdict = (
        "safe to apply: the replay of the window cuts no real use"
        if not replay.unsafe
        else f"NOT safe to apply: {len(replay.unsafe)} real (interface, port, source) key(s) cut"
    )
    lines = [
        f"{verdict} (window {replay.window_start} to {replay.window_end}, "
        f"{replay.connections_checked:,} (interface, port, remote) keys replayed; connections "
        "below: distinct client ports per hour, docs/planner.md)"
    ]
    if failed_checks is not None:
        lines.append(f"AWS checks (DryRun): {failed_checks} call(s) would fail")
    rows = [
        [
            s.group_id,
            f"{PROTOCOL_BY_NUMBER.get(s.protocol, 'all' if s.protocol == -1 else s.protocol)}/{'all' if s.port is None else s.port}",
            s.real_connections,
            len(s.real_sources),
            s.probe_connections,
            len(s.probe_sources),
        ]
        for summaries in group_ports(replay).values()
        for s in summaries
    ]
    lines += ["", rows_text(HEADERS, rows, "table", empty="nothing would newly be denied")]
    return "\n".join(lines) + "\n"
