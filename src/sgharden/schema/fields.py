"""Field types shared by the snapshot and plan schemas: AWS ids by their grammar, addresses,
ports, protocols and times, each failing with a message that says what was expected."""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict

from sgharden.awsids import expected, is_id
from sgharden.flowlogs.fields import LogFormatError, parse_log_format
from sgharden.moments import parse

# AWS adds fields to its outputs over time; unknown ones are kept, never an error. strict: a
# port "22" or 22.0, a flag "false", is not what the AWS CLI writes, so it is refused, not coerced.
AWS_CONFIG = ConfigDict(extra="allow", strict=True, frozen=True)


def aws_id(kind: str) -> Any:
    def check(value: Any) -> Any:
        if not is_id(kind, value):
            raise ValueError(f"expected {expected(kind)}")
        return value

    # before: null or 5 also get "expected a security group id", not "expected a string"
    return Annotated[str, BeforeValidator(check)]


Account = aws_id("account")
Region = aws_id("region")
GroupId = aws_id("security group")
PrefixListId = aws_id("prefix list")
InterfaceId = aws_id("network interface")
InstanceId = aws_id("instance")
FlowLogId = aws_id("flow log")
VpcId = aws_id("vpc")
SubnetId = aws_id("subnet")
RuleId = aws_id("security group rule")


def _resource_for_flow_log(value: Any) -> Any:
    if not any(is_id(kind, value) for kind in ("vpc", "subnet", "network interface")):
        raise ValueError("expected a vpc-, subnet- or eni- id")
    return value


FlowLogResource = Annotated[str, BeforeValidator(_resource_for_flow_log)]

# RDS: 1-63 letters, digits and hyphens, starting with a letter, no double or trailing hyphen
DB_IDENTIFIER = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,62}(?<!-)")


def _db_identifier(value: Any) -> Any:
    if not isinstance(value, str) or not DB_IDENTIFIER.fullmatch(value):
        raise ValueError("expected an RDS DB instance identifier (letters, digits, hyphens)")
    return value


DbIdentifier = Annotated[str, BeforeValidator(_db_identifier)]


@functools.lru_cache(maxsize=4096)
def _is_network(value: str) -> bool:
    # the same few CIDRs (0.0.0.0/0, office ranges) recur over thousands of rules: parsed once
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return "%" not in value and value.isascii()


def _network(value: Any) -> Any:
    if not isinstance(value, str) or not _is_network(value):
        raise ValueError("expected a CIDR block")
    return value


def _address(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("expected an IP address")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("expected an IP address") from None
    if "%" in value or not value.isascii():
        raise ValueError("expected an IP address")
    return value


Cidr = Annotated[str, BeforeValidator(_network)]
Address = Annotated[str, BeforeValidator(_address)]


def _port(value: int) -> int:
    if not -1 <= value <= 65535:
        raise ValueError("expected an integer -1..65535")
    return value


def _integer_first(value: Any) -> Any:
    # say "expected an integer -1..65535" for "22" and 22.5 as well as for 70000
    if type(value) is not int:
        raise ValueError("expected an integer -1..65535")
    return value


Port = Annotated[int, BeforeValidator(_integer_first), AfterValidator(_port)]

_PROTOCOL = re.compile(r"-1|tcp|udp|icmp|icmpv6|[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5]")


def _protocol(value: Any) -> str:
    if not isinstance(value, str) or not _PROTOCOL.fullmatch(value):
        raise ValueError("expected -1, tcp, udp, icmp, icmpv6 or a number 0-255")
    return value


Protocol = Annotated[str, BeforeValidator(_protocol)]


def _iso_time(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 time")
    try:
        parse(value)
    except ValueError:
        raise ValueError("not an ISO 8601 time") from None
    return value


IsoTime = Annotated[str, BeforeValidator(_iso_time)]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    # a day of the evidence (`daily[].day`): the report draws its bars by it
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("expected a day YYYY-MM-DD")
    try:
        parse(value)
    except ValueError:
        raise ValueError("not a day YYYY-MM-DD") from None
    return value


IsoDate = Annotated[str, BeforeValidator(_iso_date)]


def _count(value: Any) -> Any:
    if type(value) is not int or value < 0:
        raise ValueError("expected a whole number >= 0")
    return value


Count = Annotated[int, BeforeValidator(_count)]


@functools.lru_cache(maxsize=256)
def _log_format_fault(value: str) -> str | None:
    # a snapshot repeats a few formats over hundreds of flow logs; parsing one (with its
    # did-you-mean lookups) costs ~1 ms, so each distinct text is judged once
    try:
        parse_log_format(value)
    except LogFormatError as exc:
        return str(exc)
    return None


def _log_format(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    fault = _log_format_fault(value)
    if fault is not None:
        raise ValueError(fault)
    return value


LogFormat = Annotated[str, BeforeValidator(_log_format)]
