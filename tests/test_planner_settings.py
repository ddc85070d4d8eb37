"""Declared public ports from the settings file (sgharden.toml [planner] public_ports), as
--public-port declares them: read at the edge, merged with the option, bad values one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_planner import World, group_of, ingress

from sgharden.acceptance import load_acceptances
from sgharden.cli import main
from sgharden.errors import EXIT_INPUT


def _world(tmp_path: Path) -> Path:
    world = World(tmp_path / "world")
    world.group("sg-000000a1", "api", [ingress(8443, "0.0.0.0/0")])
    world.eni("eni-000000a1", "10.0.1.10", ["sg-000000a1"])
    world.sg_finding("EC2.18", "sg-000000a1")
    for i in range(3):  # real API clients on the internet, each back a week later
        for day in (1, 8):
            world.traffic("eni-000000a1", "10.0.1.10", f"198.18.{i}.7", 8443, conns=2, day=day)
    return world.write()


def _propose(tmp_path: Path, snap: Path, *extra: str) -> tuple[int, str, dict | None]:
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(snap), "--workspace", str(tmp_path / "ws.duckdb"),
         "--format", "json", "--output", str(out), "--quiet", *extra],
    )  # fmt: skip
    plan = json.loads(out.read_text()) if result.exit_code == 0 else None
    return result.exit_code, result.stderr, plan


@pytest.mark.parametrize("declared", [True, False])
def test_a_port_declared_public_in_the_settings_file_keeps_its_world_open_rule(
    tmp_path: Path, declared: bool
) -> None:
    snap = _world(tmp_path)
    settings = tmp_path / "sgharden.toml"
    ports = '["tcp/8443", 25]' if declared else "[25]"
    settings.write_text(f"[planner]\npublic_ports = {ports}\n")
    code, err, plan = _propose(tmp_path, snap, "--settings", str(settings))
    assert code == 0, err
    assert plan is not None
    g = group_of(plan, "sg-000000a1")
    kept = [r for r in g["keep"] if not r["IsEgress"]]
    assert bool(kept) == declared
    assert (plan["settings"]["public_tcp_ports"] == [25, 8443]) == declared
    if not declared:  # not public: narrowed to the three clients
        assert {r["CidrIpv4"] for r in g["authorize"]} == {f"198.18.{i}.7/32" for i in range(3)}


def test_the_option_and_the_file_are_merged(tmp_path: Path) -> None:
    snap = _world(tmp_path)
    settings = tmp_path / "s.toml"
    settings.write_text('[planner]\npublic_ports = ["udp/53"]\n')
    code, err, plan = _propose(tmp_path, snap, "--settings", str(settings), "--public-port", "8443")
    assert code == 0, err
    assert plan is not None
    assert plan["settings"]["public_tcp_ports"] == [8443]
    assert plan["settings"]["public_udp_ports"] == [53]


@pytest.mark.parametrize("burst_min_sessions", [None, 100])
def test_classifier_thresholds_come_from_the_settings_file(
    tmp_path: Path, burst_min_sessions: int | None
) -> None:
    """25 failed SSH logins within a minute: a burst by default; not with a higher bar."""
    world = World(tmp_path / "world")
    world.group("sg-00000cc1", "bastion", [ingress(22, "0.0.0.0/0")])
    world.eni("eni-0000000b", "10.0.1.10", ["sg-00000cc1"])
    world.sg_finding("EC2.13", "sg-00000cc1")
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, conns=3)
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, conns=3, day=8)
    world.traffic(
        "eni-0000000b", "10.0.1.10", "203.0.113.66", 22, conns=25, bytes_in=3000, packets_in=18
    )
    snap = world.write()
    settings = tmp_path / "sgharden.toml"
    body = f"burst_min_sessions = {burst_min_sessions}\n" if burst_min_sessions else ""
    settings.write_text(f"[planner]\n{body}")
    code, err, plan = _propose(tmp_path, snap, "--settings", str(settings))
    assert code == 0, err
    assert plan is not None
    assert plan["settings"]["burst_min_sessions"] == (burst_min_sessions or 3)
    allowed = {r["CidrIpv4"] for r in group_of(plan, "sg-00000cc1")["authorize"]}
    assert ("203.0.113.66/32" in allowed) == (burst_min_sessions == 100)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('[planner]\npublic_ports = ["tcp/99999"]\n', "planner.public_ports[0]"),
        ("[planner]\npublic_ports = [443, true]\n", "planner.public_ports[1]"),
        ('[planner]\npublic_ports = "443"\n', "planner.public_ports"),
        ("[planner]\npublic_port = [443]\n", "planner.public_port"),
        ('[planner]\nburst_min_sessions = "3"\n', "planner.burst_min_sessions"),
        ("[planner]\nprobe_no_response = 1\n", "planner.probe_no_response"),
        ("[planner]\nsweep_min_ports = -1\n", "planner.sweep_min_ports"),
        ("[planner\n", "not valid TOML"),
    ],
)
def test_a_bad_settings_file_is_one_line_naming_file_and_key(
    tmp_path: Path, body: str, where: str
) -> None:
    snap = _world(tmp_path)
    settings = tmp_path / "sgharden.toml"
    settings.write_text(body)
    code, err, _ = _propose(tmp_path, snap, "--settings", str(settings))
    assert code == EXIT_INPUT
    first = err.strip().splitlines()[0]
    assert str(settings) in first and where in first


def test_accepted_risks_and_planner_settings_share_the_file(tmp_path: Path) -> None:
    settings = tmp_path / "sgharden.toml"
    settings.write_text(
        '[planner]\npublic_ports = [8443]\n\n[[accepted]]\nid = "a"\nmatch = "group"\n'
        'group = "sg-0123456789abcdef0"\nreason = "r"\nowner = "o"\napprover = "p"\n'
        'ticket = "T-1"\nexpires = 2099-01-01\n'
    )
    (entry,) = load_acceptances(settings)
    assert entry.id == "a"
