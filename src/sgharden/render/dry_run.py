"""`dry-run.md`: the dry-run report (change/dry_run_report.py) for people. Pure."""

from __future__ import annotations

from sgharden.change.dry_run_report import DryRunReport
from sgharden.change.replay import group_ports
from sgharden.render.ticket import environment

PROTOCOLS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", -1: "all"}


def render_markdown(report: DryRunReport) -> str:
    env = environment(markdown=True)
    env.filters["proto"] = lambda n: PROTOCOLS.get(n, str(n))
    return env.get_template("dry_run.md.j2").render(
        report=report,
        plan=report.plan,
        replay=report.replay,
        ports=group_ports(report.replay),
        checks=report.checks,
    )
