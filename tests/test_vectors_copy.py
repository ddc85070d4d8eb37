"""tests/vectors is a byte-for-byte copy of ../shared/vectors (when that is at hand)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHARED_VECTORS, VENDORED_VECTORS


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_vendored_vectors_match_the_shared_ones() -> None:
    if not SHARED_VECTORS.is_dir():
        pytest.skip(f"{SHARED_VECTORS} is not here; the copy in tests/vectors is used")
    shared, vendored = _files(SHARED_VECTORS), _files(VENDORED_VECTORS)
    assert sorted(shared) == sorted(vendored), (
        "refresh: rm -r tests/vectors && cp -r ../shared/vectors tests/"
    )
    assert [n for n in shared if shared[n] != vendored[n]] == []
