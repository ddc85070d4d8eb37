"""Defect 7: an ENI without flow logs is not "unused": what its logged peers in the VPC opened to
it is in their logs, and the needs-more-data line says so (as a lower bound), while the group
stays needs-more-data (the internet's use of it is still unseen)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from sgharden.cli import main

PLAN_SMALL = Path(__file__).parent / "fixtures" / "plan_small" / "snapshot"
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
LEGACY, LEGACY_ENI, WORKER_ENI = (
    "sg-0c0000000000000cc",
    "eni-0c0000000000000c1",
    "eni-0d0000000000000d1",
)
IN_WINDOW = 1793750000


def test_peers_logs_show_the_uncovered_enis_use(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(PLAN_SMALL, snap)
    _check_seen(tmp_path, snap, seen=True)


def test_a_logged_eni_of_another_vpc_is_not_a_peer(tmp_path: Path) -> None:
    """VPCs reuse private ranges: 10.0.1.30 in another VPC is another host, not the legacy ENI."""
    snap = tmp_path / "snap"
    shutil.copytree(PLAN_SMALL, snap)
    enis = json.loads((snap / "network-interfaces.json").read_text())
    for eni in enis["NetworkInterfaces"]:
        if eni["NetworkInterfaceId"] == WORKER_ENI:
            eni["VpcId"] = "vpc-0e00000000000000e"
    (snap / "network-interfaces.json").write_text(json.dumps(enis))
    _check_seen(tmp_path, snap, seen=False)


def _check_seen(tmp_path: Path, snap: Path, *, seen: bool) -> None:
    # the worker (logged) opens RDP sessions to the legacy host (no flow log): 3 one hour,
    # 2 the next; and one to an address outside the VPC's ENIs, which says nothing of legacy
    lines = (
        [
            f"2 123456789012 {WORKER_ENI} 10.0.1.40 10.0.1.30 {50100 + i} 3389 6 40 9000 "
            f"{IN_WINDOW + i * 60} {IN_WINDOW + i * 60 + 50} ACCEPT OK"
            for i in range(3)
        ]
        + [
            f"2 123456789012 {WORKER_ENI} 10.0.1.40 10.0.1.30 {50200 + i} 3389 6 40 9000 "
            f"{IN_WINDOW + 3600 + i * 60} {IN_WINDOW + 3600 + i * 60 + 50} ACCEPT OK"
            for i in range(2)
        ]
        + [
            f"2 123456789012 {WORKER_ENI} 10.0.1.40 10.0.9.99 50300 3389 6 40 9000 "
            f"{IN_WINDOW} {IN_WINDOW + 50} ACCEPT OK"
        ]
    )
    extra = tmp_path / "extra.log"
    extra.write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    result = CliRunner().invoke(
        main,
        ["propose", "--snapshot", str(snap), "--workspace", ":memory:", "--flow-logs",
         str(extra), "--format", "json", "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    group = next(g for g in json.loads(result.stdout)["groups"] if g["group_id"] == LEGACY)
    assert group["status"] == "needs-more-data"
    (line,) = [w for w in group["warnings"] if w.startswith("not ready: ")]
    assert "use is unknown (not zero)" in line
    if not seen:
        assert "seen from the other side" not in line, line
        assert not any("seen from the other side" in r["reason"] for r in group["keep"])
        return
    assert (
        f"seen from the other side (flow logs of peer ENIs in the VPC, a lower bound: the "
        f"internet and unlogged peers are not seen): {LEGACY_ENI} tcp/3389: 5 connection(s) "
        f"from 1 peer ENI(s)" in line
    ), line
    # the plan's evidence of the held RDP rule says it too; a rule of another port does not
    held = [r for r in group["keep"] if "needs more data before revoking" in r["reason"]]
    rdp = [r for r in held if r["FromPort"] is not None and r["FromPort"] <= 3389 <= r["ToPort"]]
    assert rdp, group["keep"]
    for rule in held:
        said = f"seen from the other side (peer ENIs' flow logs, a lower bound): {LEGACY_ENI} tcp/3389: 5 connection(s) from 1 peer ENI(s)"
        assert (said in rule["reason"]) == (rule in rdp), rule
    others = [g for g in json.loads(result.stdout)["groups"] if g["group_id"] != LEGACY]
    assert not any("seen from the other side" in w for g in others for w in g["warnings"])
