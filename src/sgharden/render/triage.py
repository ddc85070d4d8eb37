"""The triage worklist as text: a terminal table, JSON, CSV, Markdown, HTML (one writer each,
to a text file piece by piece: a 35,000-finding triage is 15 MB of JSON, never held whole).

Every value that came from AWS or a file (ids, reasons, warnings) is escaped for its output:
the shared render/escape.py: one printable line for the terminal (control and bidi characters
dropped), literal text for Markdown cells (no raw HTML, no Markdown syntax),
HTML by Jinja2's autoescape (control characters dropped too), CSV by the csv module (with a leading quote before =+-@ so a
spreadsheet never runs a cell as a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from tabulate import tabulate

from sgharden.analysis.triage import Bucket, Target, Triage
from sgharden.render.escape import markdown_text
from sgharden.render.escape import one_line as terminal_text
from sgharden.render.json_text import Items, dump_indent2

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


class TextOut(Protocol):
    """Where a writer puts its text: an open text file, a StringIO, stdout."""

    def write(self, text: str, /) -> object: ...


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


def write_table(result: Triage, out: TextOut, limit: int = 20) -> None:
    out.write(terminal_text(result.summary_line()) + "\n\n")
    for bucket in Bucket:
        items = result.in_bucket(bucket)
        if not items:
            continue
        shown = [[terminal_text(v) for v in _row(t)[1:12]] for t in items[:limit]]
        out.write(f"{bucket.value} ({len(items):,}, by {result.ordering.value})\n")
        out.write(tabulate(shown, headers=list(COLUMNS[1:12])) + "\n")
        if len(items) > limit:
            out.write(f"... and {len(items) - limit:,} more (--format csv|json for all)\n")
        out.write("\n")
    if result.flow_logs_command:
        out.write("Start the wait for ENIs without flow logs: " + result.flow_logs_command + "\n")


def write_json(result: Triage, out: TextOut) -> None:
    # json.dumps(indent=2)'s bytes, faster; each target's dict is made as it is written
    dump_indent2(result.document(Items(lambda: (t.to_dict() for t in result.targets))), out.write)
    out.write("\n")


def write_csv(result: Triage, out: TextOut) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS[:12], "finding_ids", "reason"])
    for t in result.targets:
        row = _row(t)
        writer.writerow(
            [csv_text(v) for v in row[:12]]
            + [csv_text(" ".join(f.finding_id for f in t.findings)), csv_text(row[12])]
        )


def write_markdown(result: Triage, out: TextOut, limit: int = 50) -> None:
    def line(text: str) -> None:
        out.write(text + "\n")

    line(f"# Triage\n\n**{markdown_text(result.summary_line())}**\n")
    for bucket in Bucket:
        items = result.in_bucket(bucket)
        if not items:
            continue
        line(f"## {bucket.value} ({len(items):,}, by {result.ordering.value})\n")
        line("| " + " | ".join(COLUMNS[1:]) + " |")
        line("|" + "---|" * (len(COLUMNS) - 1))
        for t in items[:limit]:
            line("| " + " | ".join(markdown_text(v) for v in _row(t)[1:]) + " |")
        if len(items) > limit:
            line(f"\n... and {len(items) - limit:,} more (`--format csv` for all)")
        line("")
    accepted = result.in_bucket(Bucket.ACCEPTED)
    if accepted:
        line("## Accepted risks\n")
        for t in accepted:
            for rec in t.accepted:
                line(
                    f"- {markdown_text(t.target_id)}: {markdown_text(rec.get('reason'))} "
                    f"(owner {markdown_text(rec.get('owner'))}, approver "
                    f"{markdown_text(rec.get('approver'))}, expires "
                    f"{markdown_text(rec.get('expires'))}, {markdown_text(rec.get('ticket'))})"
                )
        line("")
    line("## Totals\n")
    line("| bucket | control | account/region | findings |\n|---|---|---|---|")
    for r in _totals_rows(result):
        line("| " + " | ".join(markdown_text(v) for v in r) + " |")
    if result.flow_logs_command:
        line(f"\nStart the wait for ENIs without flow logs: `{result.flow_logs_command}`")


class _Rows:
    """A bucket's table rows for the template, each made when the template reaches it."""

    def __init__(self, targets: list[Target]) -> None:
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets)

    def __iter__(self) -> Iterator[list[str]]:
        return ([terminal_text(v) for v in _row(t)[1:]] for t in self.targets)


def write_html(result: Triage, out: TextOut) -> None:
    env = Environment(
        loader=PackageLoader("sgharden", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
    )
    template = env.get_template("triage.html.j2")
    pieces = template.generate(
        summary=terminal_text(result.summary_line()),
        ordering=result.ordering.value,
        columns=COLUMNS[1:],
        buckets=[(b.value, _Rows(result.in_bucket(b))) for b in Bucket],
        totals=[[terminal_text(v) for v in r] for r in _totals_rows(result)],
        flow_logs_command=terminal_text(result.flow_logs_command or ""),
    )
    batch: list[str] = []
    for piece in pieces:  # a few pieces per cell: written in batches
        batch.append(piece)
        if len(batch) >= 4096:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))


def _text(write: Callable[[Triage, TextOut], None]) -> Callable[[Triage], str]:
    def render(result: Triage) -> str:
        buf = io.StringIO()
        write(result, buf)
        return buf.getvalue()

    return render


render_table = _text(write_table)
render_json = _text(write_json)
render_csv = _text(write_csv)
render_markdown = _text(write_markdown)
render_html = _text(write_html)


def triage_writer(fmt: TriageFormat | str) -> Callable[[Triage, TextOut], None]:
    """The function that writes a triage in this format to a text file, piece by piece."""
    fmt = TriageFormat(fmt)
    writers: dict[TriageFormat, Callable[[Triage, TextOut], None]] = {
        TriageFormat.TABLE: write_table,
        TriageFormat.JSON: write_json,
        TriageFormat.CSV: write_csv,
        TriageFormat.MARKDOWN: write_markdown,
        TriageFormat.HTML: write_html,
    }
    return writers[fmt]


def triage_renderer(fmt: TriageFormat | str) -> Callable[[Triage], str]:
    """The whole text at once (tests, callers that want a string)."""
    return _text(triage_writer(fmt))
