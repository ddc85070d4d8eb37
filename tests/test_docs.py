"""Docs that cannot drift: docs/cli.md is every command's --help, and the README names them all.

Regenerate docs/cli.md after changing an option:  SGHARDEN_WRITE_DOCS=1 python -m pytest tests/test_docs.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from sgharden.cli import COMMANDS, main

REPO = Path(__file__).resolve().parents[1]


def _help(command: click.Command, path: list[str], parent: click.Context | None) -> list[str]:
    ctx = click.Context(
        command, info_name=path[-1], parent=parent, terminal_width=100, max_content_width=100
    )
    out = [f"## `{' '.join(path)}`", "", "```", command.get_help(ctx).rstrip(), "```", ""]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            out += _help(sub, [*path, name], ctx)
    return out


PROGRESS_TEXT = (
    "**Progress, --quiet, --verbose.** stdout carries only the result (a table, JSON, Markdown, "
    "or nothing with `--output FILE`); everything else goes to stderr. On a terminal, the long "
    "steps draw one progress line, rewritten in place: `collect` per Security Hub region and per "
    "account/region set (`findings eu-west-1  0/1`, `inventory 111122223333 eu-west-1  3/8`), "
    "and `ingest`, `propose` and `triage` per flow-log object read (`objects 12/40  records "
    "1,234,567  310,000 records/s`). When stderr is not a terminal (a pipe, a CI log) the "
    "progress line is not drawn, so logs stay clean; step lines (`written to FILE`) still are. "
    "`--quiet` silences progress and step lines; warnings (`warning: ...`) and errors are always "
    "written. `--verbose` also says what was used and why (workspace, profile, region, window)."
)

# what every file-writing command promises (sgharden/atomic_write.py; tests/test_atomic_write.py)
WHOLE_FILES_TEXT = (
    "**Files are written whole or not at all.** `--output FILE`, the `recheck` state, the `apply` "
    "backup, `collect`'s snapshot files and ticket folders are written to a temporary file beside "
    "the target and renamed onto it only when complete: a write that fails part way (a full disk, "
    "a file-size limit) leaves the previous file as it was, removes the temporary one and exits 3 "
    "with one line naming the file. A new file gets the usual mode (0666 less the umask), an "
    "existing one keeps its mode; a device or pipe (`--output /dev/stdout`) is written directly."
)

# the commands whose source draws a progress line (PROGRESS_TEXT must name each)
PROGRESS_CALLS = ("progress_printer(", "collect_progress(")


def test_the_progress_text_names_every_command_that_draws_progress() -> None:
    commands = Path(__file__).resolve().parent.parent / "src" / "sgharden" / "commands"
    drawing = sorted(
        p.stem.replace("_", "-")
        for p in commands.glob("*.py")
        if any(
            call in line and not line.lstrip().startswith("def ")
            for line in p.read_text().splitlines()
            for call in PROGRESS_CALLS
        )
    )
    assert drawing == ["collect", "ingest", "propose", "triage"], drawing
    for name in drawing:
        assert f"`{name}`" in PROGRESS_TEXT, name


def render_cli_md() -> str:
    lines = [
        "# Command reference",
        "",
        "Generated from `--help` by `tests/test_docs.py`; do not edit by hand.",
        "",
        'The options common to many commands mean the same in each (README.md, "The same options '
        'everywhere" and "The workspace"): `--profile`/`--region`, `--format`/`--output`, '
        "`--quiet`/`--verbose`, and `--workspace` (default `sgharden.duckdb`).",
        "",
        PROGRESS_TEXT,
        "",
        WHOLE_FILES_TEXT,
        "",
    ]
    return "\n".join(lines + _help(main, ["sgharden"], None))


def render_iam_table() -> str:
    """The README's IAM table, from the constants each command declares (and its tests check)."""
    from sgharden.act import apply, awscheck, notify, promote, rollback, stage, suppress
    from sgharden.aws import collect, flow_logs
    from sgharden.flowlogs.engines import Engine, iam_actions

    rows = [
        ("collect", collect.COLLECT_IAM_ACTIONS),
        ("flow-logs enable", flow_logs.ENABLE_IAM_ACTIONS),
        ("flow-logs status", flow_logs.STATUS_IAM_ACTIONS),
        ("flow-logs disable", flow_logs.DISABLE_IAM_ACTIONS),
        ("dry-run --check-aws", awscheck.IAM_ACTIONS),
        ("apply", apply.GROUP_IAM_ACTIONS),
        ("apply --include-resources", apply.RESOURCE_IAM_ACTIONS),
        ("apply --note", apply.NOTE_IAM_ACTIONS),
        ("rollback", rollback.IAM_ACTIONS),
        ("ingest --engine athena", iam_actions(Engine.ATHENA)),
        ("propose --engine athena", iam_actions(Engine.ATHENA)),
        ("apply --stage", stage.IAM_ACTIONS),
        ("promote", promote.IAM_ACTIONS),
        ("suppress", suppress.IAM_ACTIONS),
        ("recheck --notify", notify.IAM_ACTIONS),
    ]
    lines = ["| command | IAM actions |", "|---|---|"]
    lines += [
        f"| `sgharden {name}` | {', '.join(f'`{a}`' for a in actions)} |" for name, actions in rows
    ]
    return "\n".join(lines)


def test_readme_iam_table_is_current() -> None:
    path = REPO / "README.md"
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- iam:start -->", "<!-- iam:end -->"
    assert start in text and end in text
    head, rest = text.split(start)
    _, tail = rest.split(end)
    fresh = head + start + "\n" + render_iam_table() + "\n" + end + tail
    if os.environ.get("SGHARDEN_WRITE_DOCS"):
        path.write_text(fresh, encoding="utf-8")
    assert text == fresh, (
        "README's IAM table is stale: SGHARDEN_WRITE_DOCS=1 python -m pytest tests/test_docs.py"
    )


def test_cli_md_is_current() -> None:
    path = REPO / "docs" / "cli.md"
    text = render_cli_md()
    if os.environ.get("SGHARDEN_WRITE_DOCS"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, (
        "docs/cli.md is stale: SGHARDEN_WRITE_DOCS=1 python -m pytest tests/test_docs.py"
    )


def test_readme_starts_with_the_two_commands_and_names_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert block is not None and readme.index("```sh") < 40
    first, second = block.group(1).strip().splitlines()
    assert first.endswith("sgharden demo") and "pip install ." in first
    assert second.endswith("python -m pytest") and ".[test]" in second
    for name in COMMANDS:
        assert f"sgharden {name}" in readme, f"README does not mention `sgharden {name}`"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    second = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).strip().splitlines()[1]  # type: ignore[union-attr]
    assert second in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_says_how_the_browser_tests_get_their_chromium() -> None:
    """The text under the README's two commands tells a newcomer the HTML tests need Chromium and
    which Debian package gives it (tests/test_report_browser.py finds it on PATH)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme.split("```", 2)[2].split("\n## ", 1)[0]
    assert "headless Chromium" in after
    assert "apt-get install chromium" in after and "Debian" in after
