"""The soak of a staged rollout for people: a terminal table and Markdown (for the change ticket)."""

from __future__ import annotations

from tabulate import tabulate

from sgharden.change.soak import GroupSoak, SoakSource
from sgharden.moments import iso
from sgharden.render.escape import markdown_text, one_line

# group names come from AWS: one printable line on a terminal, literal text in Markdown
_plain = one_line
_md = markdown_text


def _source_rows(sources: list[SoakSource]) -> list[list[object]]:
    return [
        [
            s.remote_addr,
            s.interface_id,
            f"{s.protocol}/{s.port}",
            s.connections,
            s.bytes,
            iso(s.first_seen),
            iso(s.last_seen),
        ]
        for s in sorted(sources, key=lambda s: (s.remote_addr, s.port or -1))
    ]


SOURCE_HEADERS = ["source", "interface", "proto/port", "connections", "bytes", "first", "last"]


def _verdict(s: GroupSoak) -> str:
    if s.ready:
        return "READY to promote: every real connection since the stage is admitted by the rules that remain"
    return "NOT ready: " + "; ".join(s.reasons)


def soak_table(soaks: list[GroupSoak]) -> str:
    if not soaks:
        return "no staged group\n"
    out: list[str] = []
    for s in soaks:
        out.append(
            f"{s.group_id} ({_plain(s.group_name)}): staged {iso(s.started_at)}, "
            f"soaked {s.days_soaked:.1f} day(s) of {s.min_soak_days}"
        )
        out.append(
            f"  real connections admitted by the rules that remain: {s.covered_connections} "
            f"from {len(s.covered_sources)} source(s)"
        )
        if s.only_revoked:
            out.append("  REAL connections admitted ONLY by a rule to be revoked:")
            out.append(_indent(tabulate(_source_rows(s.only_revoked), headers=SOURCE_HEADERS)))
        else:
            out.append("  real connections admitted only by a rule to be revoked: none")
        out.append(f"  probes that will be shut out: {len(s.probes_shut_out)} source-port(s)")
        if s.daily:
            out.append(
                "  per day (covered / only by a revoked rule): "
                + ", ".join(f"{d} {n[0]}/{n[1]}" for d, n in sorted(s.daily.items()))
            )
        out.append(f"  {_verdict(s)}")
        out.append("")
    return "\n".join(out)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def soak_markdown(soaks: list[GroupSoak]) -> str:
    out = ["# Staged rollout: soak status", ""]
    for s in soaks:
        out.append(f"## `{s.group_id}` {_md(s.group_name)}")
        out.append("")
        out.append(
            f"- staged {iso(s.started_at)}; soaked {s.days_soaked:.1f} of {s.min_soak_days} day(s)"
        )
        out.append(
            f"- real connections admitted by the rules that remain: {s.covered_connections} "
            f"from {len(s.covered_sources)} source(s)"
        )
        out.append(f"- probes that will be shut out: {len(s.probes_shut_out)} source-port(s)")
        out.append(f"- **{_md(_verdict(s))}**")
        out.append("")
        if s.only_revoked:
            out.append("Real connections admitted **only** by a rule to be revoked:")
            out.append("")
            out.append(
                tabulate(_source_rows(s.only_revoked), headers=SOURCE_HEADERS, tablefmt="github")
            )
            out.append("")
        if s.daily:
            out.append("| day | covered by remaining rules | only by a rule to be revoked |")
            out.append("|---|---:|---:|")
            out.extend(f"| {d} | {n[0]} | {n[1]} |" for d, n in sorted(s.daily.items()))
            out.append("")
    return "\n".join(out) + "\n"
