"""How every input reads and every output writes a moment: ISO 8601, UTC with a Z on output (plans,
stage records, replay, verify, snapshots, dry-run and apply records). One parser and one writer,
so no two files can disagree on what a timestamp means."""

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


def stamp(moment: datetime) -> str:
    """`20261101T000000123456Z`: a moment as a file-name part that sorts by time (backups, stage
    records); microseconds so two writes in one second get two files. Naive = UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def parse_aware(text: str) -> datetime:
    """ISO 8601 text (`...Z`, an offset, or none, which means UTC) as an aware datetime that keeps
    the offset it was given. Raises ValueError for text that is not ISO 8601."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse(text: str) -> datetime:
    """ISO 8601 text as naive UTC, the workspace's convention. Raises ValueError like parse_aware."""
    return parse_aware(text).astimezone(UTC).replace(tzinfo=None)
