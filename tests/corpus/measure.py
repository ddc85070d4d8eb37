"""Run the product on the labelled corpus and score it: per behaviour, sources counted real or
probe, and probe sources a proposed rule still admits. Used by tests/test_corpus.py and by
tests/corpus/report.py (which writes docs/classification.md).
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from corpus.generate import PROBE_FAMILIES, REAL_FAMILIES, Corpus, build, write
from sgharden.analysis.connections import Connection, data_window, observed_connections
from sgharden.analysis.matching import rule_allows
from sgharden.analysis.planner import propose
from sgharden.flowlogs.ingest import IngestOptions, ingest
from sgharden.model import Rule
from sgharden.plan.read import parse_plan
from sgharden.snapshot import load_snapshot
from sgharden.workspace import open_workspace

FORMATS = ("v2", "v5", "parquet")
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class FamilyScore:
    family: str
    kind: str  # real | probe
    sources: int = 0  # labelled sources of the family
    seen: int = 0  # of them, accepted inbound somewhere (the classifier saw them)
    counted_real: int = 0
    counted_probe: int = 0
    admitted: int = 0  # probe families: sources a rule of the plan still lets in
    examples: list[str] = field(default_factory=list)  # a verdict or two, for the report


@dataclass
class Run:
    fmt: str
    plan: dict[str, Any]
    reference: dict[str, Any]
    connections: list[Connection]
    scores: dict[str, FamilyScore]


def run(fmt: str, corpus: Corpus | None = None, root: Path | None = None) -> Run:
    corpus = corpus or build()
    with tempfile.TemporaryDirectory() as tmp:
        snap_dir = write(root or Path(tmp), fmt, corpus)
        snapshot = load_snapshot(snap_dir)
        con = open_workspace(None)
        known = {e.interface_id: e.addresses for e in snapshot.all_interfaces()}
        report = ingest(
            con, [str(p) for p in snapshot.flow_log_dirs], IngestOptions(known_addresses=known)
        )
        assert report.rejected == 0, report.rejected_objects
        window = data_window(con, sorted(known))
        assert window is not None
        plan = json.loads(json.dumps(propose(con, snapshot, window, now=NOW).to_dict()))
        reference = json.loads(
            json.dumps(propose(con, snapshot, window, now=NOW, engine="python").to_dict())
        )
        conns = observed_connections(con, snapshot, window.start, window.end)
        scores = score(corpus, snapshot, plan, conns, snap_dir)
    return Run(fmt, plan, reference, conns, scores)


def score(
    corpus: Corpus, snapshot: Any, plan: dict[str, Any], conns: list[Connection], where: Path
) -> dict[str, FamilyScore]:
    scores = {f: FamilyScore(f, "real") for f in REAL_FAMILIES}
    scores.update({f: FamilyScore(f, "probe") for f in PROBE_FAMILIES})
    for family in corpus.labels.values():
        scores[family].sources += 1
    by_source: dict[str, list[Connection]] = defaultdict(list)
    for c in conns:
        by_source[c.remote_addr].append(c)
    (inventory,) = snapshot.inventories.values()
    final = final_rules(plan, where, inventory)
    for addr, cs in sorted(by_source.items()):
        family = corpus.labels.get(addr)
        if family is None:
            continue
        s = scores[family]
        s.seen += 1
        probe = all(c.is_probe for c in cs)
        if probe:
            s.counted_probe += 1
        else:
            s.counted_real += 1
        if len(s.examples) < 1:
            s.examples.append(cs[0].verdict)
        if s.kind == "probe" and any(
            any(
                rule_allows(r, c.protocol, c.service_port, c.remote_addr, inventory)
                for r in final.get(c.interface_id, [])
            )
            for c in cs
        ):
            s.admitted += 1
    return scores


def final_rules(plan: dict[str, Any], where: Path, inventory: Any) -> dict[str, list[Rule]]:
    """Per ENI, the ingress rules that would apply once every ready group of the plan is applied."""
    parsed = parse_plan(plan, where / "plan.json")
    groups: dict[str, list[Rule]] = {
        gid: list(g.ingress) for gid, g in inventory.security_groups.items()
    }
    for g in parsed.groups:
        if g.status == "ready":
            groups[g.group_id] = [r.rule for r in (*g.keep, *g.authorize) if not r.rule.is_egress]
    return {
        eni.interface_id: [r for gid in eni.group_ids for r in groups.get(gid, [])]
        for eni in inventory.interfaces.values()
    }


def ratio(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{part / whole:.3f}"
