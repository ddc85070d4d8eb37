"""Files that ship inside the package: the SQL queries (`sql/`) and the demo sample (`samples/`).

In a built wheel they live in `sgharden/sql` and `sgharden/samples` (hatch force-include); in a
source checkout they are the top-level `sql/` and `samples/` folders.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]


def _bundled(name: str) -> Path:
    packaged = Path(str(resources.files("sgharden"))) / name
    if packaged.is_dir():
        return packaged
    in_checkout = _REPO_ROOT / name
    if in_checkout.is_dir():
        return in_checkout
    raise FileNotFoundError(
        f"sgharden is installed without its {name}/ folder (looked in {packaged})"
    )


def sql_dir() -> Path:
    return _bundled("sql")


def samples_dir() -> Path:
    return _bundled("samples")


_NAME = re.compile(r"^[a-z0-9_]+$")


@cache
def query(name: str) -> str:
    """The text of `sql/<name>.sql`. Queries take DuckDB named parameters ($name), never spliced values."""
    if not _NAME.match(name):
        raise ValueError(f"bad query name {name!r}")
    return (sql_dir() / f"{name}.sql").read_text(encoding="utf-8")
