"""The bundled sample: reproducible from its generator, and a valid snapshot.

The expected planner decisions on it are listed in the docstring of `samples/generate.py`; the
end-to-end test of `propose` asserts them. Here: the files are what the script writes, the snapshot
reader accepts them, and each flow-log object is in the format its flow log declares.
"""

from __future__ import annotations

import gzip
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from sgharden.findings import in_scope
from sgharden.snapshot import load_snapshot

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
SNAPSHOT = SAMPLES / "snapshot"
SET = SNAPSHOT / "111122223333" / "eu-west-1"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("samples_generate", SAMPLES / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_regenerating_reproduces_the_committed_sample_byte_for_byte(tmp_path: Path) -> None:
    _generator().generate(tmp_path / "snapshot")
    fresh = _files(tmp_path / "snapshot")
    committed = _files(SNAPSHOT)
    assert sorted(fresh) == sorted(committed), "file lists differ: rerun samples/generate.py"
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, (
        f"{len(changed)} files differ, e.g. {changed[:3]}: rerun samples/generate.py"
    )


def test_sample_stays_small() -> None:
    assert sum(len(b) for b in _files(SNAPSHOT).values()) < 4_000_000


def test_snapshot_reader_accepts_the_sample() -> None:
    snapshot = load_snapshot(SNAPSHOT)
    inventory = snapshot.inventory("111122223333", "eu-west-1")
    assert inventory is not None
    assert {g.group_name for g in inventory.security_groups.values()} == {
        "default",
        "web",
        "app",
        "db",
        "batch",
        "reporting",
        "app-canary",
        "jobs",
    }
    assert len(inventory.interfaces) == 9
    db_eni = inventory.interfaces["eni-0bb00000000000005"]
    assert db_eni.requester_managed and db_eni.group_ids == ("sg-0aa00000000000004",)
    assert inventory.db_instances["orders-db"].publicly_accessible
    logged = {fl.resource_id for fl in inventory.flow_logs}
    canary = inventory.interfaces["eni-0bb00000000000008"]
    assert canary.subnet_id not in logged  # the ENI without a flow log
    assert snapshot.flow_log_dirs == (SET / "flow-logs",)
    # rule ids from describe-security-group-rules are attached
    web = inventory.security_groups["sg-0aa00000000000002"]
    assert all(r.rule_id for r in web.rules)


def test_findings_cover_every_shape_and_collapse_duplicates() -> None:
    findings = load_snapshot(SNAPSHOT).findings
    kept = in_scope(findings)
    by_key = {(f.control, f.resource_id): f for f in kept}
    assert len(by_key) == len(kept)
    # the consolidated EC2.13 and the CIS 1.2.0 rule 4.1 finding are one, with both ids
    assert len(by_key[("EC2.13", "sg-0aa00000000000002")].all_ids) == 2
    assert len(by_key[("EC2.2", "sg-0aa00000000000001")].all_ids) == 2  # + PCI.EC2.2
    assert ("EC2.14", "sg-0aa00000000000006") in by_key  # legacy CIS 4.2 only
    assert ("RDS.2", "orders-db") in by_key  # legacy FSBP shape
    assert {r for c, r in by_key if c == "EC2.9"} == {
        f"i-0cc0000000000000{n}" for n in (1, 2, 5, 6)
    }
    # archived, passed and out-of-scope findings are present in the file but not kept
    ignored = {f.resource_id for f in findings} - {f.resource_id for f in kept}
    assert "sg-0aa00000000000008" in ignored and "sg-0aa00000000000005" in ignored
    assert not any(f.control == "EC2.8" for f in kept)


@pytest.mark.parametrize("flow_log_index", range(4))
def test_each_object_is_in_its_flow_logs_format(flow_log_index: int) -> None:
    inventory = load_snapshot(SNAPSHOT).inventory("111122223333", "eu-west-1")
    assert inventory is not None
    flow_log = sorted(inventory.flow_logs, key=lambda fl: fl.flow_log_id)[flow_log_index]
    fields = [f.strip("${}") for f in flow_log.log_format.split()]
    objects = sorted((SET / "flow-logs").rglob(f"*_{flow_log.flow_log_id}_*"))
    assert len(objects) == 21 * 24  # one object an hour
    sample = objects[100]
    if flow_log.file_format == "parquet":
        import pyarrow.parquet as pq

        assert sample.name.endswith(".log.parquet")
        assert "/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/" in sample.as_posix()
        assert "/hour=" in sample.as_posix()
        schema = pq.read_schema(sample)
        assert schema.names == [f.replace("-", "_") for f in fields]
        assert str(schema.field("packets").type) == "int64"
        assert str(schema.field("dstport").type) == "int32"
    else:
        assert sample.name.endswith(".log.gz")
        assert "/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/10/" in sample.as_posix()
        header = gzip.decompress(sample.read_bytes()).decode().splitlines()[0]
        assert header.split() == fields
