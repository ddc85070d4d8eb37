"""`report.html`: one self-contained page for the whole plan (no external assets, no network).

Each rule's activity over the window is an inline SVG bar chart (connections per day, real use and
probes stacked); sources are in tables sortable by a few lines of inline JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sgharden.atomic_write import write_atomically
from sgharden.change.all_sources import AllSources
from sgharden.change.verdict import GroupVerdict, verdict_for
from sgharden.moments import iso
from sgharden.plan.model import Gap
from sgharden.plan.read import Plan, PlanRule, parse_time
from sgharden.render.context import source_names
from sgharden.render.rule_text import rule_text
from sgharden.render.ticket import assess, environment, findings_for, interfaces_of
from sgharden.snapshot import Snapshot

CHART_WIDTH = 560
CHART_HEIGHT = 120
CHART_PAD_LEFT = 36
CHART_PAD_BOTTOM = 18


@dataclass(frozen=True)
class Bar:
    day: str
    x: float
    width: float
    real_y: float
    real_height: float
    probe_y: float
    probe_height: float
    real: int
    probes: int


@dataclass(frozen=True)
class GapSpan:
    """A stretch of the window an interface's flow logs did not record, drawn on the chart: use in
    it is unseen, which a flat zero would hide."""

    x: float
    width: float
    label: str


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    peak: int
    gaps: tuple[GapSpan, ...] = ()
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = CHART_PAD_LEFT
    bottom: int = CHART_HEIGHT - CHART_PAD_BOTTOM
    first_day: str = ""
    last_day: str = ""


def window_days(plan: Plan) -> list[str]:
    start = parse_time(plan.window_start).date()
    end = parse_time(plan.window_end)
    last = (end - timedelta(microseconds=1)).date() if end.time() == end.time().min else end.date()
    days: list[str] = []
    current: date = start
    while current <= last and len(days) < 400:
        days.append(current.isoformat())
        current += timedelta(days=1)
    return days


def gap_spans(plan: Plan, gaps: tuple[Gap, ...], days: list[str]) -> tuple[GapSpan, ...]:
    """Each gap's place on the day axis (bars are whole UTC days from days[0])."""
    if not days:
        return ()
    origin = parse_time(days[0])
    plot_width = CHART_WIDTH - CHART_PAD_LEFT - 4
    per_second = plot_width / (len(days) * 86400)
    out = []
    for gap in gaps:
        start, end = gap.start, gap.end
        x = CHART_PAD_LEFT + max((start - origin).total_seconds(), 0) * per_second
        width = max((end - start).total_seconds() * per_second, 2.0)
        out.append(
            GapSpan(
                round(x, 2),
                round(width, 2),
                f"no flow-log record of {gap.interface_id} {iso(gap.start)} to {iso(gap.end)} ({gap.kind})",
            )
        )
    return tuple(out)


def chart(plan: Plan, rule: PlanRule, gaps: tuple[Gap, ...] = ()) -> Chart:
    """Connections per day over the whole window (days without traffic drawn as zero)."""
    by_day = {d: (real, probes) for d, real, probes in rule.evidence.daily}
    days = window_days(plan) or sorted(by_day)
    for d in sorted(by_day):
        if d not in days:
            days.append(d)
    days.sort()
    peak = max([real + probes for real, probes in by_day.values()] or [0])
    plot_width = CHART_WIDTH - CHART_PAD_LEFT - 4
    plot_height = CHART_HEIGHT - CHART_PAD_BOTTOM - 6
    step = plot_width / max(len(days), 1)
    bars = []
    for i, d in enumerate(days):
        real, probes = by_day.get(d, (0, 0))
        scale = plot_height / peak if peak else 0
        real_h = real * scale
        probe_h = probes * scale
        bottom = CHART_HEIGHT - CHART_PAD_BOTTOM
        bars.append(
            Bar(
                day=d,
                x=round(CHART_PAD_LEFT + i * step + 1, 2),
                width=round(max(step - 2, 1), 2),
                real_y=round(bottom - real_h, 2),
                real_height=round(real_h, 2),
                probe_y=round(bottom - real_h - probe_h, 2),
                probe_height=round(probe_h, 2),
                real=real,
                probes=probes,
            )
        )
    return Chart(
        tuple(bars),
        peak,
        gap_spans(plan, gaps, days),
        first_day=days[0] if days else "",
        last_day=days[-1] if days else "",
    )


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class WeekGrid:
    """Real use by UTC weekday (rows) and hour of day (columns); `rows[d][h]` = (connections,
    shade 0-1 relative to the busiest cell)."""

    rows: tuple[tuple[str, tuple[tuple[int, float], ...]], ...]
    peak: int


def week_grid(cells: dict[tuple[int, int], int] | None) -> WeekGrid | None:
    if not cells:
        return None
    peak = max(cells.values())
    rows = tuple(
        (
            name,
            tuple(
                (cells.get((day, hour), 0), round(cells.get((day, hour), 0) / peak, 3))
                for hour in range(24)
            ),
        )
        for day, name in enumerate(WEEKDAYS, start=1)
    )
    return WeekGrid(rows, peak)


def render_report(
    plan: Plan,
    snapshot: Snapshot | None,
    verdicts: dict[str, GroupVerdict] | None = None,
    every: AllSources | None = None,
) -> str:
    env = environment()
    groups = []
    for group in plan.groups:
        sections = []
        for heading, rules in (
            ("revoke", group.revoke),
            ("authorize", group.authorize),
            ("keep", group.keep),
        ):
            for pr in rules:
                sections.append(
                    {
                        "change": heading,
                        "rule": pr,
                        "chart": chart(plan, pr, group.coverage.gaps)
                        if pr.evidence.daily
                        else None,
                        "week": week_grid(
                            every.week((group.group_id, heading, rule_text(pr.rule)))
                            if every
                            else None
                        ),
                    }
                )
        groups.append(
            {
                "group": group,
                "rules": sections,
                "interfaces": interfaces_of(snapshot, group),
                "findings": findings_for(snapshot, group.findings),
                "assessment": assess(plan, group) if group.has_changes else None,
                "verdict": verdict_for(verdicts, group),
            }
        )
    return env.get_template("report.html.j2").render(
        plan=plan,
        groups=groups,
        resources=plan.resources,
        dry_run_done=verdicts is not None,
        names=source_names(snapshot),
    )


def write_report(
    plan: Plan,
    snapshot: Snapshot | None,
    path: Path,
    verdicts: dict[str, GroupVerdict] | None = None,
    every: AllSources | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, render_report(plan, snapshot, verdicts, every))
    return path
