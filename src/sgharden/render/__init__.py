"""Renderers: a plan (pure data) to text. One module per format; `renderer(fmt)` picks one."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from sgharden.plan.write import Plan


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


Renderer = Callable[[Plan], str]


def renderer(fmt: OutputFormat | str) -> Renderer:
    """The function that renders a plan in `fmt`."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.TABLE:
        from sgharden.render.table import render_table

        return render_table
    if fmt is OutputFormat.JSON:
        from sgharden.render.plan_json import render_json

        return render_json
    if fmt is OutputFormat.MARKDOWN:
        from sgharden.render.markdown import render_markdown

        return render_markdown
    raise AssertionError(f"no renderer for {fmt}")  # pragma: no cover - the test covers every value
