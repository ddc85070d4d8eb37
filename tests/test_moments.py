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


def test_one_parser_reads_what_aws_the_cli_and_the_writer_write() -> None:
    """Z (moments.iso), an offset (the AWS CLI, botocore), none (UTC): one instant, naive UTC."""
    from sgharden.moments import parse, parse_aware

    moment = datetime(2026, 11, 1, 0, 30, 5)
    for text in ("2026-11-01T00:30:05Z", "2026-11-01T01:30:05+01:00", "2026-11-01 00:30:05"):
        assert parse(text) == moment
        assert parse(iso(parse(text))) == moment
    # parse_aware keeps the offset it was given (a --since date stays the user's date)
    aware = parse_aware("2026-11-01T01:30:05+01:00")
    assert aware.utcoffset() == timedelta(hours=1) and aware.astimezone(UTC).hour == 0
    assert parse_aware("2026-11-01T00:30:05").tzinfo is UTC
    for bad in ("yesterday", "2026-13-01T00:00:00Z"):
        try:
            parse(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} parsed")


def test_file_stamps_sort_by_time_and_say_utc() -> None:
    from sgharden.moments import stamp

    paris = timezone(timedelta(hours=1))
    assert stamp(datetime(2026, 11, 1, 1, 0, 0, 5, tzinfo=paris)) == "20261101T000000000005Z"
    assert stamp(datetime(2026, 11, 1)) < stamp(datetime(2026, 11, 1, 0, 0, 0, 1))
