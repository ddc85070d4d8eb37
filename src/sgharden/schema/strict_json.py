"""JSON as RFC 8259 has it, for every file sgharden reads (snapshot files and plans).

Python's `json` accepts NaN/Infinity, numbers beyond a float (`1e400` becomes inf) and duplicate
keys (the last wins without a word); each would reach a plan as a silent guess. It also decodes an
unpaired UTF-16 surrogate escape (`"\\ud800"`) into a string no UTF-8 output can hold: the plan,
ticket or report would fail to be written long after the input was read.
"""

from __future__ import annotations

import json
import re
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


# an escape of a high or low surrogate; a proper pair decodes to one character and passes
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate_at(value: Any, path: str) -> str | None:
    """The JSON path of the first string (key or value) holding an unpaired surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _lone_surrogate_at(key, path) or _lone_surrogate_at(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _lone_surrogate_at(item, f"{path}[{i}]")
            if found:
                return found
    return None


def parse_json_strict(text: str) -> Any:
    document = json.loads(
        text,
        object_pairs_hook=_no_duplicate_keys,
        parse_constant=_no_constant,
        parse_float=_finite_float,
    )
    if _SURROGATE_ESCAPE.search(text):  # rare: walk the document only then
        where = _lone_surrogate_at(document, "$")
        if where:
            raise ValueError(f"an unpaired UTF-16 surrogate escape in the string at {where}")
    return document


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
