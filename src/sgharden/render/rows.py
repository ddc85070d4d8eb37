"""One table of rows in each result format: table (people), markdown (tickets), json (scripts).

Commands whose result is a list of rows (ingest's interfaces, verify's rejections, flow-logs
status) render it here, so `--format` means the same in each of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from sgharden.render import OutputFormat
from sgharden.render.escape import markdown_text, one_line


def rows_text(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: OutputFormat | str,
    *,
    empty: str = "none",
) -> str:
    """The rows as an aligned table, a Markdown table, or a JSON list of objects keyed by header."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.JSON:
        objects = [dict(zip(headers, row, strict=True)) for row in rows]
        return json.dumps(objects, indent=2, default=str)
    if not rows:
        return empty
    if fmt is OutputFormat.MARKDOWN:
        cells = [[markdown_text(v) for v in row] for row in rows]
        return tabulate(cells, headers=list(headers), tablefmt="github", disable_numparse=True)
    cells = [[one_line(v) for v in row] for row in rows]
    return tabulate(cells, headers=list(headers), disable_numparse=True)
