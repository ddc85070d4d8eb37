"""Every output format has a renderer, and each renders a real plan."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_planner import World, ingress, propose_in

from sgharden.render import OutputFormat, renderer


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_maps_to_a_renderer(fmt: OutputFormat) -> None:
    assert callable(renderer(fmt))
    assert renderer(fmt.value) is renderer(fmt)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError):
        renderer("html-but-not-yet")


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from sgharden.analysis.options import PlannerOptions
    from sgharden.analysis.planner import propose

    world = World(Path(tmp_path_factory.mktemp("render")))
    world.group("sg-00000022", "bastion", [ingress(22, "0.0.0.0/0"), ingress(9200, "0.0.0.0/0")])
    world.eni("eni-0000000b", "10.0.1.10", ["sg-00000022"])
    world.sg_finding("EC2.13", "sg-00000022")
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, conns=3)
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, day=8)  # admins come back
    world.probe("eni-0000000b", "10.0.1.10", "192.0.2.200", 9200)
    _, con, snapshot, window = propose_in(world)
    return propose(con, snapshot, window, PlannerOptions(), now=datetime(2026, 11, 1, tzinfo=UTC))


def test_json_is_the_plan_contract(plan) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(renderer(OutputFormat.JSON)(plan))
    assert doc == json.loads(json.dumps(plan.to_dict()))
    assert doc["schema"] == "sgharden.plan/v1"
    assert doc["generated_at"] == "2026-11-01T00:00:00Z"


def test_table_shows_current_and_proposed_rules_with_counts(plan) -> None:  # type: ignore[no-untyped-def]
    text = renderer(OutputFormat.TABLE)(plan)
    assert "sg-00000022 (bastion)" in text and "[ready]" in text
    lines = text.splitlines()
    revoke = next(line for line in lines if line.startswith("revoke") and "tcp 22 " in line)
    assert "0.0.0.0/0" in revoke and " 4 " in revoke
    assert any(line.startswith("authorize") and "198.51.100.10/32" in line for line in lines)


def test_markdown_summarises_for_a_reviewer(plan) -> None:  # type: ignore[no-untyped-def]
    text = renderer(OutputFormat.MARKDOWN)(plan)
    assert text.startswith("# sgharden plan")
    assert "1 group(s) ready: 2 rule(s) to revoke, 1 to authorize" in text
    assert "**authorize** `ingress tcp 22 from 198.51.100.10/32`" in text
    assert "1 probe source(s)" in text
