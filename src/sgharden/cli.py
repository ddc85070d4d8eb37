"""The `sgharden` command line: parses options, calls one library function, renders the result.

Each command lives in `sgharden.commands.<name>`; this module only assembles them and turns typed
errors into one-line messages with the exit codes documented in `errors.py` and the README.
"""

from __future__ import annotations

import gc
import importlib
import sys
import traceback
from typing import Any

import click
from botocore.exceptions import BotoCoreError

from sgharden import __version__
from sgharden.commands.examples import PIPELINE_ORDER, with_example
from sgharden.errors import EXIT_INPUT, EXIT_INTERNAL, SghardenError, environment_fault
from sgharden.render.escape import terminal_text

# command name -> module in sgharden.commands that defines `command` (a click.Command)
COMMANDS = {
    "ingest": "ingest",
    "demo": "demo",
    "collect": "collect",
    "flow-logs": "flow_logs",
    "propose": "propose",
    "ticket": "ticket",
    "dry-run": "dry_run",
    "apply": "apply",
    "rollback": "rollback",
    "verify": "verify",
    "stage": "stage",
    "promote": "promote",
    "triage": "triage",
    "suppress": "suppress",
    "recheck": "recheck",
}


class SghardenGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        ordered = [name for name in PIPELINE_ORDER if name in COMMANDS]
        return ordered + sorted(set(COMMANDS) - set(ordered))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"sgharden.commands.{module_name}")
        command: click.Command = module.command
        return with_example(command, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SghardenError as exc:
            click.echo(terminal_text(f"sgharden: error: {exc}"), err=True)
            sys.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except (OSError, BotoCoreError) as exc:
            fault = environment_fault(exc)
            if fault is None:
                raise
            click.echo(terminal_text(f"sgharden: error: {fault}"), err=True)
            sys.exit(EXIT_INPUT)
        except Exception as exc:
            fault = environment_fault(exc)  # DuckDB's memory limit reached, say
            if fault is not None:
                click.echo(terminal_text(f"sgharden: error: {fault}"), err=True)
                sys.exit(EXIT_INPUT)
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(
                terminal_text(f"sgharden: internal error: {type(exc).__name__}: {exc} ")
                + "(rerun with --debug for the traceback and report it)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)


@click.group(cls=SghardenGroup)
@click.version_option(__version__, prog_name="sgharden")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Harden AWS security groups from evidence: Security Hub findings + VPC Flow Logs."""
    # A snapshot becomes ~10^6 long-lived, acyclic objects; at the default gen-0 threshold (700)
    # the collector re-scans them thousands of times: 9.2 s of triage CPU at 35,000 findings was
    # 3.5 s of it (BENCHMARKS.md, triage). Rarer collections; cycles are still collected.
    gc.set_threshold(50_000, 20, 100)
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
