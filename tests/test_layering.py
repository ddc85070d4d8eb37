"""Data flows one way (docs/architecture.md): every `import` in src/ is read with `ast` and checked.

- analysis/, plan/, render/, change/, targets.py, edge_reports.py, flowlogs/sufficiency.py never
  import AWS-writing code (act/), the CLI (commands/, cli.py) or an AWS SDK: they decide and
  render, they do not touch AWS;
- those never import the AWS edge (aws/) either: the analysis never calls AWS, and a renderer
  prints what the edge reported (edge_reports.py) without reaching into it;
- nothing but cli.py and commands/ imports commands/.
Imports inside functions count as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

PURE = ("sgharden.analysis", "sgharden.plan", "sgharden.render", "sgharden.change")
PURE_MODULES = ("sgharden.targets", "sgharden.edge_reports", "sgharden.flowlogs.sufficiency")
OFFLINE = (*PURE, *PURE_MODULES)
WRITES_OR_CLI = ("sgharden.act", "sgharden.commands", "sgharden.cli", "boto3", "botocore")
CLI = ("sgharden.cli", "sgharden.commands")


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, src: Path) -> list[tuple[int, list[str]]]:
    """(line, the modules it may import) per import statement of the file, relative ones resolved
    (`from sgharden import commands` imports the module sgharden.commands)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = module_name(path, src).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out: list[tuple[int, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.append((node.lineno, [alias.name for alias in node.names]))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            out.append((node.lineno, [base, *(f"{base}.{alias.name}" for alias in node.names)]))
    return out


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(src: Path) -> list[str]:
    found = []
    for path in sorted((src / "sgharden").rglob("*.py")):
        me = module_name(path, src)
        for line, targets in imports(path, src):
            problems = [p for t in targets if (p := wrong_arrow(me, t))]
            if problems:  # one line per import statement
                found.append(f"{path.relative_to(src)}:{line} imports {problems[0]}")
    return found


def wrong_arrow(me: str, target: str) -> str | None:
    if (within(me, PURE) or me in PURE_MODULES) and within(target, WRITES_OR_CLI):
        return f"{target}: decisions and renderers never write to AWS or call the CLI"
    if within(me, OFFLINE) and within(target, ("sgharden.aws",)):
        return f"{target}: the analysis never calls AWS, renderers print what it reported"
    if within(target, CLI) and not within(me, CLI):
        return f"{target}: only the CLI imports commands/"
    return None


def test_imports_flow_one_way() -> None:
    assert violations(SRC) == []


@pytest.mark.parametrize(
    ("module", "line", "rule"),
    [
        ("render/leak.py", "from sgharden.act.apply import apply_plan", "never write to AWS"),
        ("analysis/leak.py", "import boto3", "never write to AWS"),
        ("plan/leak.py", "from sgharden.aws import clients", "never calls AWS"),
        ("render/leak.py", "from sgharden.aws.flow_logs import status", "never calls AWS"),
        ("edge_reports.py", "import sgharden.aws.collect", "never calls AWS"),
        ("flowlogs/sufficiency.py", "import botocore", "never write to AWS"),
        ("change/leak.py", "    from ..commands import propose", "never write to AWS"),
        ("pipeline_leak.py", "from sgharden import commands", "only the CLI"),
        ("aws/leak.py", "from sgharden.commands.ingest import progress_printer", "only the CLI"),
    ],
)
def test_a_wrong_arrow_is_named(tmp_path: Path, module: str, line: str, rule: str) -> None:
    """The check itself: a copy of the package with one wrong import fails, naming file and line."""
    import shutil

    root = tmp_path / "src" / "sgharden"
    shutil.copytree(SRC / "sgharden", root, ignore=shutil.ignore_patterns("__pycache__", "*.sql"))
    leak = root / module
    body = f"def f() -> None:\n{line}\n" if line.startswith(" ") else f"{line}\n"
    leak.write_text(body, encoding="utf-8")
    found = violations(tmp_path / "src")
    assert len(found) == 1 and found[0].startswith(f"sgharden/{module}:") and rule in found[0]
