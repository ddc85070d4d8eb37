"""Malformed and hostile snapshot files: each is refused with one line naming the file (and, for
security-groups.json, the JSON path), never a KeyError, a RecursionError or a silent guess."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sgharden.awsids import path_under
from sgharden.errors import InputError, SnapshotError
from sgharden.schema.strict_json import parse_json_strict
from sgharden.snapshot import load_snapshot

SAMPLE = Path(__file__).parent.parent / "samples" / "snapshot"
SET = Path("111122223333") / "eu-west-1"

Doc = dict[str, Any]


def _perm(doc: Doc) -> Doc:
    group = next(g for g in doc["SecurityGroups"] if g.get("IpPermissions"))
    return group["IpPermissions"][0]  # type: ignore[no-any-return]


def _ranged(doc: Doc) -> Doc:
    for group in doc["SecurityGroups"]:
        for perm in group.get("IpPermissions", []):
            if perm.get("IpRanges") and "FromPort" in perm:
                return perm  # type: ignore[no-any-return]
    raise AssertionError("sample has no IPv4 rule with ports")


def _set(key: str, value: Any) -> Callable[[Doc], None]:
    return lambda doc: _ranged(doc).__setitem__(key, value)


JSON_MUTATIONS: dict[str, tuple[Callable[[Doc], None], str]] = {
    "newline in a peer group id": (
        lambda d: _perm(d).__setitem__(
            "UserIdGroupPairs", [{"GroupId": "sg-1\nrm -rf /", "UserId": "111122223333"}]
        ),
        "UserIdGroupPairs[0].GroupId: expected a security group id",
    ),
    "path in a prefix list id": (
        lambda d: _perm(d).__setitem__("PrefixListIds", [{"PrefixListId": "../../x"}]),
        "PrefixListIds[0].PrefixListId: expected a prefix list id",
    ),
    "GroupId null": (
        lambda d: d["SecurityGroups"][0].__setitem__("GroupId", None),
        "SecurityGroups[0].GroupId: expected a security group id",
    ),
    "GroupId missing": (
        lambda d: d["SecurityGroups"][0].pop("GroupId"),
        "SecurityGroups[0].GroupId: missing",
    ),
    "IpProtocol missing": (lambda d: _ranged(d).pop("IpProtocol"), ".IpProtocol: missing"),
    "IpPermissions null": (
        lambda d: d["SecurityGroups"][0].__setitem__("IpPermissions", None),
        "SecurityGroups[0].IpPermissions: expected a list",
    ),
    "FromPort as text": (_set("FromPort", "22"), ".FromPort: expected an integer"),
    "FromPort out of range": (_set("FromPort", 70000), ".FromPort: expected an integer"),
    "FromPort float": (_set("FromPort", 22.5), ".FromPort: expected an integer"),
    "CidrIp missing": (
        lambda d: _ranged(d)["IpRanges"][0].pop("CidrIp"),
        ".IpRanges[0].CidrIp: missing",
    ),
    "CidrIp not an address": (
        lambda d: _ranged(d)["IpRanges"][0].__setitem__("CidrIp", "999.1.1.1/32"),
        ".IpRanges[0].CidrIp: expected a CIDR block",
    ),
    "a group that is not an object": (
        lambda d: d["SecurityGroups"].append("sg-1"),
        "SecurityGroups[",
    ),
}


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    root = tmp_path / "snap"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("flow-logs"))
    return root


@pytest.mark.parametrize("case", sorted(JSON_MUTATIONS))
def test_security_group_faults_name_the_json_path(snapshot: Path, case: str) -> None:
    path = snapshot / SET / "security-groups.json"
    doc = json.loads(path.read_text())
    mutate, expected = JSON_MUTATIONS[case]
    mutate(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(snapshot)
    message = str(caught.value)
    # the file with its <account>/<region>/ folder: in a multi-account snapshot it says which set
    assert message.startswith(f"{path}: SecurityGroups["), message
    assert expected in message
    assert "\n" not in message


TEXT_MUTATIONS = {
    "NaN": ('"FromPort": 22', '"FromPort": NaN'),
    "1e400": ('"FromPort": 22', '"FromPort": 1e400'),
    "duplicate key": ('"FromPort": 22', '"FromPort": 22, "FromPort": 23'),
    "lone surrogate": ('"IpProtocol": "tcp"', '"IpProtocol": "tcp\\ud800"'),
}


@pytest.mark.parametrize("case", sorted(TEXT_MUTATIONS))
def test_json_beyond_rfc_8259_is_refused(snapshot: Path, case: str) -> None:
    path = snapshot / SET / "security-groups.json"
    text = path.read_text()
    old, new = TEXT_MUTATIONS[case]
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(SnapshotError, match=r"security-groups\.json: not valid JSON"):
        load_snapshot(snapshot)


@pytest.mark.parametrize(
    "name", ["security-groups.json", "network-interfaces.json", "flow-logs.json", "findings.json"]
)
def test_deep_nesting_truncation_and_directories_name_the_file(snapshot: Path, name: str) -> None:
    path = snapshot / SET / name
    original = path.read_text()
    for broken in ("[" * 100_000, original[: len(original) // 2]):
        path.write_text(broken)
        with pytest.raises(SnapshotError, match=name.replace(".", r"\.")):
            load_snapshot(snapshot)
    path.unlink()
    path.mkdir()
    with pytest.raises(SnapshotError, match=name.replace(".", r"\.") + ": a directory"):
        load_snapshot(snapshot)


@pytest.mark.parametrize("name", ["network-interfaces.json", "instances.json", "flow-logs.json"])
def test_other_files_with_a_missing_field_name_the_file(snapshot: Path, name: str) -> None:
    path = snapshot / SET / name
    doc = json.loads(path.read_text())
    key = next(iter(doc))
    doc[key] = [{"Instances": [{"Nothing": 1}]} if key == "Reservations" else {"Nothing": 1}]
    path.write_text(json.dumps(doc))
    with pytest.raises(SnapshotError, match=name.replace(".", r"\.")):
        load_snapshot(snapshot)


def test_paths_from_ids_stay_under_their_root(tmp_path: Path) -> None:
    assert (
        path_under(tmp_path, "111122223333", "eu-west-1") == tmp_path / "111122223333" / "eu-west-1"
    )
    for parts in (("..", "x"), ("/etc",), ("a", "../../b")):
        with pytest.raises(InputError, match="leaves"):
            path_under(tmp_path, *parts)


def test_a_missing_findings_file_is_an_error_not_an_empty_plan(snapshot: Path) -> None:
    (snapshot / SET / "findings.json").unlink()
    with pytest.raises(SnapshotError, match=r"findings\.json: missing"):
        load_snapshot(snapshot)


# file -> (mutation, the JSON path and what the message must say)
OTHER_FILES: dict[str, tuple[str, Callable[[Doc], None], str]] = {
    "eni id with a path": (
        "network-interfaces.json",
        lambda d: d["NetworkInterfaces"][1].__setitem__("NetworkInterfaceId", "eni-../../x"),
        "NetworkInterfaces[1].NetworkInterfaceId: expected a network interface id",
    ),
    "private address not an address": (
        "network-interfaces.json",
        lambda d: d["NetworkInterfaces"][0]["PrivateIpAddresses"][0].__setitem__(
            "PrivateIpAddress", "999.1.1.1"
        ),
        "NetworkInterfaces[0].PrivateIpAddresses[0].PrivateIpAddress: expected an IP address",
    ),
    "ipv6 with a zone index": (
        "network-interfaces.json",
        lambda d: d["NetworkInterfaces"][0]["Ipv6Addresses"][0].__setitem__(
            "Ipv6Address", "fe80::1%eth0"
        ),
        "NetworkInterfaces[0].Ipv6Addresses[0].Ipv6Address: expected an IP address",
    ),
    "eni group id null": (
        "network-interfaces.json",
        lambda d: d["NetworkInterfaces"][0]["Groups"][0].__setitem__("GroupId", None),
        "NetworkInterfaces[0].Groups[0].GroupId: expected a security group id",
    ),
    "flow log id missing": (
        "flow-logs.json",
        lambda d: d["FlowLogs"][1].pop("FlowLogId"),
        "FlowLogs[1].FlowLogId: missing",
    ),
    "flow log traffic type": (
        "flow-logs.json",
        lambda d: d["FlowLogs"][0].__setitem__("TrafficType", "all"),
        "FlowLogs[0].TrafficType: expected 'ALL', 'ACCEPT' or 'REJECT', found 'all'",
    ),
    "aggregation interval as text": (
        "flow-logs.json",
        lambda d: d["FlowLogs"][0].__setitem__("MaxAggregationInterval", "600"),
        "FlowLogs[0].MaxAggregationInterval: expected 60 or 600",
    ),
    "instance id": (
        "instances.json",
        lambda d: d["Reservations"][0]["Instances"][0].__setitem__("InstanceId", "i-1;reboot"),
        "Reservations[0].Instances[0].InstanceId: expected a instance id",
    ),
    "public access as text": (
        "db-instances.json",
        lambda d: d["DBInstances"][0].__setitem__("PubliclyAccessible", "false"),
        "DBInstances[0].PubliclyAccessible: expected true or false, found 'false'",
    ),
    "rule id": (
        "security-group-rules.json",
        lambda d: d["SecurityGroupRules"][0].__setitem__("SecurityGroupRuleId", "sgr-$(id)"),
        "SecurityGroupRules[0].SecurityGroupRuleId: expected a security group rule id",
    ),
    "finding account": (
        "findings.json",
        lambda d: d["Findings"][2].__setitem__("AwsAccountId", "../../etc"),
        "Findings[2].AwsAccountId: expected a account id",
    ),
    "finding resources null": (
        "findings.json",
        lambda d: d["Findings"][0].__setitem__("Resources", None),
        "Findings[0].Resources: expected a list, found None",
    ),
    "a finding that is not an object": (
        "findings.json",
        lambda d: d["Findings"].append("EC2.19"),
        "expected an object, found 'EC2.19'",
    ),
}


@pytest.mark.parametrize("case", sorted(OTHER_FILES))
def test_every_snapshot_file_names_its_json_path(snapshot: Path, case: str) -> None:
    name, mutate, expected = OTHER_FILES[case]
    path = snapshot / SET / name
    doc = json.loads(path.read_text())
    mutate(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(snapshot)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message and "\n" not in message
    assert " — fix the file, or write it again with `aws " in message  # what to do


def test_tcp_ports_reversed_or_missing_are_refused(snapshot: Path) -> None:
    path = snapshot / SET / "security-groups.json"
    original = path.read_text()
    for change, expected in (
        ({"FromPort": 443, "ToPort": 80}, ".FromPort: 443 is not within 0..ToPort 80"),
        ({"ToPort": None}, ".ToPort: missing"),
    ):
        doc = json.loads(original)
        perm = _ranged(doc)
        perm.update(change)
        if perm["ToPort"] is None:
            del perm["ToPort"]
        path.write_text(json.dumps(doc))
        with pytest.raises(SnapshotError, match=re.escape(expected)):
            load_snapshot(snapshot)


@pytest.mark.parametrize(("name", "control"), [("instances.json", "EC2.9"), ("db-instances.json", "RDS.2")])  # fmt: skip
def test_an_optional_file_the_findings_need_is_not_dropped_silently(
    snapshot: Path, name: str, control: str
) -> None:
    (snapshot / SET / name).unlink()
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(snapshot)
    message = str(caught.value)
    assert message.startswith(f"{snapshot / SET / name}: missing, and "), message
    assert f"{control} finding(s) need it" in message and "--output json > " in message


def test_an_optional_file_no_finding_needs_may_be_left_out(snapshot: Path) -> None:
    findings = snapshot / SET / "findings.json"
    doc = json.loads(findings.read_text())
    doc["Findings"] = [f for f in doc["Findings"] if "RDS.2" not in json.dumps(f)]
    findings.write_text(json.dumps(doc))
    (snapshot / SET / "db-instances.json").unlink()
    assert load_snapshot(snapshot).inventories


def test_a_plan_beyond_rfc_8259_is_refused(tmp_path: Path) -> None:
    from sgharden.plan.read import load_plan

    plan = tmp_path / "plan.json"
    plan.write_text('{"schema": "sgharden.plan/v1", "generated_at": NaN}')
    with pytest.raises(
        InputError, match=r"plan\.json: not valid JSON \(NaN is not a JSON number\)"
    ):
        load_plan(plan)


def test_a_lone_surrogate_is_named_by_its_json_path_and_a_pair_is_text(snapshot: Path) -> None:
    path = snapshot / SET / "security-groups.json"
    text = path.read_text()
    path.write_text(text.replace('"IpProtocol": "tcp"', '"IpProtocol": "tcp\\udc00"', 1))
    with pytest.raises(
        SnapshotError, match=r"surrogate escape in the string at \$\.SecurityGroups\[\d+\]"
    ):
        load_snapshot(snapshot)
    # a proper pair (an emoji, as a group description may hold) is one character, not a fault
    assert parse_json_strict('{"d": "web \\ud83d\\ude00"}') == {"d": "web \U0001f600"}
