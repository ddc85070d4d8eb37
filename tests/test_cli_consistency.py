"""One CLI: every command's --help ends with an example that uses only options the command has,
and `sgharden --help` lists the commands in pipeline order."""

from __future__ import annotations

import shlex

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
