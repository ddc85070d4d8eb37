"""JSON as RFC 8259 has it, for every file sgharden reads (snapshot files and plans).

Python's `json` accepts NaN/Infinity, numbers beyond a float (`1e400` becomes inf) and duplicate
keys (the last wins without a word); each would reach a plan as a silent guess.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sgharden.errors import InputError, SnapshotError


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):  # the common case without a Python loop (350,000 objects a snapshot)
        return out
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen.add(key)
    raise AssertionError("unreachable: fewer keys than pairs means a duplicate")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is out of range")
    return value


def parse_json_strict(text: str) -> Any:
    return json.loads(
        text,
        object_pairs_hook=_no_duplicate_keys,
        parse_constant=_no_constant,
        parse_float=_finite_float,
    )


def load_json_strict(path: Path, error: type[InputError] = SnapshotError) -> Any:
    """The document in `path`; any fault but a missing file is one line naming the file.

    FileNotFoundError is re-raised: whether a missing file is an error, and what writes it,
    is the reader's to say.
    """
    try:
        return parse_json_strict(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise error(f"{path}: a directory, expected a JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to be AWS CLI output") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
