"""One CLI: every command's --help ends with an example that uses only options the command has,
and `sgharden --help` lists the commands in pipeline order."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
from click.testing import CliRunner

from sgharden.cli import COMMANDS, main
from sgharden.commands.examples import EXAMPLES, PIPELINE_ORDER


def leaves() -> list[tuple[str, click.Command]]:
    ctx = click.Context(main)
    out = []
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        out.append((name, command))
        if isinstance(command, click.Group):
            out.extend((f"{name} {sub}", c) for sub, c in command.commands.items())
    return out


def test_every_help_ends_with_an_example_using_real_options() -> None:
    for name, command in leaves():
        result = CliRunner().invoke(main, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        last = result.output.rstrip().splitlines()
        assert last[-2].strip() == "Example:" and last[-1].strip() == EXAMPLES[name], name
        if isinstance(command, click.Group):
            continue
        known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        argv = shlex.split(EXAMPLES[name])
        assert argv[: 1 + len(name.split())] == ["sgharden", *name.split()], name
        for token in argv:
            if token.startswith("--"):
                assert token in known, f"{name}: example uses {token}, which it does not have"


def test_top_level_help_lists_commands_in_pipeline_order() -> None:
    text = CliRunner().invoke(main, ["--help"]).output
    listed = [line.split()[0] for line in text.split("Commands:", 1)[1].strip().splitlines()]
    assert listed == [c for c in PIPELINE_ORDER if c in COMMANDS]
    assert set(listed) == set(COMMANDS)


def _kind(param_type: click.ParamType) -> str:
    for base in (
        click.types.FloatParamType,
        click.types.IntParamType,
        click.types.BoolParamType,
        click.Choice,
        click.Path,
        click.types.StringParamType,
    ):
        if isinstance(param_type, base):
            return base.__name__
    return type(param_type).__name__


def test_an_option_has_the_same_type_in_every_command() -> None:
    """`--min-days` was a float in propose and an integer in flow-logs status."""
    kinds: dict[str, dict[str, list[str]]] = {}
    for name, command in leaves():
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    kinds.setdefault(opt, {}).setdefault(_kind(param.type), []).append(name)
    mixed = {opt: seen for opt, seen in kinds.items() if len(seen) > 1}
    assert mixed == {}


def test_plan_and_snapshot_are_declared_once() -> None:
    """PLAN.json and --snapshot come from commands/input_options.py in every command: the same
    name, type and help; a command that declares either itself fails here."""
    from sgharden.commands.input_options import (
        PLAN_HELP,
        PLAN_METAVAR,
        SNAPSHOT_HELP,
        PlanArgument,
        PlanOption,
        SnapshotOption,
        plan_type,
        snapshot_type,
    )

    def same_path(param: click.Parameter, shared: click.Path) -> bool:
        return isinstance(param.type, click.Path) and vars(param.type) == vars(shared)

    seen = {"--snapshot": 0, "PLAN.json": 0, "--plan": 0}
    wrong = []
    for name, command in leaves():
        for param in command.params:
            if "--snapshot" in param.opts:
                seen["--snapshot"] += 1
                assert isinstance(param, click.Option)
                if not (
                    isinstance(param, SnapshotOption)
                    and param.name == "snapshot_dir"
                    and same_path(param, snapshot_type())
                    and (param.help or "").startswith(SNAPSHOT_HELP)
                ):
                    wrong.append(f"{name} --snapshot")
            elif "--plan" in param.opts or (param.name or "").startswith("plan"):
                kind = "--plan" if isinstance(param, click.Option) else "PLAN.json"
                seen[kind] += 1
                shared_class = PlanOption if kind == "--plan" else PlanArgument
                if not (
                    isinstance(param, shared_class)
                    and param.name == "plan_path"
                    and param.metavar == PLAN_METAVAR
                    and same_path(param, plan_type())
                    and (kind == "PLAN.json" or (param.help or "").startswith(PLAN_HELP))
                ):
                    wrong.append(f"{name} {kind}")
    assert wrong == []
    # every command that reads them was walked (a rename cannot make this pass vacuously)
    assert seen["--snapshot"] >= 12 and seen["PLAN.json"] >= 7 and seen["--plan"] == 1


def test_a_missing_snapshot_is_an_input_error_in_every_command(tmp_path: Path) -> None:
    """Not a usage error (exit 2) in some and an input error (exit 3) in others: one line
    naming the folder, with what to give."""
    missing = str(tmp_path / "no-snapshot")
    plan = str(Path(__file__).parent / "fixtures" / "plan_small" / "plan.json")
    for argv in (
        ["propose", "--snapshot", missing],
        ["triage", "--snapshot", missing],
        ["recheck", plan, "--snapshot", missing],
        ["dry-run", plan, "--snapshot", missing],
    ):
        result = CliRunner().invoke(main, [*argv, "--workspace", str(tmp_path / "w.duckdb")])
        assert result.exit_code == 3, (argv, result.output)
        assert f"{missing}: not a directory" in result.stderr, argv
