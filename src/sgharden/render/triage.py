"""The triage worklist as text: a terminal table, JSON, CSV, Markdown, HTML (one function each).

Every value that came from AWS or a file (ids, reasons, warnings) is escaped for its output:
the shared render/escape.py: one printable line for the terminal (control and bidi characters
dropped), literal text for Markdown cells (no raw HTML, no Markdown syntax),
HTML by Jinja2's autoescape (control characters dropped too), CSV by the csv module (with a leading quote before =+-@ so a
spreadsheet never runs a cell as a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from enum import StrEnum

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from tabulate import tabulate

from sgharden.analysis.triage import Bucket, Target, Triage
from sgharden.render.escape import markdown_text
from sgharden.render.escape import one_line as terminal_text
from sgharden.render.json_text import dumps_indent2

COLUMNS = (
    "bucket",
    "target",
    "account/region",
    "controls",
    "findings",
    "severity",
    "scanners/day",
    "real users",
    "ENIs",
    "public IPs",
    "rules to change",
    "days to go",
    "reason",
)


class TriageFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"


def csv_text(value: object) -> str:
    text = terminal_text(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _row(t: Target) -> list[object]:
    return [
        t.bucket.value,
        t.target_id,
        f"{t.account_id}/{t.region}",
        " ".join(t.controls),
        len(t.findings),
        t.severity,
        round(t.scanner_sources_per_day, 1),
        t.real_users,
        t.enis,
        t.public_ips,
        t.rules_to_change,
        "" if t.days_to_go is None else f"{t.days_to_go:g}",
        t.reason,
    ]


def _totals_rows(result: Triage) -> list[list[object]]:
    return [[b, c, f"{a}/{r}", n] for b, c, a, r, n in result.totals]


def render_table(result: Triage, limit: int = 20) -> str:
    out = [terminal_text(result.summary_line()), ""]
    for bucket in Bucket:
        items = result.in_bucket(bucket)
        if not items:
            continue
        shown = [[terminal_text(v) for v in _row(t)[1:12]] for t in items[:limit]]
        out.append(f"{bucket.value} ({len(items):,}, by {result.ordering.value})")
        out.append(tabulate(shown, headers=list(COLUMNS[1:12])))
        if len(items) > limit:
            out.append(f"... and {len(items) - limit:,} more (--format csv|json for all)")
        out.append("")
    if result.flow_logs_command:
        out.append("Start the wait for ENIs without flow logs: " + result.flow_logs_command)
    return "\n".join(out) + "\n"


def render_json(result: Triage) -> str:
    return dumps_indent2(result.to_dict()) + "\n"  # json.dumps(indent=2)'s bytes, faster


def render_csv(result: Triage) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*COLUMNS[:12], "finding_ids", "reason"])
    for t in result.targets:
        row = _row(t)
        writer.writerow(
            [csv_text(v) for v in row[:12]]
            + [csv_text(" ".join(f.finding_id for f in t.findings)), csv_text(row[12])]
        )
    return buf.getvalue()


def render_markdown(result: Triage, limit: int = 50) -> str:
    lines = [f"# Triage\n\n**{markdown_text(result.summary_line())}**\n"]
    for bucket in Bucket:
        items = result.in_bucket(bucket)
        if not items:
            continue
        lines.append(f"## {bucket.value} ({len(items):,}, by {result.ordering.value})\n")
        lines.append("| " + " | ".join(COLUMNS[1:]) + " |")
        lines.append("|" + "---|" * (len(COLUMNS) - 1))
        for t in items[:limit]:
            lines.append("| " + " | ".join(markdown_text(v) for v in _row(t)[1:]) + " |")
        if len(items) > limit:
            lines.append(f"\n... and {len(items) - limit:,} more (`--format csv` for all)")
        lines.append("")
    accepted = result.in_bucket(Bucket.ACCEPTED)
    if accepted:
        lines.append("## Accepted risks\n")
        for t in accepted:
            for rec in t.accepted:
                lines.append(
                    f"- {markdown_text(t.target_id)}: {markdown_text(rec.get('reason'))} "
                    f"(owner {markdown_text(rec.get('owner'))}, approver "
                    f"{markdown_text(rec.get('approver'))}, expires "
                    f"{markdown_text(rec.get('expires'))}, {markdown_text(rec.get('ticket'))})"
                )
        lines.append("")
    lines.append("## Totals\n")
    lines.append("| bucket | control | account/region | findings |\n|---|---|---|---|")
    lines += ["| " + " | ".join(markdown_text(v) for v in r) + " |" for r in _totals_rows(result)]
    if result.flow_logs_command:
        lines.append(f"\nStart the wait for ENIs without flow logs: `{result.flow_logs_command}`")
    return "\n".join(lines) + "\n"


def render_html(result: Triage) -> str:
    env = Environment(
        loader=PackageLoader("sgharden", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
    )
    template = env.get_template("triage.html.j2")
    buckets = [
        (b.value, [[terminal_text(v) for v in _row(t)[1:]] for t in result.in_bucket(b)])
        for b in Bucket
    ]
    return template.render(
        summary=terminal_text(result.summary_line()),
        ordering=result.ordering.value,
        columns=COLUMNS[1:],
        buckets=buckets,
        totals=[[terminal_text(v) for v in r] for r in _totals_rows(result)],
        flow_logs_command=terminal_text(result.flow_logs_command or ""),
    )


def triage_renderer(fmt: TriageFormat | str) -> Callable[[Triage], str]:
    fmt = TriageFormat(fmt)
    renderers: dict[TriageFormat, Callable[[Triage], str]] = {
        TriageFormat.TABLE: render_table,
        TriageFormat.JSON: render_json,
        TriageFormat.CSV: render_csv,
        TriageFormat.MARKDOWN: render_markdown,
        TriageFormat.HTML: render_html,
    }
    return renderers[fmt]
