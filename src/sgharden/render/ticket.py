# Over ~400 lines: one ticket folder's files share one context; split after the ticket work.
"""Change tickets: one folder per security group with changes and one per resource action.

Each folder holds what a change-approval board reads (`TICKET.md`) and what an operator runs or
attaches: `evidence.csv`, `plan.json` (the plan restricted to this change — itself a valid plan,
so `sgharden apply` and `dry-run` accept it), the evidence query with its parameters, `apply.sh`,
`rollback.sh` and, for groups, `change.tf`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sgharden.analysis.connections import Window
from sgharden.analysis.evidence import evidence_params
from sgharden.analysis.verdicts import FAMILY_TEXT
from sgharden.atomic_write import write_atomically
from sgharden.change.all_sources import AllSources
from sgharden.change.replay import thresholds_from
from sgharden.change.verdict import GroupVerdict, verdict_for
from sgharden.errors import InputError
from sgharden.findings import SEVERITY_ORDER
from sgharden.model import Finding, SecurityGroup
from sgharden.moments import iso
from sgharden.plan.read import Plan, PlanGroup, PlanResource, fragment, parse_time
from sgharden.render import awscli, terraform
from sgharden.render.context import name_of, source_names, ticket_fields
from sgharden.render.escape import markdown_code, markdown_code_block, markdown_text
from sgharden.render.extract import group_extract
from sgharden.render.resource_evidence import resource_csv, resource_rows
from sgharden.render.rule_text import ports_text, rule_text
from sgharden.render.staged_ticket import write_staged
from sgharden.resources import sql_dir
from sgharden.snapshot import Snapshot

# The evidence query the lead's planner uses; until it exists, the one named in the plan's
# settings (`evidence_query`), else `connections`.
EVIDENCE_QUERY = "evidence"
FALLBACK_QUERIES = ("connections",)


def environment(markdown: bool = False) -> Environment:
    """Jinja2 over the templates shipped in the package. HTML (`*.html.j2`) is autoescaped. With
    `markdown`, every `{{ value }}` goes through `markdown_text` by construction (no raw HTML, no
    Markdown syntax from data); lines inside fenced blocks use the `code` filter instead, and a
    value that is already Markdown must be passed as `Markup`."""
    env = Environment(
        loader=PackageLoader("sgharden", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=True, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_markdown_finalize if markdown else None,
    )
    env.filters["rule_text"] = rule_text
    env.filters["ports_text"] = ports_text
    env.filters["number"] = lambda n: f"{int(n or 0):,}"
    env.filters["iso"] = iso
    env.filters["md"] = markdown_cell
    env.globals["name_of"] = name_of
    env.filters["probe_family"] = lambda family: FAMILY_TEXT.get(family, family)
    env.filters["code"] = lambda v: Markup(markdown_code(v))
    env.filters["code_block"] = lambda v: Markup(markdown_code_block(v))
    return env


def _markdown_finalize(value: object) -> object:
    if isinstance(value, Markup):
        return str(value)
    if value is None:
        return ""
    return markdown_text(value)


def markdown_cell(value: object) -> Markup:
    """Text safe inside a Markdown table cell (pipes and newlines would break the row)."""
    return Markup(markdown_text(value))


@dataclass(frozen=True)
class Assessment:
    risk: str  # low | medium | high
    confidence: str  # high | medium | low
    why: tuple[str, ...]


def assess(plan: Plan, group: PlanGroup) -> Assessment:
    """Risk: what could break. Confidence: how complete the evidence is. Documented in docs/change.md."""
    why = []
    cov = group.coverage
    used_revokes = [pr for pr in group.revoke if pr.evidence.source_count > 0]
    replaced = {s.address for pr in group.authorize for s in pr.evidence.sources}
    lost = [
        s.address
        for pr in used_revokes
        for s in pr.evidence.sources
        if s.address not in replaced and pr.evidence.source_count <= len(pr.evidence.sources)
    ]
    if not used_revokes:
        risk = "low"
        why.append("every revoked rule had no real use in the window (nothing, or only probes)")
    else:
        risk = "medium"
        why.append(
            f"{len(used_revokes)} revoked rule(s) had real use; the real sources are kept by the new rules"
        )
    if lost:
        risk = "high"
        why.append(f"real sources not named in any new rule: {', '.join(sorted(set(lost))[:5])}")
    days = cov.window_days
    share = cov.gap_share or 0.0
    min_days = float(plan.settings.get("min_window_days", 14))
    if days is not None and days >= 2 * min_days and share == 0 and not group.warnings:
        confidence = "high"
    elif (
        days is not None
        and days >= min_days
        and share <= float(plan.settings.get("max_gap_share", 0.02))
    ):
        confidence = "high" if not group.warnings and share == 0 else "medium"
    else:
        confidence = "low"
    why.append(
        f"window {days if days is not None else '?'} days, gaps {share:.1%} of it"
        + (f", {len(group.warnings)} warning(s)" if group.warnings else "")
    )
    if cov.uncovered_enis:
        confidence = "low"
        why.append(f"interfaces without flow logs: {', '.join(cov.uncovered_enis)}")
    return Assessment(risk, confidence, tuple(why))


def findings_for(
    snapshot: Snapshot | None,
    ids: tuple[str, ...] | list[str],
    resource_id: str | None = None,
    control: str | None = None,
) -> list[Finding]:
    """The plan's findings only: the ids it names, or (for a plan without ids) the resource's
    findings of the plan's control. Other findings on the same resource (an EC2.8 on the EC2.9
    instance) are not closed by this change and do not belong on its ticket."""
    if snapshot is None:
        return []
    wanted = set(ids)
    out = [
        f
        for f in snapshot.findings
        if f.finding_id in wanted
        or (not wanted and resource_id and f.resource_id == resource_id and f.control == control)
    ]
    return sorted(
        out,
        key=lambda f: (
            SEVERITY_ORDER.index(f.severity) if f.severity in SEVERITY_ORDER else 9,
            f.control,
        ),
    )


def snapshot_group(snapshot: Snapshot | None, group: PlanGroup) -> SecurityGroup | None:
    if snapshot is None:
        return None
    inv = snapshot.inventory(group.account_id, group.region)
    if inv and group.group_id in inv.security_groups:
        return inv.security_groups[group.group_id]
    return next((g for g in snapshot.all_groups() if g.group_id == group.group_id), None)


def interfaces_of(snapshot: Snapshot | None, group: PlanGroup) -> list[dict[str, Any]]:
    """The group's ENIs and what they are (instance, RDS, load balancer...)."""
    if snapshot is None:
        uncovered_ids = set(group.coverage.uncovered_enis)
        return [
            {
                "interface_id": e,
                "what": "(no snapshot given)",
                "addresses": "",
                "groups": group.group_id,
                "flow_log": "no flow log in the window" if e in uncovered_ids else "covered",
            }
            for e in group.coverage.enis
        ]
    rows = []
    uncovered = set(group.coverage.uncovered_enis)
    instances = {
        i.instance_id: i for inv in snapshot.inventories.values() for i in inv.instances.values()
    }
    for eni in snapshot.all_interfaces():
        if group.group_id not in eni.group_ids and eni.interface_id not in group.coverage.enis:
            continue
        if eni.instance_id:
            name = instances[eni.instance_id].name if eni.instance_id in instances else ""
            what = f"instance {eni.instance_id}" + (f" ({name})" if name else "")
        elif eni.requester_managed:
            what = f"requester-managed: {eni.description or eni.interface_type}"
        else:
            what = eni.description or eni.interface_type
        rows.append(
            {
                "interface_id": eni.interface_id,
                "what": what,
                "addresses": ", ".join(
                    [*eni.addresses, *([eni.public_ip] if eni.public_ip else [])]
                ),
                "groups": ", ".join(eni.group_ids),
                "flow_log": "no flow log in the window"
                if eni.interface_id in uncovered
                else "covered",
            }
        )
    return rows


def evidence_rows(
    group: PlanGroup, every: AllSources | None = None, names: dict[str, str] | None = None
) -> Iterator[dict[str, Any]]:
    """One row per source of each rule: all of them when `every` (read from the workspace)
    holds the rule, else the top N the plan carries (TICKET.md then says so)."""
    for change, rules in (
        ("revoke", group.revoke),
        ("authorize", group.authorize),
        ("keep", group.keep),
    ):
        for pr in rules:
            full = every.of((group.group_id, change, rule_text(pr.rule))) if every else None
            if full is not None:
                for row in full:
                    yield {
                        "group_id": group.group_id,
                        "change": change,
                        "rule": rule_text(pr.rule),
                        "kind": "probe" if row.is_probe else "real",
                        "address": row.address,
                        "connections": row.connections,
                        "bytes": row.bytes,
                        "first_seen": row.first_seen or "",
                        "last_seen": row.last_seen or "",
                        "source_name": name_of(names or {}, row.address),
                        "counted_by": pr.evidence.counted_by or "",
                    }
                continue
            for kind, sources in (
                ("real", pr.evidence.sources),
                ("probe", pr.evidence.probe_sources),
            ):
                for s in sources:
                    yield {
                        "group_id": group.group_id,
                        "change": change,
                        "rule": rule_text(pr.rule),
                        "kind": kind,
                        "address": s.address,
                        "connections": s.connections,
                        "bytes": s.bytes,
                        "first_seen": s.first_seen or "",
                        "last_seen": s.last_seen or "",
                        "source_name": name_of(names or {}, s.address),
                        "counted_by": pr.evidence.counted_by or "",
                    }


EVIDENCE_COLUMNS = (
    "group_id",
    "change",
    "rule",
    "kind",
    "address",
    "connections",
    "bytes",
    "first_seen",
    "last_seen",
    "source_name",  # in-VPC addresses: the ENI, its instance and Name tag, its groups
    "counted_by",  # what a connection is for this rule's format (analysis/counted_by.py)
)


def evidence_csv(rows: Iterator[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EVIDENCE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()


def evidence_query(plan: Plan) -> tuple[str, str] | None:
    """(name, SQL text) of the query that produced the evidence, or None when none can be found."""
    names = [EVIDENCE_QUERY]
    named = plan.settings.get("evidence_query")
    if isinstance(named, str) and re.fullmatch(r"[a-z0-9_]+", named):
        names.append(named)
    names.extend(FALLBACK_QUERIES)
    try:
        folder = sql_dir()
    except FileNotFoundError:
        return None
    for name in names:
        path = folder / f"{name}.sql"
        if path.is_file():
            return name, path.read_text(encoding="utf-8")
    return None


def query_parameters(plan: Plan, group: PlanGroup | None) -> dict[str, Any]:
    """The named parameters to re-run the evidence query for this change (DuckDB `$name`)."""
    params: dict[str, Any] = {
        "interfaces": list(group.coverage.enis) if group else [],
        "start": plan.window_start,
        "end": plan.window_end,
    }
    for key, value in plan.settings.items():
        if key.startswith("probe_"):
            params[key] = value
    return params


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


@dataclass(frozen=True)
class TicketFolder:
    path: Path
    title: str
    kind: str  # group | resource


def evidence_completeness(group: PlanGroup, every: AllSources | None) -> Markup:
    """What evidence.csv holds, in one Markdown sentence for TICKET.md (never "all" when it is
    not)."""
    inbound = [
        (change, pr)
        for change, rules in (
            ("revoke", group.revoke),
            ("authorize", group.authorize),
            ("keep", group.keep),
        )
        for pr in rules
        if not pr.rule.is_egress
    ]
    if every is not None and all(
        every.of((group.group_id, c, rule_text(pr.rule))) is not None for c, pr in inbound
    ):
        return Markup(
            "All sources of every inbound rule: `evidence.csv` (read from the workspace "
            f"{markdown_text(every.workspace)}; its totals equal the plan's)."
        )
    carried = sum(len(pr.evidence.sources) + len(pr.evidence.probe_sources) for _, pr in inbound)
    total = sum(pr.evidence.source_count + pr.evidence.probe_source_count for _, pr in inbound)
    if carried >= total:
        return Markup("All sources of every inbound rule: `evidence.csv`.")
    return Markup(
        f"`evidence.csv` holds the {carried} busiest of {total} sources (the top "
        f"{plan_top(group)} per rule the plan carries): run `sgharden ticket` with "
        "`--workspace` (the workspace the plan was made from) for all of them."
    )


def plan_top(group: PlanGroup) -> int:
    return max(
        [len(pr.evidence.sources) for pr in (*group.revoke, *group.authorize, *group.keep)] or [0]
    )


def write_tickets(
    plan: Plan,
    snapshot: Snapshot | None,
    out: Path,
    only_groups: tuple[str, ...] = (),
    every: AllSources | None = None,
    verdicts: dict[str, GroupVerdict] | None = None,
) -> list[TicketFolder]:
    out.mkdir(parents=True, exist_ok=True)
    env = environment(markdown=True)
    written = []
    query = evidence_query(plan)
    names = source_names(snapshot)
    for group in plan.groups_to_change(only_groups):
        folder = out / _slug(f"{group.account_id}-{group.region}-{group.group_id}")
        folder.mkdir(parents=True, exist_ok=True)
        title = ticket_title(group)
        sg = snapshot_group(snapshot, group)
        context = {
            "plan": plan,
            "group": group,
            "title": title,
            "findings": findings_for(snapshot, group.findings),
            "finding_ids": group.findings,
            "interfaces": interfaces_of(snapshot, group),
            "current": list(sg.rules) if sg else [pr.rule for pr in (*group.revoke, *group.keep)],
            "current_from": "snapshot" if sg else "plan (revoke + keep; no snapshot given)",
            "assessment": assess(plan, group),
            "new_rules": awscli.new_rules(plan, group),
            "evidence_note": evidence_completeness(group, every),
            "verdict": verdict_for(verdicts, group),
            "fields": ticket_fields(sg),
            "names": names,
            "query": query[0] if query else None,
            "query_parameters": json.dumps(query_parameters(plan, group), indent=2),
            "apply_lines": awscli.apply_commands(plan, group),
            "rollback_lines": awscli.rollback_commands(plan, group),
            # what changes first, in full; unchanged rules collapsed to a line each afterwards
            "rules_sections": [("Revoke", group.revoke), ("Authorize", group.authorize)],
            "unchanged": group.keep,
        }
        write_atomically(folder / "TICKET.md", env.get_template("ticket.md.j2").render(**context))
        write_atomically(folder / "evidence.csv", evidence_csv(evidence_rows(group, every, names)))
        if snapshot is not None:
            extract = group_extract(
                snapshot, group.account_id, group.region, group.group_id, group.findings
            )
            write_atomically(folder / "snapshot.json", json.dumps(extract, indent=2) + "\n")
        write_atomically(
            folder / "plan.json", json.dumps(fragment(plan, group=group), indent=2) + "\n"
        )
        _write_query(folder, plan, group, query, snapshot)
        _write_script(folder / "apply.sh", awscli.script(plan, awscli.apply_commands(plan, group)))
        _write_script(
            folder / "rollback.sh", awscli.script(plan, awscli.rollback_commands(plan, group))
        )
        write_atomically(folder / "change.tf", terraform.change_tf(plan, group))
        write_staged(plan, group, folder)  # the staged-rollout variant, beside the one-step one
        written.append(TicketFolder(folder, title, "group"))
    if not only_groups:
        for resource in plan.resources:
            if not resource.has_changes:
                continue
            written.append(_resource_ticket(env, plan, snapshot, resource, out))
    if not written:
        raise InputError(
            f"{plan.path}: nothing to ticket: no ready group with changes"
            + (f" among {', '.join(only_groups)}" if only_groups else "")
            + " and no resource action",
            hint="groups that need more data get no ticket; see `sgharden propose` for why",
        )
    return written


def ticket_title(group: PlanGroup) -> str:
    parts = []
    if group.revoke:
        parts.append(f"revoke {len(group.revoke)}")
    if group.authorize:
        parts.append(f"authorize {len(group.authorize)}")
    controls = ", ".join(group.controls)
    return (
        f"Harden security group {group.group_id} ({group.group_name}) in "
        f"{group.account_id}/{group.region}: {' + '.join(parts)} rule(s) — closes {controls}"
    )


def _resource_ticket(
    env: Environment, plan: Plan, snapshot: Snapshot | None, resource: PlanResource, out: Path
) -> TicketFolder:
    folder = out / _slug(
        f"{resource.account_id}-{resource.region}-{resource.resource_id}-{resource.control}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    verb = (
        "Remove the public IPv4 address of"
        if resource.action == "remove-public-ip"
        else "Disable public access to"
    )
    title = f"{verb} {resource.resource_id} in {resource.account_id}/{resource.region} — closes {resource.control}"
    context = {
        "plan": plan,
        "resource": resource,
        "title": title,
        "findings": findings_for(
            snapshot, resource.findings, resource.resource_id, resource.control
        ),
        "evidence": json.dumps(resource.evidence, indent=2, sort_keys=True),
        "counted_by": resource.evidence.get("counted_by"),
        "apply_lines": awscli.resource_commands(resource),
        "rollback_lines": awscli.resource_commands(resource, rollback=True),
        "outbound": [r for r in resource_rows(resource) if r["kind"] == "outbound"],
    }
    write_atomically(
        folder / "TICKET.md", env.get_template("resource_ticket.md.j2").render(**context)
    )
    write_atomically(folder / "evidence.csv", resource_csv(resource))
    write_atomically(
        folder / "plan.json", json.dumps(fragment(plan, resource=resource), indent=2) + "\n"
    )
    _write_script(folder / "apply.sh", awscli.script(plan, awscli.resource_commands(resource)))
    _write_script(
        folder / "rollback.sh",
        awscli.script(plan, awscli.resource_commands(resource, rollback=True)),
    )
    return TicketFolder(folder, title, "resource")


REPRODUCE = """-- Reproduce on the workspace the plan was made from (the macros come with open_workspace):
--   python3 - <<'PY'
--   import json
--   from sgharden.workspace import open_workspace
--   con = open_workspace("sgharden.duckdb")
--   sql = open("evidence.sql").read()
--   for item in json.load(open("evidence-params.json")):
--       print(item["change"], item["rule"])
--       for row in con.execute(sql, item["parameters"]).fetchall():
--           print("   ", row[:7])
--   PY
"""


def rule_query_parameters(
    plan: Plan, group: PlanGroup, snapshot: Snapshot | None
) -> list[dict[str, Any]] | None:
    """Per inbound rule of the group, the parameters of sql/evidence.sql that reproduce its
    evidence; None without the snapshot's inventory (needed for referenced groups' members)."""
    inventory = snapshot.inventory(group.account_id, group.region) if snapshot else None
    if inventory is None:
        return None
    window = Window(parse_time(plan.window_start), parse_time(plan.window_end))
    thresholds = thresholds_from(plan.settings)
    out = []
    for change, rules in (
        ("revoke", group.revoke),
        ("authorize", group.authorize),
        ("keep", group.keep),
    ):
        for pr in rules:
            if pr.rule.is_egress:
                continue  # the evidence is of inbound use
            params = evidence_params(pr.rule, group.coverage.enis, window, thresholds, inventory)
            params["start"] = plan.window_start
            params["end"] = plan.window_end
            out.append({"change": change, "rule": rule_text(pr.rule), "parameters": params})
    return out


def _write_query(
    folder: Path,
    plan: Plan,
    group: PlanGroup,
    query: tuple[str, str] | None,
    snapshot: Snapshot | None,
) -> None:
    generic = json.dumps(query_parameters(plan, group), indent=2)
    if query is None:
        write_atomically(
            folder / "evidence-query.md",
            "The query that produced this evidence is not shipped with this sgharden "
            f"(looked for sql/{EVIDENCE_QUERY}.sql). Parameters used:\n\n```json\n{generic}\n```\n",
        )
        return
    name, text = query
    per_rule = rule_query_parameters(plan, group, snapshot) if name == EVIDENCE_QUERY else None
    if per_rule is not None:
        header = (
            f"-- The query behind this ticket's evidence (sql/{name}.sql): one run per rule, with the\n"
            "-- DuckDB named parameters of that rule in evidence-params.json.\n" + REPRODUCE
        )
        params = json.dumps(per_rule, indent=2)
    else:
        header = (
            f"-- The query behind this ticket's evidence (sql/{name}.sql), with the DuckDB named\n"
            "-- parameters in evidence-params.json (the window, interfaces and probe thresholds).\n"
        )
        params = generic
    write_atomically(folder / "evidence.sql", header + text)
    write_atomically(folder / "evidence-params.json", params + "\n")


def _write_script(path: Path, text: str) -> None:
    write_atomically(path, text, mode=0o755)
