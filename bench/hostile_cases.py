"""Re-run every concrete case of issue 10 (hostile and broken input) against the installed CLI.

Each case builds its input in a temp folder of its own (from tests/fixtures/plan_small), runs
`sgharden` as a subprocess (the console script beside this Python) and judges the result:

- `clean exit 3`: exit 3, stderr's first line is `sgharden: error: ...` naming what the case
  expects (the file, the JSON path, the token, what changed), no traceback, no "internal error";
- `correct result`: the case's own check passed (ingest keeps the good records and exits 4 with
  the object named; an injected GroupName lands in no generated file as code; ...);
- `FAIL`: anything else, with why.

Environment faults are real ones: a full disk is a 8 KiB tmpfs and a read-only --out a tmpfs
mounted read-only when run as root (else /dev/full, and a folder without write permission);
permission denied is a root-owned folder written by `nobody` (setpriv) when run as root.
The collect case starts a moto server in this process, as tests/conftest.py does.

    .venv/bin/python bench/hostile_cases.py            # the table (Markdown) on stdout
    .venv/bin/python bench/hostile_cases.py --only ingest   # cases whose name holds a word
Exit 1 when any case FAILs.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "plan_small" / "snapshot"
CLI = str(Path(sys.executable).with_name("sgharden"))
WEB = "sg-0a0000000000000aa"
ENI = "eni-0a0000000000000a1"
HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)
# an inbound HTTPS connection to the web server inside the fixture's window (2026-11-14)
GOOD = (
    f"2 123456789012 {ENI} 198.51.100.7 10.0.1.10 40001 443 6 3 180 1794614820 1794614850 ACCEPT OK"
)
HCL_PAYLOAD = 'resource "aws_security_group_rule" "evil" {'
SHELL_PAYLOAD = "touch /tmp/sgharden-pwned"


@dataclass
class Step:
    args: list[str]
    env: dict[str, str | None] = field(default_factory=dict)
    as_nobody: bool = False
    ok: tuple[int, ...] = (0,)  # exit codes that let the next step run


@dataclass
class Done:
    command: str
    code: int
    stdout: str
    stderr: str


@dataclass
class Case:
    name: str
    build: Callable[[Path], list[Step]]  # the steps; every one but the last must exit 0
    expect: tuple[str, ...] = ()  # clean exit 3 whose stderr holds these
    check: Callable[[Path, list[Done]], str | None] | None = None  # correct result: None


# ---------------------------------------------------------------- inputs


def snapshot(tmp: Path) -> Path:
    snap = tmp / "snap"
    if not snap.exists():
        shutil.copytree(FIXTURE, snap)
    return snap


def edit_groups(tmp: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    snap = snapshot(tmp)
    path = snap / "security-groups.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=1))
    return snap


def web(document: dict[str, Any]) -> dict[str, Any]:
    return next(g for g in document["SecurityGroups"] if g["GroupId"] == WEB)


def first_range_permission(document: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in web(document)["IpPermissions"] if p.get("IpRanges"))


def add_permission(**peer: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        web(document)["IpPermissions"].append(
            {"IpProtocol": "tcp", "FromPort": 25, "ToPort": 25, **peer}
        )

    return change


def groups_text(tmp: Path, change: Callable[[str], str]) -> Path:
    snap = snapshot(tmp)
    path = snap / "security-groups.json"
    path.write_text(change(path.read_text()))
    return snap


def propose(snap: Path, tmp: Path, output: str | None = None, **env: str | None) -> Step:
    out = output or str(tmp / "plan.json")
    return Step(
        ["propose", "--snapshot", str(snap), "--workspace", ":memory:", "--format", "json",
         "--output", out, "--quiet"],
        dict(env),
    )  # fmt: skip


def malformed(change: Callable[[Path], Path], *expect: str) -> Case:
    """A malformed snapshot: propose must refuse it naming the file."""
    return Case("", lambda tmp: [propose(change(tmp), tmp)], ("security-groups.json", *expect))


def flow_file(tmp: Path, *lines: str, name: str = "flow.log") -> Path:
    path = tmp / name
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    return path


def ingest(path: Path, tmp: Path, *extra: str) -> Step:
    return Step(
        ["ingest", str(path), "--workspace", str(tmp / "ws.duckdb"), "--format", "json", *extra]
    )


def bad_line(field_at: int, value: str) -> str:
    fields = GOOD.split(" ")
    fields[field_at] = value
    return " ".join(fields)


def report_of(done: Done) -> dict[str, Any]:
    return dict(json.loads(done.stdout)["report"])


def kept_and_named(reason: str) -> Callable[[Path, list[Done]], str | None]:
    """Exit 4, the good record kept, the bad line rejected and its object named with `reason`."""

    def check(tmp: Path, done: list[Done]) -> str | None:
        last = done[-1]
        if last.code != 4:
            return f"exit {last.code}, not 4"
        report = report_of(last)
        named = report.get("objects_with_rejects") or []
        if report.get("records") != 1 or report.get("rejected") != 1:
            return (
                f"records {report.get('records')}, rejected {report.get('rejected')}: not 1 and 1"
            )
        if not any(reason in str(entry) for entry in named):
            return f"no object named with {reason!r} in {named}"
        return None

    return check


# ---------------------------------------------------------------- cases: injection, paths


def injected_group_name(tmp: Path) -> list[Step]:
    name = f'web\n{HCL_PAYLOAD}\n  cidr_blocks = ["0.0.0.0/0"]\n}}\n{SHELL_PAYLOAD}\n'
    snap = edit_groups(tmp, lambda d: web(d).update(GroupName=name))
    return [
        propose(snap, tmp),
        Step(["ticket", str(tmp / "plan.json"), "--snapshot", str(snap), "--out", str(tmp / "t")]),
    ]


def no_injected_line(tmp: Path, done: list[Done]) -> str | None:
    if done[-1].code != 0:
        return f"ticket exit {done[-1].code}"
    # the code a reviewer runs; Markdown and HTML hold the name as escaped text (test_injection.py)
    scripts = [p for p in (tmp / "t").rglob("*") if p.is_file() and p.suffix in (".sh", ".tf")]
    if not scripts:
        return "no apply.sh/rollback.sh/change.tf written"
    for path in scripts:
        for line in path.read_text(errors="replace").splitlines():
            if line.strip() in (HCL_PAYLOAD, SHELL_PAYLOAD):
                return f"{path.name}: the payload is a line of its own"
    return None


# ---------------------------------------------------------------- cases: flow logs


def parsers_agree(tmp: Path) -> list[Step]:
    lower = GOOD.replace(" ACCEPT ", " accept ")
    return [
        Step(["ingest", str(flow_file(tmp, GOOD, lower, name="clean.log")), "--workspace",
              str(tmp / "a.duckdb"), "--format", "json"], ok=(0, 4)),
        Step(["ingest", str(flow_file(tmp, GOOD, lower, "garbage", name="mixed.log")),
              "--workspace", str(tmp / "b.duckdb"), "--format", "json"]),
    ]  # fmt: skip


def same_judgement(tmp: Path, done: list[Done]) -> str | None:
    clean, mixed = (report_of(d) for d in done)
    if (clean["records"], clean["rejected"] + 1) != (mixed["records"], mixed["rejected"]):
        return f"clean file {clean['records']}/{clean['rejected']}, mixed {mixed['records']}/{mixed['rejected']}"
    return None


def truncated_gzip(tmp: Path) -> list[Step]:
    body = gzip.compress((HEADER + "\n" + (GOOD + "\n") * 2000).encode())
    path = tmp / "cut.log.gz"
    path.write_bytes(body[: len(body) // 2])
    return [ingest(path, tmp)]


def gzip_named(tmp: Path, done: list[Done]) -> str | None:
    last = done[-1]
    if last.code != 4:
        return f"exit {last.code}, not 4"
    report = report_of(last)
    listed = json.dumps([report.get("rejected_objects"), report.get("objects_with_rejects")])
    return None if "cut.log.gz" in listed else f"cut.log.gz not named in the report: {listed}"


def log_format(fmt: str) -> Callable[[Path], list[Step]]:
    def build(tmp: Path) -> list[Step]:
        path = tmp / "bare.log"
        path.write_text(GOOD + "\n")
        return [ingest(path, tmp, "--log-format", fmt)]

    return build


# ---------------------------------------------------------------- cases: environment


NO_CREDENTIALS: dict[str, str | None] = {
    "AWS_ACCESS_KEY_ID": None,
    "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_DEFAULT_PROFILE": None,
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ENDPOINT_URL": None,
    "AWS_DEFAULT_REGION": "us-east-1",
}


def not_retry_later(tmp: Path, done: list[Done]) -> str | None:
    last = done[-1]
    if last.code != 3 or "retry later" in last.stderr.lower():
        return f"exit {last.code}: {first_line(last.stderr)}"
    if "credentials" not in last.stderr.lower():
        return "does not say credentials"
    return None


IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
MOUNTED: list[Path] = []


def tmpfs(at: Path, options: str) -> bool:
    at.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(at)], capture_output=True
    )
    if made.returncode == 0:
        MOUNTED.append(at)
    return made.returncode == 0


def disk_full(tmp: Path) -> list[Step]:
    snap = snapshot(tmp)
    if IS_ROOT and tmpfs(tmp / "full", "size=8k"):
        return [propose(snap, tmp, str(tmp / "full" / "plan.json"))]
    return [propose(snap, tmp, "/dev/full")]


def read_only_out(tmp: Path) -> list[Step]:
    snap = snapshot(tmp)
    steps = [propose(snap, tmp)]
    if IS_ROOT and tmpfs(tmp / "ro", "size=64k,ro"):
        out = tmp / "ro" / "tickets"
    else:
        (tmp / "ro").mkdir()
        (tmp / "ro").chmod(0o555)
        out = tmp / "ro" / "tickets"
    steps.append(
        Step(["ticket", str(tmp / "plan.json"), "--snapshot", str(snap), "--out", str(out)])
    )
    return steps


def name_too_long(tmp: Path) -> list[Step]:
    return [propose(snapshot(tmp), tmp, str(tmp / ("p" * 300 + ".json")))]


def permission_denied(tmp: Path) -> list[Step]:
    snap = snapshot(tmp)
    locked = tmp / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if IS_ROOT:  # root writes anywhere: write as nobody, who may read the rest
        tmp.chmod(0o755)
        for path in snap.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        snap.chmod(0o755)
    step = propose(snap, tmp, str(locked / "plan.json"))
    step.as_nobody = IS_ROOT
    return [step]


# ---------------------------------------------------------------- cases: plans


def made_plan(tmp: Path) -> tuple[Path, Step]:
    return snapshot(tmp), propose(snapshot(tmp), tmp)


def rule_added(snap: Path) -> None:
    path = snap / "security-groups.json"
    document = json.loads(path.read_text())
    add_permission(IpRanges=[{"CidrIp": "0.0.0.0/0"}])(document)
    path.write_text(json.dumps(document, indent=1))


def port_changed(snap: Path) -> None:
    day = sorted((snap / "flow-logs").rglob("*.log.gz"))[-1]
    lines = gzip.decompress(day.read_bytes()).decode().splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(" ACCEPT OK"))
    fields = lines[at].split(" ")
    fields[5] = "61999"
    lines[at] = " ".join(fields)
    day.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def other_snapshot(snap: Path) -> None:
    path = snap / "network-interfaces.json"
    document = json.loads(path.read_text())
    document["NetworkInterfaces"][0]["PrivateIpAddress"] = "10.0.1.99"
    for address in document["NetworkInterfaces"][0].get("PrivateIpAddresses", []):
        address["PrivateIpAddress"] = "10.0.1.99"
    path.write_text(json.dumps(document, indent=1))


def inputs_removed(snap: Path) -> None:
    plan = snap.parent / "plan.json"
    document = json.loads(plan.read_text())
    document.pop("inputs")
    plan.write_text(json.dumps(document))


CHANGES: dict[str, Callable[[Path], None]] = {}


def plan_case(
    name: str, change: Callable[[Path], None], command: str, expect: tuple[str, ...]
) -> Case:
    CHANGES[name] = change

    def build(tmp: Path) -> list[Step]:
        snap, first = made_plan(tmp)
        plan = str(tmp / "plan.json")
        args = {
            "ticket": ["ticket", plan, "--snapshot", str(snap), "--out", str(tmp / "t")],
            "dry-run": ["dry-run", plan, "--snapshot", str(snap), "--out", str(tmp / "d")],
        }[command]
        return [first, Step(["__change__", name]), Step(args)]

    return Case(name, build, expect)


def workspace_changed(tmp: Path) -> list[Step]:
    snap = snapshot(tmp)
    ws = str(tmp / "ws.duckdb")
    return [
        Step(["propose", "--snapshot", str(snap), "--workspace", ws, "--format", "json",
              "--output", str(tmp / "plan.json")]),
        Step(["ingest", str(flow_file(tmp, GOOD)), "--snapshot", str(snap), "--workspace", ws]),
        Step(["apply", str(tmp / "plan.json"), "--workspace", ws, "--yes", "--backup-dir",
              str(tmp / "b")], dict(NO_CREDENTIALS)),
    ]  # fmt: skip


def missing_file(name: str) -> Callable[[Path], list[Step]]:
    def build(tmp: Path) -> list[Step]:
        snap = snapshot(tmp)
        (snap / name).unlink()
        return [propose(snap, tmp)]

    return build


# ---------------------------------------------------------------- cases: collect (moto)


@contextlib.contextmanager
def moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


MOTO: dict[str, str] = {}


def moto_env() -> dict[str, str | None]:
    return {
        **NO_CREDENTIALS,
        "AWS_ENDPOINT_URL": MOTO["url"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
    }


def hostile_account(tmp: Path) -> list[Step]:
    import boto3

    env = {k: v for k, v in moto_env().items() if v is not None}
    session = boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    hub = session.client("securityhub", endpoint_url=MOTO["url"])
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": "hostile-account-finding",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "GeneratorId": "security-control/EC2.19",
        "AwsAccountId": "../../../escaped",
        "Region": "us-east-1",
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": "2026-11-01T00:00:00.000Z",
        "UpdatedAt": "2026-11-20T00:00:00.000Z",
        "Severity": {"Label": "HIGH"},
        "Title": "EC2.19 finding",
        "Description": "EC2.19 failed",
        "Resources": [
            {"Type": "AwsEc2SecurityGroup", "Id": "arn:aws:ec2:us-east-1:x:security-group/sg-0a0000000000000aa",
             "Region": "us-east-1", "Details": {"AwsEc2SecurityGroup": {"GroupId": WEB}}}
        ],
        "Compliance": {"Status": "FAILED", "SecurityControlId": "EC2.19"},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    }  # fmt: skip
    hub.batch_import_findings(Findings=[finding])
    return [
        Step(
            ["collect", "--out", str(tmp / "a" / "b" / "c" / "out"), "--region", "us-east-1"],
            moto_env(),
        )
    ]


def stayed_inside(tmp: Path, done: list[Done]) -> str | None:
    last = done[-1]
    escaped = [p for p in tmp.rglob("*escaped*")]
    if escaped:
        return f"written outside --out: {escaped[0]}"
    if last.code == 1 or "internal error" in last.stderr:
        return f"exit {last.code}: {first_line(last.stderr)}"
    if "escaped" not in last.stderr:
        return f"exit {last.code} without naming the bad account id"
    return None


# ---------------------------------------------------------------- the list


def named(name: str, case: Case) -> Case:
    case.name = name
    return case


CASES: list[Case] = [
    # injection
    named("inject: newline in PrefixListId", malformed(
        lambda t: edit_groups(t, add_permission(PrefixListIds=[{"PrefixListId": f"pl-12345678\n{SHELL_PAYLOAD}"}])),
        "PrefixListId")),
    named("inject: newline in referenced GroupId", malformed(
        lambda t: edit_groups(t, add_permission(UserIdGroupPairs=[{"GroupId": f"{WEB}\n{SHELL_PAYLOAD}"}])),
        "GroupId")),
    Case("inject: newline + resource block in GroupName", injected_group_name, check=no_injected_line),
    # outside the snapshot
    named("path: PrefixListId ../../x", malformed(
        lambda t: edit_groups(t, add_permission(PrefixListIds=[{"PrefixListId": "../../x"}])), "PrefixListId")),
    Case("path: collect, AwsAccountId ../../../escaped", hostile_account, check=stayed_inside),
    # malformed snapshots
    named("snapshot: CidrIp missing", malformed(
        lambda t: edit_groups(t, lambda d: first_range_permission(d)["IpRanges"][0].pop("CidrIp")), "CidrIp")),
    named("snapshot: IpPermissions null", malformed(
        lambda t: edit_groups(t, lambda d: web(d).update(IpPermissions=None)), "IpPermissions")),
    named('snapshot: FromPort "22"', malformed(
        lambda t: edit_groups(t, lambda d: first_range_permission(d).update(FromPort="22")), "FromPort")),
    named("snapshot: deep nesting", malformed(
        lambda t: groups_text(t, lambda s: s.replace('"web-admin"', "[" * 50000 + "]" * 50000, 1)))),
    named("snapshot: a directory in place of the file", malformed(
        lambda t: (lambda s: ((s / "security-groups.json").unlink(), (s / "security-groups.json").mkdir(), s)[2])(snapshot(t)))),
    named("snapshot: truncated file", malformed(lambda t: groups_text(t, lambda s: s[: len(s) // 2]))),
    named("snapshot: GroupId null", malformed(
        lambda t: edit_groups(t, lambda d: web(d).update(GroupId=None)), "GroupId")),
    named("snapshot: IpProtocol missing", malformed(
        lambda t: edit_groups(t, lambda d: first_range_permission(d).pop("IpProtocol")), "IpProtocol")),
    named("snapshot: FromPort NaN", malformed(
        lambda t: groups_text(t, lambda s: s.replace('"FromPort": 22', '"FromPort": NaN', 1)), "NaN is not a JSON number")),
    named("snapshot: FromPort 1e400", malformed(
        lambda t: groups_text(t, lambda s: s.replace('"FromPort": 22', '"FromPort": 1e400', 1)), "1e400")),
    named("snapshot: duplicate keys", malformed(
        lambda t: groups_text(t, lambda s: s.replace(f'"GroupId": "{WEB}"', f'"GroupId": "sg-0000000000000dead", "GroupId": "{WEB}"', 1)),
        "duplicate")),
    # flow logs
    *(Case(f"flow log: address {value}", lambda t, v=value: [ingest(flow_file(t, GOOD, bad_line(3, v)), t)],
           check=kept_and_named("srcaddr"))
      for value in ("not-an-ip", "1.2.3", "10.0.0.1/24", "999.1.1.1", "fe80::1%eth0")),
    Case("flow log: bytes beyond BIGINT", lambda t: [ingest(flow_file(t, GOOD, bad_line(9, str(2**63))), t)],
         check=kept_and_named("bytes")),
    *(Case(f"flow log: port {value}", lambda t, v=value: [ingest(flow_file(t, GOOD, bad_line(5, v)), t)],
           check=kept_and_named("srcport"))
      for value in ("4_0000", "+40001", "٤٠٠٠١")),
    Case("flow log: lowercase accept, fast path = line parser", parsers_agree, check=same_judgement),
    Case("flow log: truncated gzip named in the report", truncated_gzip, check=gzip_named),
    Case("--log-format: ${interface_id} (underscore)",
         log_format("${version} ${account_id} ${interface_id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
                    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"),
         ("${account_id}", "did you mean ${account-id}")),
    Case("--log-format: without ${}",
         log_format("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
                    "bytes start end action log-status"), ("version",)),
    Case("--log-format: misspelled field",
         log_format("${version} ${account-id} ${interfase-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
                    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"),
         ("interfase-id",)),
    # environment
    Case("env: missing credentials", lambda t: [Step(["collect", "--out", str(t / "o"), "--region", "us-east-1"],
                                                     dict(NO_CREDENTIALS))], check=not_retry_later),
    Case("env: unknown --profile", lambda t: [Step(["collect", "--profile", "no-such-profile", "--out",
                                                    str(t / "o"), "--region", "us-east-1"], dict(NO_CREDENTIALS))],
         ("no-such-profile",)),
    Case("env: disk full", disk_full, ("plan.json" if IS_ROOT else "/dev/full",)),
    Case("env: read-only --out", read_only_out, ("tickets",)),
    Case("env: file name too long", name_too_long, ("ppp",)),
    Case("env: permission denied", permission_denied, ("locked",)),
    # plans
    plan_case("plan: rule added since the plan (ticket)", rule_added, "ticket", ("its rules changed",)),
    plan_case("plan: rule added since the plan (dry-run)", rule_added, "dry-run", ("its rules changed",)),
    plan_case("plan: another snapshot (ENI address)", other_snapshot, "ticket", ("its enis changed",)),
    plan_case("plan: a flow record's port changed (dry-run)", port_changed, "dry-run",
              ("window's flow records differ",)),
    plan_case("plan: no inputs (ticket)", inputs_removed, "ticket", ("records no inputs",)),
    Case("plan: workspace data changed (apply --workspace)", workspace_changed, ("1 more",)),
    Case("files: findings.json missing", missing_file("findings.json"), ("findings.json",)),
    Case("files: instances.json missing", missing_file("instances.json"), ("instances.json",)),
    Case("files: db-instances.json missing", missing_file("db-instances.json"), ("db-instances.json",)),
]  # fmt: skip


# ---------------------------------------------------------------- running


def first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""


def run_step(step: Step, tmp: Path) -> Done:
    env = dict(os.environ)
    for key, value in step.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["HOME"] = str(tmp)
    prefix = (
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if step.as_nobody else []
    )
    argv = [*prefix, CLI, *step.args]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=tmp, env=env, timeout=300)
    shown = "sgharden " + " ".join(a.replace(str(tmp), "$T") for a in step.args)
    # the temp folder as $T in what is shown (the table stays the same from run to run)
    return Done(shown, done.returncode, done.stdout, done.stderr.replace(str(tmp), "$T"))


def judge(case: Case, tmp: Path, done: list[Done]) -> str:
    last = done[-1]
    if "Traceback" in last.stderr or "internal error" in last.stderr:
        return "FAIL: internal error"
    if case.check is not None:
        why = case.check(tmp, done)
        return "correct result" if why is None else f"FAIL: {why}"
    lines = [
        line for line in last.stderr.strip().splitlines() if line.startswith("sgharden: error:")
    ]
    if last.code != 3:
        return f"FAIL: exit {last.code}, not 3"
    if not lines or not first_line(last.stderr).startswith("sgharden: error:"):
        return "FAIL: exit 3 without one error line"
    missing = [part for part in case.expect if part not in lines[0]]
    return f"FAIL: the error does not name {missing}" if missing else "clean exit 3"


def run_case(case: Case) -> tuple[str, str, int, str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="sgharden-hostile-"))
    try:
        done: list[Done] = []
        steps = case.build(tmp)
        for i, step in enumerate(steps):
            if step.args[0] == "__change__":
                CHANGES[step.args[1]](tmp / "snap")
                continue
            result = run_step(step, tmp)
            done.append(result)
            if i < len(steps) - 1 and result.code not in step.ok:
                return (
                    case.name,
                    result.command,
                    result.code,
                    first_line(result.stderr),
                    ("FAIL: a setup step failed"),
                )
        last = done[-1]
        return case.name, last.command, last.code, first_line(last.stderr), judge(case, tmp, done)
    except Exception as exc:  # the script's own fault, reported as the case's
        return case.name, "", -1, f"{type(exc).__name__}: {exc}", "FAIL: the case could not run"
    finally:
        for at in [m for m in MOUNTED if str(m).startswith(str(tmp))]:
            subprocess.run(["umount", str(at)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def cell(text: object, width: int = 0) -> str:
    shown = str(text).replace("|", "\\|").replace("\n", " ")
    return shown if not width or len(shown) <= width else shown[: width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="run only cases whose name holds this text")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.only or args.only in c.name]
    needs_moto = any(c.build is hostile_account for c in cases)
    with moto() if needs_moto else contextlib.nullcontext("") as url:
        MOTO["url"] = url
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            rows = list(pool.map(run_case, cases))
    print("| case | command | exit | first line of stderr | outcome |")
    print("|---|---|---|---|---|")
    for name, command, code, err, outcome in rows:
        print(
            f"| {cell(name)} | `{cell(command, 90)}` | {code} | {cell(err, 140)} | {cell(outcome)} |"
        )
    failed = [r for r in rows if r[4].startswith("FAIL")]
    print(f"\n{len(rows)} cases, {len(failed)} FAIL", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
