"""Whether a flow log records what the analysis reads: its fields, traffic type and state.

Pure (no AWS calls): `flow-logs enable/status` decide with it on live answers, the collect summary
on the snapshot's. The LogFormat grammar itself is flowlogs/fields.py's."""

from __future__ import annotations

from collections.abc import Iterable

from sgharden.flowlogs.fields import DEFAULT_FORMAT, LogFormatError, log_format_fields
from sgharden.model import FlowLog, Interface
from sgharden.targets import covering

# The fields the analysis reads: v2 plus direction (tcp-flags, flow-direction, pkt-*addr behind
# NAT/ELB), place (vpc/subnet/instance/region/az) and AWS-service attribution.
V2_FIELDS = DEFAULT_FORMAT
ANALYSIS_FIELDS = (
    *V2_FIELDS,
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
    "region", "az-id", "flow-direction", "traffic-path", "pkt-src-aws-service",
    "pkt-dst-aws-service",
)  # fmt: skip
LOG_FORMAT = " ".join(f"${{{name}}}" for name in ANALYSIS_FIELDS)
# Traffic types that record the accepted connections the analysis counts as use.
SUFFICIENT_TRAFFIC = ("ALL", "ACCEPT")


def format_fields(log_format: str) -> tuple[str, ...]:
    """The field names of a LogFormat (`${version} ${srcaddr} ...`); empty means the default (v2).
    The grammar is flowlogs/fields.py's, the one every reader of a LogFormat uses."""
    return log_format_fields(log_format)


def missing_fields(flow_log: FlowLog) -> tuple[str, ...]:
    try:
        have = set(format_fields(flow_log.log_format))
    except LogFormatError:
        # Snapshots are validated on load (schema/fields.LogFormat), so only a live answer could
        # get here: a format sgharden cannot read records nothing it can rely on.
        have = set()
    return tuple(name for name in ANALYSIS_FIELDS if name not in have)


def is_sufficient(flow_log: FlowLog) -> bool:
    return (
        flow_log.status == "ACTIVE"
        and flow_log.traffic_type in SUFFICIENT_TRAFFIC
        and not missing_fields(flow_log)
    )


def coverage_label(flow_logs: Iterable[FlowLog], eni: Interface) -> str:
    """'sufficient', 'insufficient (missing ...)' or 'none' for the ENI."""
    found = covering(flow_logs, eni)
    if any(is_sufficient(fl) for fl in found):
        return "sufficient"
    if found:
        return "insufficient"
    return "none"
