"""docs/workflow.md's commands, run: every `sgharden ...` line of its ```sh blocks is parsed by the
real CLI (a renamed or removed option fails here), and those that can run on the moto server run
as written and exit as the doc says.

The world they run in (the test's own folder): `snap` and `snap-new` are a generated snapshot
(bench/triage_snapshot.py --flow-logs: one account, 111122223333 as the doc's S3 paths name, in
eu-west-1, four groups, 15 days of flow logs); its delivered flow-log objects are in the moto
bucket `my-flow-log-bucket` under `AWSLogs/...` as AWS writes them, and not in the snapshot; the
EventBridge bus `security` exists. `snap-new` stands for next week's collect: unchanged. (Not the
bundled sample: its 2,017 objects take propose over a minute to read from moto.)
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from pathlib import Path

import boto3
import click
import pytest
from click.testing import CliRunner

from sgharden.cli import main
from sgharden.errors import EXIT_ATTENTION

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from triage_snapshot import write_snapshot

DOC = Path(__file__).resolve().parents[1] / "docs" / "workflow.md"
BUCKET = "my-flow-log-bucket"

# Commands that are parsed but not run, and why. Anything else must run.
NOT_RUN = {
    ("collect",): "needs an organisation of member accounts with a SecurityAudit role and Security "
    "Hub findings in them; moto has no Security Hub findings to give (tests/test_collect.py runs "
    "collect on a seeded moto server)",
    ("flow-logs", "enable"): "creates flow logs on the snapshot's VPCs/ENIs, which exist nowhere "
    "(the sample's ids); tests/test_flow_logs_admin.py runs it on groups made in moto",
}


def doc_commands() -> list[list[str]]:
    """Each `sgharden` command line of the doc's ```sh blocks, continuations joined, as argv."""
    text = DOC.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            argv = shlex.split(line, comments=True)
            if argv and argv[0] == "sgharden":
                out.append(argv[1:])
    return out


def parse(argv: list[str]) -> None:
    """What click does before running a command: every option and argument must exist and parse."""
    ctx = main.make_context("sgharden", list(argv))
    command: click.Command = main
    with ctx:
        while isinstance(command, click.Group):
            rest = [*ctx._protected_args, *ctx.args]
            name, sub, args = command.resolve_command(ctx, rest)
            assert sub is not None and name is not None, argv
            ctx = sub.make_context(name, args, parent=ctx)
            command = sub


def not_run_reason(argv: list[str]) -> str | None:
    for prefix, reason in NOT_RUN.items():
        if tuple(argv[: len(prefix)]) == prefix:
            return reason
    return None


def expected_exit(argv: list[str]) -> int:
    """The exit code the doc implies: recheck after apply on a snapshot the change never reached
    reports the findings still ACTIVE (6); everything else here succeeds."""
    if argv[0] == "recheck" and "--applied" in argv:
        return EXIT_ATTENTION
    return 0


def test_the_doc_has_the_commands_this_test_knows() -> None:
    names = [" ".join(a[:2]) if a[0] == "flow-logs" else a[0] for a in doc_commands()]
    assert names == ["collect", "flow-logs enable", "propose", "triage", "triage", "collect",
                     "recheck", "recheck"], names  # fmt: skip


@pytest.mark.parametrize("argv", doc_commands(), ids=lambda a: " ".join(a[:3]))
def test_every_command_of_the_doc_parses(argv: list[str]) -> None:
    parse(argv)


def test_parse_refuses_an_option_that_does_not_exist() -> None:
    with pytest.raises(click.UsageError):
        parse(["propose", "--snapshot", "snap", "--flow-log", "s3://b"])


def test_the_workflow_runs_as_written(aws: str) -> None:
    write_snapshot(Path("snap"), accounts=1, regions=1, groups=4, flow_logs=True,
                   first_account=111122223333)  # fmt: skip
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    objects = sorted(p for p in Path("snap").rglob("flow-logs/AWSLogs/**/*") if p.is_file())
    assert objects and all("/111122223333/vpcflowlogs/eu-west-1/" in p.as_posix() for p in objects)
    for path in objects:
        key = path.as_posix().split("/flow-logs/", 1)[1]
        s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
        path.unlink()  # read from the bucket only, as the doc's --flow-logs says
    shutil.rmtree(Path("snap") / "111122223333" / "eu-west-1" / "flow-logs")
    shutil.copytree("snap", "snap-new")
    boto3.client("events", region_name="us-east-1").create_event_bus(Name="security")

    ran = []
    for argv in doc_commands():
        if not_run_reason(argv):
            continue
        result = CliRunner().invoke(main, argv)
        assert result.exit_code == expected_exit(argv), (argv, result.output)
        ran.append(argv[0])
    assert ran == ["propose", "triage", "triage", "recheck", "recheck"]
    plan = json.loads(Path("plan.json").read_text())
    # the flow logs were read from the bucket: the used rules are narrowed to their real sources
    assert any(g["status"] == "ready" and g["authorize"] for g in plan["groups"]), plan["groups"]
    assert Path("triage.html").is_file()
    assert Path("recheck-state.json").is_file()
