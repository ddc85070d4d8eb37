"""One LogFormat grammar (flowlogs/fields.py): the flow-logs sufficiency check reads a flow log's
format with it, as ingest and the snapshot validation do, instead of a looser regex of its own."""

from __future__ import annotations

import pytest

from sgharden.flowlogs.fields import DEFAULT_FORMAT, LogFormatError, parse_log_format
from sgharden.flowlogs.sufficiency import (
    ANALYSIS_FIELDS,
    LOG_FORMAT,
    format_fields,
    is_sufficient,
    missing_fields,
)
from sgharden.model import FlowLog


def _flow_log(log_format: str) -> FlowLog:
    return FlowLog("fl-1", "eni-1", "111122223333", "eu-west-1", log_format, "s3", "arn", "ALL")


def test_the_format_sgharden_creates_is_read_back_by_the_one_grammar() -> None:
    assert format_fields(LOG_FORMAT) == parse_log_format(LOG_FORMAT) == ANALYSIS_FIELDS
    assert format_fields("") == format_fields("  ") == DEFAULT_FORMAT
    assert is_sufficient(_flow_log(LOG_FORMAT))


@pytest.mark.parametrize(
    "log_format",
    [
        LOG_FORMAT + " interface_id",  # a bare word: the old regex skipped it
        LOG_FORMAT.replace("${srcaddr}", "${srcadr}"),  # misspelled: shifts every column after it
        LOG_FORMAT + " ${version}",  # twice
    ],
)
def test_a_format_the_grammar_refuses_counts_as_recording_nothing(log_format: str) -> None:
    with pytest.raises(LogFormatError):
        format_fields(log_format)
    assert missing_fields(_flow_log(log_format)) == ANALYSIS_FIELDS
    assert not is_sufficient(_flow_log(log_format))
