"""render/json_text.py writes exactly what json.dumps(indent=2) writes (the triage JSON's bytes)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgharden.render.json_text import Items, dump_indent2, dumps_indent2

_text = st.text(st.characters(codec="utf-8") | st.sampled_from('"\\\x00\x1f\x7f\u2028é😀'))
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _text
)
_keys = _text | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(_text, max_size=5)  # the all-strings fast path
        | st.tuples(inner, inner)
        | st.dictionaries(_keys, inner, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_documents)
def test_same_bytes_as_json_dumps(document: object) -> None:
    assert dumps_indent2(document) == json.dumps(document, indent=2)


def _items(value: object) -> object:
    """The document with every list and tuple as `Items`, made only when written."""
    if isinstance(value, dict):
        return {k: _items(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return Items(lambda: (_items(v) for v in value))
    return value


@settings(max_examples=400, deadline=None)
@given(_documents)
def test_written_piece_by_piece_with_lazy_lists_the_same_bytes(document: object) -> None:
    pieces: list[str] = []
    dump_indent2(_items(document), pieces.append)
    assert "".join(pieces) == json.dumps(document, indent=2)


def test_a_long_list_goes_out_in_pieces_while_its_items_are_made() -> None:
    made: list[int] = []
    pieces: list[str] = []

    def targets() -> Iterator[dict[str, object]]:
        for i in range(2000):
            made.append(i)
            yield {"id": f"sg-{i}", "findings": [str(i)]}

    def write(text: str) -> None:
        pieces.append(text)
        made.clear()  # what was made before this piece went out is no longer needed

    dump_indent2({"targets": Items(targets), "n": 1}, write)
    assert len(pieces) > 2 and len(made) < 2000
    expected = {"targets": [{"id": f"sg-{i}", "findings": [str(i)]} for i in range(2000)], "n": 1}
    assert "".join(pieces) == json.dumps(expected, indent=2)


def test_nested_shapes_and_escapes() -> None:
    document = {
        "ids": ["sg-1", 'a"b', "\u2028", "é"],
        "empty": {"l": [], "d": {}, "t": ()},
        1: [1.5, 1e16, -0.0, True, None, {"x": [["y"]]}],
        None: float("nan"),
    }
    assert dumps_indent2(document) == json.dumps(document, indent=2)


def test_what_json_refuses_is_refused() -> None:
    with pytest.raises(TypeError):
        dumps_indent2({"a": {1, 2}})
    with pytest.raises(TypeError):
        dumps_indent2({(1, 2): "tuple key"})
