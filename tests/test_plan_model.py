"""One plan model (plan/model.py): what the writer serialises is what the reader builds back, type
for type, so a plan's coverage, gaps and evidence are declared once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import get_type_hints

from test_planner import World, group_of, ingress, propose_in

from sgharden.analysis.evidence import EvidenceSpec
from sgharden.plan import model, read, write
from sgharden.plan.read import parse_plan


def test_the_reader_rebuilds_exactly_what_the_writer_wrote(tmp_path: Path) -> None:
    world = World(tmp_path / "world")
    world.group("sg-00000cc1", "bastion", [ingress(22, "0.0.0.0/0"), ingress(5432, "0.0.0.0/0")])
    world.eni("eni-0000000b", "10.0.1.10", ["sg-00000cc1"])
    world.sg_finding("EC2.13", "sg-00000cc1")
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, conns=3)
    world.traffic("eni-0000000b", "10.0.1.10", "198.51.100.10", 22, day=8)
    world.probe("eni-0000000b", "10.0.1.10", "192.0.2.200", 22)
    world.subnet_log = True  # a subnet log that delivered nothing for some hours: gaps
    world.missing_hours["eni-0000000b"] = {30, 31, 32}
    plan, *_ = propose_in(world)
    written = group_of(plan, "sg-00000cc1")
    assert written["coverage"]["gaps"], "the world must have a gap for this test to say anything"
    rules = [r for key in ("revoke", "authorize", "keep") for r in written[key]]
    assert any(r["evidence"]["sources"] for r in rules) and any(
        r["evidence"]["probes"]["sources"] for r in rules
    ), "real sources and probes, or the evidence check below says nothing"

    back = parse_plan(json.loads(json.dumps(plan)), tmp_path / "plan.json").group("sg-00000cc1")
    assert isinstance(back.coverage, model.Coverage)
    assert back.coverage.to_dict() == written["coverage"]
    for key in ("revoke", "authorize", "keep"):
        for got, rule in zip(getattr(back, key), written[key], strict=True):
            assert isinstance(got.evidence, model.Evidence)
            assert got.evidence.to_dict() == rule["evidence"]


def test_writer_and_reader_declare_no_coverage_gap_or_evidence_of_their_own() -> None:
    for module in (read, write):
        for name in ("Coverage", "Gap", "Evidence", "Source"):
            declared = getattr(module, name, None)
            if isinstance(declared, type) and declared.__module__ == module.__name__:
                raise AssertionError(f"{module.__name__}.{name} is a second declaration")
    assert get_type_hints(write.GroupPlan)["coverage"] is model.Coverage
    assert get_type_hints(read.PlanGroup)["coverage"] is model.Coverage
    assert get_type_hints(read.PlanRule)["evidence"] is model.Evidence
    assert (
        get_type_hints(write.EvidenceContext)["evidence"] == Mapping[EvidenceSpec, model.Evidence]
    )
