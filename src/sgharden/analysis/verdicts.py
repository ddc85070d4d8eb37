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
