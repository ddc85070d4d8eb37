"""The one ISO time writer: every output says UTC with a Z, whatever datetime it was given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sgharden.moments import iso


def test_naive_is_utc_and_aware_is_converted() -> None:
    assert iso(datetime(2026, 11, 1, 0, 0, 0)) == "2026-11-01T00:00:00Z"
    assert iso(datetime(2026, 11, 1, 0, 0, 0, tzinfo=UTC)) == "2026-11-01T00:00:00Z"
    paris = timezone(timedelta(hours=1))
    assert iso(datetime(2026, 11, 1, 1, 30, 5, 999, tzinfo=paris)) == "2026-11-01T00:30:05Z"
    assert iso(None) is None
