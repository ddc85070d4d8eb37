"""Ingest's results do not change when its implementation does (issue 14).

Every case of tests/ingest_fingerprint.py (the flow-log vectors, bad input taking every slow path,
the bundled sample, the labelled corpus as v2, v5 and Parquet, in one batch and in many) is
ingested into a fresh workspace and planned; the roll-up, samples, coverage, rejects, listeners,
addresses, manifest and the plan must match the fingerprint stored before ingest was made fast.
Rewrite the stored file (`python tests/ingest_fingerprint.py --write`) only for a change that is
meant to change results, and say so in the commit.
"""

from __future__ import annotations

import json

import pytest
from ingest_fingerprint import CASES, STORED, Case, fingerprint_case


@pytest.fixture(scope="module")
def stored() -> dict[str, object]:
    return json.loads(STORED.read_text())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_ingest_results_match_the_stored_fingerprint(case: Case, stored: dict) -> None:  # type: ignore[type-arg]
    found = fingerprint_case(case)
    expected = stored[case.name]
    changed = [t for t in expected["tables"] if found["tables"].get(t) != expected["tables"][t]]
    assert changed == [], f"{case.name}: {changed} changed: {found['tables']}"
    assert found["report"] == expected["report"]
    assert found.get("plan") == expected.get("plan")
