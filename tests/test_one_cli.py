"""One CLI: the same options mean the same thing in every command (issue 11, "One CLI").

- `--profile`/`--region` reach every AWS and S3 call, S3 reads of ingest, propose and verify
  included (moto over HTTP; the signed requests are read back from botocore's `before-send`);
- `--format table|json|markdown` and `--output FILE` on every command with a result;
- `--quiet`/`--verbose` everywhere;
- one workspace default, ./sgharden.duckdb, for every command (each test runs in its own empty
  folder, see conftest.py).
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Any

import boto3
import click
import pytest
from change_world import World, build_world
from click.testing import CliRunner, Result
from test_cli_consistency import leaves

from sgharden.cli import main
from sgharden.errors import EXIT_INPUT

PLAN_SMALL = Path(__file__).parent / "fixtures" / "plan_small"
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
ACCOUNT, WEB_ENI = "123456789012", "eni-0a0000000000000a1"
# within plan_small's window (2026-11-02 .. 2026-11-15)
IN_WINDOW = 1793750000

RESULT_COMMANDS = (
    "ingest", "propose", "triage", "ticket", "dry-run", "verify", "flow-logs status",
    "stage status",
)  # fmt: skip
AWS_COMMANDS = (
    "collect", "flow-logs enable", "flow-logs status", "flow-logs disable", "ingest", "propose",
    "triage", "dry-run", "apply", "stage status", "promote", "verify", "rollback", "suppress",
    "recheck",
)  # fmt: skip


def run(args: list[str], hooks: list[Any] | None = None) -> Result:
    return CliRunner().invoke(main, args, obj={"aws_hooks": hooks or []})


def options_of(command: click.Command) -> dict[str, click.Option]:
    return {o: p for p in command.params if isinstance(p, click.Option) for o in p.opts}


def test_every_command_has_quiet_and_verbose() -> None:
    missing = [
        name
        for name, command in leaves()
        if not isinstance(command, click.Group)
        and not {"--quiet", "--verbose"} <= set(options_of(command))
    ]
    assert missing == []


def test_every_result_has_format_and_output() -> None:
    commands = dict(leaves())
    for name in RESULT_COMMANDS:
        opts = options_of(commands[name])
        assert "--output" in opts, name
        fmt = opts["--format"].type
        assert isinstance(fmt, click.Choice), name
        assert {"table", "json", "markdown"} <= set(fmt.choices), name


def test_every_aws_command_has_profile_and_region() -> None:
    commands = dict(leaves())
    for name in AWS_COMMANDS:
        assert {"--profile", "--region"} <= set(options_of(commands[name])), name


class Signatures:
    """The credential scope (access key, region, service) of every request botocore signs."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def hook(self) -> tuple[str, Any]:
        def handler(request: Any, **_: Any) -> None:
            auth = request.headers.get("Authorization", b"")
            auth = auth.decode() if isinstance(auth, bytes) else auth
            found = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/", auth)
            if found:
                self.seen.append((found[1], found[2], found[3]))

        return ("before-send", handler)


@pytest.fixture
def audit_profile(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Credentials only in profile `audit` (region eu-west-2): the default chain has none, so a
    command that ignores --profile cannot read the bucket at all."""
    creds = tmp_path / "credentials"
    creds.write_text("[audit]\naws_access_key_id = AKIAAUDIT\naws_secret_access_key = audit\n")
    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = eu-west-2\n")
    seeder = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="seed", aws_secret_access_key="seed"
    )
    seeder.create_bucket(Bucket="org-flow-logs")
    key = (
        f"AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/2026/11/12/"
        f"{ACCOUNT}_vpcflowlogs_us-east-1_fl-0f00000000000000f_20261112T0000Z_77.log.gz"
    )
    record = f"2 {ACCOUNT} {WEB_ENI} 198.51.100.77 10.0.1.10 50777 443 6 9 900 {IN_WINDOW} {IN_WINDOW + 30} ACCEPT OK"
    seeder.put_object(
        Bucket="org-flow-logs", Key=key, Body=gzip.compress(f"{HEADER}\n{record}\n".encode())
    )
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return "s3://org-flow-logs/AWSLogs/"


def test_ingest_reads_s3_with_the_profile_and_region(audit_profile: str, tmp_path: Path) -> None:
    ws = str(tmp_path / "ws.duckdb")
    without = run(["ingest", audit_profile, "--workspace", ws])
    assert without.exit_code == EXIT_INPUT, without.output  # no credentials in the default chain
    signed = Signatures()
    result = run(
        ["ingest", audit_profile, "--workspace", ws, "--profile", "audit", "--format", "json"],
        [signed.hook()],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["report"]["records"] == 1  # DuckDB read it with audit's keys
    assert signed.seen and set(signed.seen) == {("AKIAAUDIT", "eu-west-2", "s3")}
    signed.seen.clear()
    again = run(
        ["ingest", audit_profile, "--workspace", ws, "--profile", "audit", "--region", "eu-west-3"],
        [signed.hook()],
    )
    assert again.exit_code == 0, again.output
    assert signed.seen and {region for _, region, _ in signed.seen} == {"eu-west-3"}


def _plan_small(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(PLAN_SMALL, tmp_path / "plan_small")
    return tmp_path / "plan_small" / "snapshot", tmp_path / "plan_small" / "plan.json"


def test_propose_reads_its_s3_flow_logs_with_the_profile(
    audit_profile: str, tmp_path: Path
) -> None:
    snap, _ = _plan_small(tmp_path)
    signed = Signatures()
    args = ["propose", "--snapshot", str(snap), "--workspace", str(tmp_path / "p.duckdb")]
    result = run(
        [*args, "--flow-logs", "s3://org-flow-logs", "--profile", "audit", "--format", "json"],
        [signed.hook()],
    )
    assert result.exit_code == 0, result.output
    assert signed.seen and {key for key, _, _ in signed.seen} == {"AKIAAUDIT"}
    plan = json.loads(result.stdout)
    sources = {
        s["address"]
        for g in plan["groups"]
        for change in ("revoke", "authorize", "keep")
        for rule in g[change]
        for s in [*rule["evidence"]["sources"], *rule["evidence"]["probes"]["sources"]]
    }
    assert "198.51.100.77" in sources  # the bucket's record is in the evidence


def test_verify_reads_its_s3_sources_with_the_profile(audit_profile: str, tmp_path: Path) -> None:
    snap, plan = _plan_small(tmp_path)
    signed = Signatures()
    result = run(
        ["verify", str(plan), audit_profile, "--since", "2026-11-01T00:00:00Z", "--snapshot",
         str(snap), "--profile", "audit", "--region", "eu-north-1", "--format", "json"],
        [signed.hook()],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert signed.seen and set(signed.seen) == {("AKIAAUDIT", "eu-north-1", "s3")}
    assert "ingested 1 records" in result.stderr


@pytest.fixture
def world(aws: str, tmp_path: Path) -> World:
    return build_world(tmp_path)


def _sts_regions(signed: Signatures) -> set[str]:
    return {region for _, region, service in signed.seen if service == "sts"}


def test_region_reaches_the_sts_calls_of_dry_run_apply_and_rollback(
    world: World, tmp_path: Path
) -> None:
    """Groups carry their own region; --region is where STS is asked (with --role-name)."""
    common = ["--role-name", "Audit", "--region", "eu-central-1"]
    signed = Signatures()
    dry = run(
        ["dry-run", str(world.plan), "--snapshot", str(world.snapshot), "--check-aws",
         "--out", str(tmp_path / "dry"), *common],
        [signed.hook()],
    )  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert _sts_regions(signed) == {"eu-central-1"}
    signed.seen.clear()
    backups = tmp_path / "backups"
    applied = run(
        ["apply", str(world.plan), "--yes", "--backup-dir", str(backups), *common],
        [signed.hook()],
    )
    assert applied.exit_code == 0, applied.output
    assert _sts_regions(signed) == {"eu-central-1"}
    signed.seen.clear()
    (backup,) = backups.glob("*.json")
    undone = run(["rollback", str(backup), *common], [signed.hook()])
    assert undone.exit_code == 0, undone.output
    assert _sts_regions(signed) == {"eu-central-1"}


def test_flow_logs_status_formats(aws: str, vectors: Path, tmp_path: Path) -> None:
    from aws_seed import ROLE, seed

    from sgharden.aws.clients import AwsContext
    from sgharden.aws.collect import collect

    world = seed(vectors)
    snap = tmp_path / "snap"
    assert not collect(AwsContext(role_name=ROLE), snap).failures
    args = ["flow-logs", "status", "--snapshot", str(snap), "--role-name", ROLE]
    as_json = run([*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    assert world.db_eni in {r["eni"] for r in rows}
    assert all(r["ingested"] == "none" for r in rows)  # no ./sgharden.duckdb in this folder
    as_md = run([*args, "--format", "markdown", "--output", "status.md"])
    assert as_md.exit_code == 0 and as_md.stdout == "", as_md.output
    lines = (Path("status.md")).read_text().splitlines()
    assert lines[0].startswith("| account") and set(lines[1]) <= set("|-: ")
    assert len(lines) == 2 + len(rows)
