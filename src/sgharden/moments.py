"""How every output writes a moment: ISO 8601 in UTC with a Z (plans, stage records, replay,
verify, snapshots, dry-run and apply records). One writer, so no two files can disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def iso(moment: datetime) -> str: ...
@overload
def iso(moment: None) -> None: ...
@overload
def iso(moment: datetime | None) -> str | None: ...
def iso(moment: datetime | None) -> str | None:
    """`2026-11-01T00:00:00Z`; naive datetimes are UTC (the workspace stores UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
