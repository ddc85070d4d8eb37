"""A plan is bound to what it was made from: ticket, dry-run and apply refuse (exit 3, one line)
a plan met with another snapshot, other flow-log data, or keep/revoke lists edited after propose."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sgharden.cli import main
from sgharden.plan.fingerprint import plan_fingerprint

FIXTURE = Path(__file__).parent / "fixtures" / "plan_small" / "snapshot"
WEB = "sg-0a0000000000000aa"
DB = "sg-0b0000000000000bb"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(snapshot, plan) as propose writes them; the tests copy, never edit, these."""
    root = tmp_path_factory.mktemp("made")
    snap = root / "snap"
    shutil.copytree(FIXTURE, snap)
    plan = root / "plan.json"
    code, err = run(
        "propose", "--snapshot", str(snap), "--workspace", ":memory:", "--format", "json",
        "--output", str(plan),
    )  # fmt: skip
    assert code == 0, err
    return snap, plan


@pytest.fixture
def copy(made: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    snap = tmp_path / "snap"
    shutil.copytree(made[0], snap)
    plan = tmp_path / "plan.json"
    shutil.copy(made[1], plan)
    return snap, plan


def edit(path: Path, change: Callable[[Any], None]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=1))


def one_refusal(err: str, *parts: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sgharden: error: "), err
    for part in parts:
        assert part in lines[0], lines[0]


def group(document: Any, gid: str) -> Any:
    return next(g for g in document["SecurityGroups"] if g["GroupId"] == gid)


def test_the_same_snapshot_passes_without_a_word(copy: tuple[Path, Path], tmp_path: Path) -> None:
    snap, plan = copy
    code, err = run("ticket", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "t"))
    assert code == 0 and "sgharden: warning" not in err and "error" not in err, err


def test_a_rule_added_since_the_plan_is_refused_by_ticket_and_dry_run(
    copy: tuple[Path, Path], tmp_path: Path
) -> None:
    snap, plan = copy
    extra = {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}  # fmt: skip
    edit(snap / "security-groups.json", lambda d: group(d, DB)["IpPermissions"].append(extra))
    code, err = run("ticket", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "t"))
    assert code == 3
    one_refusal(err, str(plan), f"{DB}: its rules changed", "sgharden propose")
    assert not (tmp_path / "t").exists()
    code, err = run("dry-run", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "d"))
    assert code == 3
    one_refusal(err, f"{DB}: its rules changed")


def test_other_enis_or_flow_logs_are_refused(copy: tuple[Path, Path], tmp_path: Path) -> None:
    snap, plan = copy
    edit(
        snap / "network-interfaces.json",
        lambda d: d["NetworkInterfaces"][0]["PrivateIpAddresses"][0].update(
            PrivateIpAddress="10.0.9.9"
        ),
    )
    edit(snap / "flow-logs.json", lambda d: d["FlowLogs"][0].update(TrafficType="REJECT"))
    code, err = run("ticket", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "t"))
    assert code == 3
    one_refusal(err, "its enis changed", "123456789012/us-east-1: its flow logs changed")


def test_a_replay_over_other_flow_log_data_is_refused(
    copy: tuple[Path, Path], tmp_path: Path
) -> None:
    snap, plan = copy
    days = sorted((snap / "flow-logs").rglob("*.log.gz"))
    days[-1].unlink()  # the last day of the window is gone from the snapshot's flow logs
    code, err = run("dry-run", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "d"))
    assert code == 3
    one_refusal(err, "the flow-log data in the window spans", "the flow logs in")


def test_apply_refuses_keep_and_revoke_lists_edited_after_propose(copy: tuple[Path, Path]) -> None:
    _, plan = copy
    # a revoked rule dropped from the plan: the live drift check alone would read it as
    # "a rule not in the plan" only once AWS is asked; the plan itself already says it is short
    edit(plan, lambda p: next(g for g in p["groups"] if g["group_id"] == WEB)["revoke"].pop())
    code, err = run("apply", str(plan), "--yes")
    assert code == 3
    one_refusal(err, f"{WEB}: its rules changed", "its own keep and revoke lists")


@pytest.mark.parametrize(
    "strip",
    [lambda p: p.pop("inputs"), lambda p: p["inputs"].update(version=1)],
    ids=["none", "v1"],
)
def test_a_plan_without_inputs_is_refused_by_ticket_dry_run_and_apply(
    copy: tuple[Path, Path], tmp_path: Path, strip: Callable[[Any], None]
) -> None:
    snap, plan = copy
    edit(plan, strip)
    for args in (
        ("ticket", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "t")),
        ("ticket", str(plan), "--out", str(tmp_path / "t")),
        ("dry-run", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "d")),
        ("apply", str(plan), "--yes"),
    ):
        code, err = run(*args)
        assert code == 3, (args, err)
        one_refusal(err, str(plan), "the plan records", "sgharden propose --format json")
    assert not (tmp_path / "t").exists() and not (tmp_path / "d").exists()


def one_more_record(snap: Path, line: str) -> None:
    """A new flow-log object beside the others, holding one record (`line`) in the window."""
    day = sorted((snap / "flow-logs").rglob("*.log.gz"))[-1]
    header = gzip.decompress(day.read_bytes()).decode().splitlines()[0]
    extra = day.with_name(day.name.replace("5a1b2c3d", "0e0e0e0e"))
    extra.write_bytes(gzip.compress(f"{header}\n{line}\n".encode()))


# an inbound HTTPS connection to the web server on the window's last day (2026-11-14)
EXTRA = "2 123456789012 eni-0a0000000000000a1 198.51.100.77 10.0.1.10 40001 443 6 3 180 1794614820 1794614850 ACCEPT OK"


@pytest.fixture
def with_workspace(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(snapshot, plan, workspace file) as `propose --workspace` leaves them."""
    snap, ws, plan = tmp_path / "snap", tmp_path / "ws.duckdb", tmp_path / "plan.json"
    shutil.copytree(FIXTURE, snap)
    code, err = run(
        "propose", "--snapshot", str(snap), "--workspace", str(ws), "--format", "json",
        "--output", str(plan),
    )  # fmt: skip
    assert code == 0, err
    return snap, plan, ws


def test_one_more_flow_record_in_the_workspace_is_refused(
    with_workspace: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    snap, plan, ws = with_workspace
    ticket = ("ticket", str(plan), "--snapshot", str(snap), "--workspace", str(ws))
    code, err = run(*ticket, "--out", str(tmp_path / "t0"))
    assert code == 0 and "error" not in err, err  # the workspace the plan was made from
    one_more_record(snap, EXTRA)
    code, err = run(
        "ingest", str(snap / "flow-logs"), "--snapshot", str(snap), "--workspace", str(ws)
    )
    assert code == 0, err
    code, err = run(*ticket, "--out", str(tmp_path / "t"))
    assert code == 3
    one_refusal(err, f"the workspace {ws}", "1 more", "sgharden propose")
    assert not (tmp_path / "t").exists()
    dry = ("dry-run", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "d"))
    for args in ((*dry, "--workspace", str(ws)), (*dry, "--workspace", ":memory:")):
        code, err = run(*args)
        assert code == 3, err
        one_refusal(err, "holds", "1 more", "same span")


def test_a_changed_flow_record_with_the_same_count_is_refused(
    copy: tuple[Path, Path], tmp_path: Path
) -> None:
    snap, plan = copy
    day = sorted((snap / "flow-logs").rglob("*.log.gz"))[-1]
    lines = gzip.decompress(day.read_bytes()).decode().splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(" ACCEPT OK"))
    fields = lines[at].split(" ")
    fields[3] = "203.0.113.250" if fields[3] != "203.0.113.250" else "203.0.113.251"
    lines[at] = " ".join(fields)
    day.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    code, err = run("dry-run", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "d"))
    assert code == 3
    one_refusal(err, "the window's flow records differ from the plan's (same count")


@pytest.mark.parametrize("field", [5, 6], ids=["srcport", "dstport"])
def test_a_flow_record_whose_only_change_is_a_port_is_refused(
    copy: tuple[Path, Path], tmp_path: Path, field: int
) -> None:
    """Same addresses, hour, protocol, packets and bytes: only one port differs."""
    snap, plan = copy
    day = sorted((snap / "flow-logs").rglob("*.log.gz"))[-1]
    lines = gzip.decompress(day.read_bytes()).decode().splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(" ACCEPT OK"))
    fields = lines[at].split(" ")
    used = {int(f.split(" ")[i]) for f in lines[1:] for i in (5, 6) if f.split(" ")[i].isdigit()}
    fields[field] = str(next(p for p in range(61001, 65535) if p not in used))
    lines[at] = " ".join(fields)
    day.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    code, err = run("dry-run", str(plan), "--snapshot", str(snap), "--out", str(tmp_path / "d"))
    assert code == 3, err
    one_refusal(err, "the window's flow records differ from the plan's (same count")


def test_a_workspace_ingested_one_object_at_a_time_meets_the_plan(
    copy: tuple[Path, Path], tmp_path: Path
) -> None:
    """The digest (its port sets too) does not depend on how ingest batched the objects: listeners
    learned late may decide direction and service port otherwise, never the ports carried."""
    snap, plan = copy
    ws = tmp_path / "ws.duckdb"
    objects = sorted((snap / "flow-logs").rglob("*.log.gz"), reverse=True)
    assert len(objects) > 1
    for obj in objects:
        code, err = run("ingest", str(obj), "--snapshot", str(snap), "--workspace", str(ws))
        assert code in (0, 4), err
    code, err = run(
        "ticket", str(plan), "--snapshot", str(snap), "--workspace", str(ws),
        "--out", str(tmp_path / "t"),
    )  # fmt: skip
    assert code == 0, err


def test_the_plan_fingerprint_names_the_plan_not_its_layout(copy: tuple[Path, Path]) -> None:
    _, plan = copy
    before = plan_fingerprint(plan)
    edit(plan, lambda p: None)  # rewritten with another indentation
    assert plan_fingerprint(plan) == before
    edit(plan, lambda p: p["inputs"]["groups"][WEB].update(rules="sha256:0"))
    assert plan_fingerprint(plan) != before


def test_other_interfaces_read_are_named_before_the_counts() -> None:
    from sgharden.plan.fingerprint import plan_fingerprint_mismatches

    was = {"interfaces": ["eni-1", "eni-2"], "data": None, "records": 0, "digest": None}
    now = {**was, "interfaces": ["eni-1", "eni-3", "eni-4"]}
    assert plan_fingerprint_mismatches({"workspace": was}, {"workspace": now}) == [
        "the interfaces whose flow logs are read differ from the plan's (2 new, 1 gone)"
    ]
    assert plan_fingerprint_mismatches({"workspace": was}, {"workspace": dict(was)}) == []
