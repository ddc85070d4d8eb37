"""`sgharden verify`'s result in each format: who is turned away since the change."""

from __future__ import annotations

import json

from sgharden.change.verify import Rejection, VerifyResult
from sgharden.moments import iso
from sgharden.render import OutputFormat
from sgharden.render.escape import markdown_text, one_line
from sgharden.render.rows import rows_text

HEADERS = [
    "group",
    "interface",
    "proto/port",
    "remote",
    "rejected records",
    "connections",
    "first",
    "last",
]


def _rows(items: list[Rejection]) -> list[list[object]]:
    return [
        [
            r.group_id,
            r.interface_id,
            f"{r.protocol}/{r.port}",
            r.remote_addr,
            r.rejected_records,
            r.connections,
            iso(r.first_seen),
            iso(r.last_seen),
        ]
        for r in items
    ]


def verify_text(result: VerifyResult, fmt: OutputFormat | str) -> str:
    fmt = OutputFormat(fmt)
    since = iso(result.since)
    if fmt is OutputFormat.JSON:
        return json.dumps(
            {
                "since": since,
                "groups": result.groups,
                "real_users_rejected": [r.to_dict() for r in result.real_users_rejected],
                "others_rejected": [r.to_dict() for r in result.others_rejected],
            },
            indent=2,
        )
    text = markdown_text if fmt is OutputFormat.MARKDOWN else one_line
    heading = "## " if fmt is OutputFormat.MARKDOWN else ""
    lines = [
        text(
            f"groups {', '.join(result.groups) or 'none'}; "
            f"interfaces {', '.join(result.interfaces) or 'none'}; since {since}"
        )
    ]
    if result.real_users_rejected:
        lines += ["", f"{heading}REAL USERS REJECTED (they used this access before the change):"]
        lines.append(rows_text(HEADERS, _rows(result.real_users_rejected), fmt))
    else:
        lines += ["", "no real user from before the change was rejected"]
    if result.others_rejected:
        lines += ["", f"{heading}rejected probes and other sources (expected after hardening):"]
        lines.append(rows_text(HEADERS, _rows(result.others_rejected), fmt))
    notes = sorted({r.counted_by for r in result.rejections if r.counted_by})
    if notes:
        lines += ["", text(f"counted by: {'; '.join(notes)} (as in the plan's evidence)")]
    return "\n".join(lines) + "\n"
