"""`json.dumps(value, indent=2)`, byte for byte, without the pure-Python encoder's cost.

With an indent the standard library leaves its C encoder and walks the document with nested
generators (about 1.2 million calls for a 35,000-finding triage, ~8 % of the run). This writes the
same text — the same escapes (`ensure_ascii`), separators, number and key spellings — with one
list of parts and the C string escaper; tests/test_json_text.py compares it with json.dumps on
random documents. Only what JSON documents here hold: dict, list/tuple, str, int, float, bool,
None (anything else is a TypeError, as in json.dumps without `default`), and `Items`: a list
made item by item as it is written, so that `dump_indent2` can write a document to a file
without ever holding all of it (a 35,000-finding triage is 15 MB of text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from json.encoder import encode_basestring_ascii
from typing import Any, Protocol


class Items:
    """A JSON array whose items come from `make()` one at a time while it is written."""

    def __init__(self, make: Callable[[], Iterable[Any]]) -> None:
        self.make = make


class _Parts(Protocol):
    def append(self, text: str, /) -> None: ...


_INDENT = "  "


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == float("-inf"):
        return "-Infinity"
    return float.__repr__(value)


def _scalar(value: Any) -> str | None:
    """The text of a scalar, None for a container."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (dict, list, tuple, Items)):
        return None
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _key(key: Any) -> str:
    # json.dumps turns these keys into strings; anything else is refused (skipkeys=False)
    if isinstance(key, str):
        return encode_basestring_ascii(key)
    if isinstance(key, float):
        return encode_basestring_ascii(_float(key))
    if key is True or key is False or key is None:
        return encode_basestring_ascii({True: "true", False: "false", None: "null"}[key])
    if isinstance(key, int):
        return encode_basestring_ascii(int.__repr__(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _write(value: Any, out: _Parts, newline: str) -> None:
    text = _scalar(value)
    if text is not None:
        out.append(text)
        return
    inner = newline + _INDENT
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        sep = "{" + inner
        for key, item in value.items():
            head = sep + (encode_basestring_ascii(key) if type(key) is str else _key(key)) + ": "
            kind = type(item)  # the common leaves inline: one part each, no call
            if kind is str:
                out.append(head + encode_basestring_ascii(item))
            elif kind is int:
                out.append(head + int.__repr__(item))
            elif item is None:
                out.append(head + "null")
            else:
                out.append(head)
                _write(item, out, inner)
            sep = "," + inner
        out.append(newline + "}")
        return
    if isinstance(value, Items):
        _write_items(value.make(), out, inner, newline)
        return
    if not value:
        out.append("[]")
        return
    if all(type(item) is str for item in value):  # lists of ids: the bulk of a triage
        out.append("[" + inner + ("," + inner).join(map(encode_basestring_ascii, value)))
        out.append(newline + "]")
    else:
        _write_items(value, out, inner, newline)


def _write_items(items: Iterable[Any], out: _Parts, inner: str, newline: str) -> None:
    """A JSON array of these items, `[]` when there are none."""
    sep = "[" + inner
    for item in items:  # one part per item: a triage's targets were ~1.5M parts, ~60 MiB
        parts = [sep]
        _write(item, parts, inner)
        out.append("".join(parts))
        sep = "," + inner
    out.append("[]" if sep[0] == "[" else newline + "]")


class _FileParts:
    """Parts written to a file as they come, a few hundred at a time (one write call each)."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write
        self.parts: list[str] = []

    def append(self, text: str, /) -> None:
        self.parts.append(text)
        if len(self.parts) >= 256:
            self.flush()

    def flush(self) -> None:
        self.write("".join(self.parts))
        self.parts.clear()


def dump_indent2(value: Any, write: Callable[[str], object]) -> None:
    """`dumps_indent2(value)` given to `write` piece by piece (`Items` made as they are written)."""
    out = _FileParts(write)
    _write(value, out, "\n")
    out.flush()


def dumps_indent2(value: Any) -> str:
    """Exactly `json.dumps(value, indent=2)` for JSON-shaped values."""
    out: list[str] = []
    _write(value, out, "\n")
    return "".join(out)
