"""render/json_text.py writes exactly what json.dumps(indent=2) writes (the triage JSON's bytes)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgharden.render.json_text import dumps_indent2

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
