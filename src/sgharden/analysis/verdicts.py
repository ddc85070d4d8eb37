"""A source's verdict as the plan states it: its kind and the reason (sql/classify_sources.sql).

The classifier writes each verdict as "<kind>: <reason>". The kinds:
- `real`: a user or a machine that needs the access;
- `probe`: judged on the exchange itself (handshake-sized, unanswered, banner-only, or a
  one-time opening message answered with no more than an opening answer);
- `scanner`: judged on the source's behaviour (it sweeps ports or interfaces, or it came in a
  burst of small sessions and never returned: credential brute force).
Probes and scanners alike are evidence of exposure, never of need.
"""

from __future__ import annotations

REAL = "real"
PROBE = "probe"
SCANNER = "scanner"
KINDS = (REAL, PROBE, SCANNER)


def split_verdict(is_probe: bool, text: str) -> dict[str, str]:
    """{"verdict": kind, "reason": words} for a plan's evidence.

    A connection built without the classifier's text (a test, an older workspace) still gets
    its kind from `is_probe`, with an empty reason.
    """
    kind, sep, reason = text.partition(": ")
    if sep and kind in KINDS and (kind != REAL) == is_probe:
        return {"verdict": kind, "reason": reason}
    return {"verdict": PROBE if is_probe else REAL, "reason": ""}


# A probe's family: which of the classifier's probe rules (sql/classify_sources.sql) judged it,
# told by words only that rule's reason contains. (family, marker, what it means for a reviewer),
# in the classifier's order; tests/test_probe_families.py renders every probe and scanner reason
# the SQL can write and checks each falls in its own family.
PROBE_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("handshake", "handshake-sized or unanswered", "handshakes only or unanswered (connect scans)"),
    ("sweep", "the source reached", "swept several ports or interfaces (scanners)"),
    ("burst", "hours on one day", "a burst of small sessions, never back (credential brute force)"),
    ("banner", "opening message", "one opening message answered, never back (banner grabs)"),
)
OTHER_FAMILY = ("other", "", "judged a probe, with no reason recorded")
FAMILY_TEXT = {family: text for family, _, text in (*PROBE_FAMILIES, OTHER_FAMILY)}


def probe_family(verdict: str) -> str:
    """The family of a probe from the classifier's verdict text ("other" when it has none)."""
    for family, marker, _ in PROBE_FAMILIES:
        if marker in verdict:
            return family
    return OTHER_FAMILY[0]
