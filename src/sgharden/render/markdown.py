"""The plan as a Markdown summary a reviewer reads (and a ticket carries)."""

from __future__ import annotations

from typing import Any

from sgharden.plan.write import Plan
from sgharden.render.rules import describe


def _sources(evidence: dict[str, Any], limit: int = 5) -> str:
    shown = ", ".join(f"`{s['address']}` ({s['connections']})" for s in evidence["sources"][:limit])
    more = evidence["source_count"] - min(limit, len(evidence["sources"]))
    return shown + (f" and {more} more" if more > 0 else "")


def _rule_line(change: str, rule: dict[str, Any]) -> str:
    ev = rule["evidence"]
    line = f"- **{change}** `{describe(rule)}` — {rule['reason']}"
    facts = []
    if ev["source_count"]:
        facts.append(
            f"{ev['connections']} connections from {ev['source_count']} real source(s): "
            f"{_sources(ev)}; last seen {ev['last_seen']}"
            + (f" (counted by: {ev['counted_by']})" if ev.get("counted_by") else "")
        )
    if ev["probes"]["source_count"]:
        facts.append(
            f"{ev['probes']['source_count']} probe source(s), "
            f"{ev['probes']['connections']} probe connections (exposure, not need)"
        )
    return line + "".join(f"\n  - {f}" for f in facts)


def render_group(group: dict[str, Any]) -> str:
    cov = group["coverage"]
    lines = [
        f"### `{group['group_id']}` {group['group_name']} — {group['status']}",
        "",
        f"Controls {', '.join(group['controls'])} · {len(group['findings'])} finding(s) · "
        f"VPC `{group['vpc_id']}` · account {group['account_id']} {group['region']}  ",
        f"Coverage: {len(cov['enis']) - len(cov['uncovered_enis'])} of {len(cov['enis'])} ENIs "
        f"logged over {cov['window_days']:.1f} days, worst gap share {cov['gap_share']:.2%}"
        + (f"; uncovered: {', '.join(cov['uncovered_enis'])}" if cov["uncovered_enis"] else ""),
        *(f"- {q}" for q in cov.get("quiet", ())),
        "",
    ]
    if group.get("shut_out"):
        lines.extend([f"**This change {group['shut_out']['line']}.**", ""])
    for change in ("revoke", "authorize", "keep"):
        lines.extend(_rule_line(change, r) for r in group[change])
    if group["warnings"]:
        lines.append("")
        lines.extend(f"> ⚠ {w}" for w in group["warnings"])
    return "\n".join(lines) + "\n"


def _summary(doc: dict[str, Any]) -> list[str]:
    groups = doc["groups"]
    ready = [g for g in groups if g["status"] == "ready"]
    return [
        "# sgharden plan",
        "",
        f"Window {doc['window']['start']} to {doc['window']['end']} · generated "
        f"{doc['generated_at']} · schema `{doc['schema']}`",
        "",
        f"- {len(ready)} group(s) ready: "
        f"{sum(len(g['revoke']) for g in ready)} rule(s) to revoke, "
        f"{sum(len(g['authorize']) for g in ready)} to authorize",
        f"- {sum(1 for g in groups if g['status'] == 'needs-more-data')} group(s) need more data "
        "(nothing of them is revoked)",
        f"- {sum(1 for g in groups if g['status'] == 'needs-decision')} group(s) need a decision "
        "(a risky world-open rule whose real users do not fit the limits; see its alternatives)",
        f"- {sum(1 for g in groups if g['status'] == 'no-change')} group(s) need no change",
        f"- {len(doc['resources'])} resource(s): "
        + (", ".join(f"{r['resource_id']} {r['action']}" for r in doc["resources"]) or "none"),
        "",
    ]


def render_summary(plan: Plan) -> str:
    """Just the headline counts: what `sgharden demo` prints under the table."""
    return "\n".join(_summary(plan.to_dict()))


def render_markdown(plan: Plan) -> str:
    doc = plan.to_dict()
    lines = [*_summary(doc), "## Security groups", ""]
    lines.extend(render_group(g) for g in doc["groups"])
    if doc["resources"]:
        lines += ["## Resources", ""]
        for r in doc["resources"]:
            lines.append(f"- **{r['action']}** {r['control']} `{r['resource_id']}` — {r['reason']}")
        lines.append("")
    lines.append(
        "Every source of each rule, with the query and its parameters to re-run on the "
        "workspace: `sgharden ticket PLAN.json --snapshot SNAPSHOT --workspace WORKSPACE "
        "--out tickets/` (evidence.csv, evidence.sql, evidence-params.json per group; the query "
        "ships inside sgharden)."
    )
    return "\n".join(lines) + "\n"
