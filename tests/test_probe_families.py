"""Every probe and scanner reason the classifier (sql/classify_sources.sql) can write falls in a
family of its own (analysis/verdicts.PROBE_FAMILIES), and no real-user reason falls in any."""

from __future__ import annotations

import re
from pathlib import Path

from sgharden.analysis.verdicts import FAMILY_TEXT, OTHER_FAMILY, PROBE_FAMILIES, probe_family

CLASSIFIER = Path(__file__).resolve().parents[1] / "sql" / "classify_sources.sql"
# printf('<kind>: <reason>', ...) in the classifier's CASE
REASONS = re.compile(r"printf\('((?:real|probe|scanner): [^']*)'")
SAMPLE = {"d": "7", "s": "", ".0f": "12", ".1f": "1.5"}


def rendered(template: str) -> str:
    """The reason with every printf placeholder filled in."""
    return re.sub(r"%(\.\df|d|s)", lambda m: SAMPLE[m[1]], template)


def test_each_probe_rule_of_the_classifier_has_its_own_family() -> None:
    reasons = [rendered(t) for t in REASONS.findall(CLASSIFIER.read_text(encoding="utf-8"))]
    probes = [r for r in reasons if not r.startswith("real: ")]
    real = [r for r in reasons if r.startswith("real: ")]
    assert len(probes) == 4 and len(real) == 2, reasons
    families = [probe_family(r) for r in probes]
    assert families == [f for f, _, _ in PROBE_FAMILIES]  # one each, in the classifier's order
    assert all(probe_family(r) == OTHER_FAMILY[0] for r in real)
    assert probe_family("") == OTHER_FAMILY[0]
    assert set(FAMILY_TEXT) == {*families, OTHER_FAMILY[0]}
