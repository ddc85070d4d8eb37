"""The plan for people at a terminal: per group, its rules now and proposed, with counts."""

from __future__ import annotations

import textwrap
from typing import Any

from tabulate import tabulate

from sgharden.plan.write import Plan
from sgharden.render.escape import terminal_text
from sgharden.render.rules import direction, peer, ports

CHANGE_ORDER = {"revoke": 0, "authorize": 1, "keep": 2}


def _rows(group: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for change in ("revoke", "authorize", "keep"):
        for rule in group[change]:
            ev = rule["evidence"]
            rows.append(
                [
                    change,
                    direction(rule),
                    ports(rule),
                    peer(rule),
                    ev["connections"],
                    ev["source_count"],
                    ev["probes"]["source_count"],
                    textwrap.shorten(rule["reason"], 70, placeholder="..."),
                ]
            )
    return rows


def render_group(group: dict[str, Any]) -> str:
    cov = group["coverage"]
    head = (
        f"{group['group_id']} ({group['group_name']}) {group['vpc_id'] or ''} "
        f"{group['account_id']}/{group['region']}  [{group['status']}]  "
        f"{', '.join(group['controls'])}  {len(group['findings'])} finding(s)\n"
        f"  coverage: {len(cov['enis']) - len(cov['uncovered_enis'])}/{len(cov['enis'])} ENIs, "
        f"{cov['window_days']:.1f} days, gap share {cov['gap_share']:.2%}"
    )
    table = tabulate(
        _rows(group),
        headers=["change", "dir", "ports", "peer", "conns", "sources", "probes", "reason"],
        tablefmt="simple",
    )
    warnings = "".join(f"\n  ! {w}" for w in group["warnings"])
    return f"{head}\n{table}{warnings}\n"


def render_resources(resources: list[dict[str, Any]]) -> str:
    if not resources:
        return ""
    rows = [
        [
            r["control"],
            r["resource_id"],
            r["action"],
            textwrap.shorten(r["reason"], 90, placeholder="..."),
        ]
        for r in resources
    ]
    return (
        tabulate(rows, headers=["control", "resource", "action", "reason"], tablefmt="simple")
        + "\n"
    )


def render_table(plan: Plan) -> str:
    doc = plan.to_dict()
    counts = {
        s: sum(1 for g in doc["groups"] if g["status"] == s)
        for s in ("ready", "needs-more-data", "needs-decision", "no-change")
    }
    out = [
        f"window {doc['window']['start']} .. {doc['window']['end']}   groups: "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + "\n"
    ]
    out.extend(render_group(g) for g in doc["groups"])
    resources = render_resources(doc["resources"])
    if resources:
        out.append(resources)
    # names, descriptions and reasons come from AWS data: no escape sequence reaches the terminal
    return terminal_text("\n".join(out))
