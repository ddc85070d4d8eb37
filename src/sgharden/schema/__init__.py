"""The one validation layer at the edge: every snapshot file and every plan file is checked here
(pydantic v2 models in `snapshot_files`, `findings_file`, `plan_file`) before any reader indexes it.

A fault is one line: the file (with its `<account>/<region>/` folder), the JSON path, what was
expected, and what to do — `…/111122223333/eu-west-1/security-groups.json:
SecurityGroups[1].IpPermissions[0].FromPort: expected an integer -1..65535 — fix the file, or …`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from sgharden.errors import InputError, SnapshotError
from sgharden.schema.findings_file import Finding, FindingsEvent, FindingsFile
from sgharden.schema.plan_file import PlanFile
from sgharden.schema.snapshot_files import BY_KEY
from sgharden.schema.strict_json import load_json_strict, parse_json_strict

__all__ = [
    "check_findings_document",
    "check_plan_document",
    "check_snapshot_document",
    "load_json_strict",
    "parse_json_strict",
]

_PLAN_HINT = "regenerate the plan with `sgharden propose --format json`"

# pydantic error type -> how the message says what was expected
_EXPECTED = {
    "missing": "missing",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "dict_type": "expected an object",
    "list_type": "expected a list",
    "string_type": "expected a string",
    "bool_type": "expected true or false",
    "int_type": "expected an integer",
    "float_type": "expected a number",
}


def json_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"  # a key from the data: quoted, so it cannot pass for a path
    return out or "(top)"


def _found(kind: str, value: Any) -> str:
    if kind == "missing" or (isinstance(value, (dict, list)) and kind not in _EXPECTED):
        return ""  # a whole object's fault (a model check): the path says where
    text = type(value).__name__ if isinstance(value, (dict, list)) else repr(value)
    return f", found {text[:40]}{'…' if len(text) > 40 else ''}"


def describe(exc: ValidationError, prefix: tuple[int | str, ...] = ()) -> str:
    """The first fault of `exc` as `JSON.path: what was expected` (and how many more there are)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    kind = first["type"]
    if kind == "value_error":
        what = str(first["ctx"]["error"]) if "ctx" in first else first["msg"]
    elif kind in _EXPECTED:
        what = _EXPECTED[kind]
    else:
        what = first["msg"].replace("Input should be", "expected")
    loc = prefix + tuple(first["loc"])
    field, sep, rest = what.partition(": ")
    if kind == "value_error" and sep and field.isidentifier():
        # a model check about one of its fields ("FromPort: missing ..."): the path names it
        loc, what = (*loc, field), rest
    else:
        what += _found(kind, first.get("input"))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{json_path(loc)}: {what}{more}"


def _validate(model: type[BaseModel], document: Any) -> None:
    model.model_validate(document)


def check_snapshot_document(path: Path, key: str, document: Any, command: str) -> None:
    """`document` (read from `path`) against the model of the AWS CLI output under `key`."""
    model = BY_KEY[key]
    if not isinstance(document, dict) or key not in document:
        found = sorted(document)[:5] if isinstance(document, dict) else type(document).__name__
        raise SnapshotError(
            f'{path}: expected {{"{key}": [...]}} (the output of `{command}`), found {found}',
            hint=_snapshot_hint(command),
        )
    try:
        _validate(model, document)
    except ValidationError as exc:
        raise SnapshotError(f"{path}: {describe(exc)}", hint=_snapshot_hint(command)) from None


_FINDINGS = TypeAdapter(list[Finding])


def check_findings_document(path: Path, document: Any, command: str) -> None:
    """findings.json in any shape `findings.finding_records` reads: get-findings output, an
    EventBridge event, a list of findings, or one finding."""
    try:
        if isinstance(document, list):
            _FINDINGS.validate_python(document)
        elif isinstance(document, dict) and "Findings" in document:
            FindingsFile.model_validate(document)
        elif isinstance(document, dict) and "detail" in document:
            FindingsEvent.model_validate(document)
        elif isinstance(document, dict) and ("SchemaVersion" in document or "Id" in document):
            Finding.model_validate(document)
        else:
            raise SnapshotError(
                f'{path}: expected {{"Findings": [...]}} (the output of `{command}`)',
                hint=_snapshot_hint(command),
            )
    except ValidationError as exc:
        raise SnapshotError(f"{path}: {describe(exc)}", hint=_snapshot_hint(command)) from None


def check_plan_document(path: Path, document: Any) -> None:
    try:
        PlanFile.model_validate(document)
    except ValidationError as exc:
        raise InputError(f"{path}: {describe(exc)}", hint=_PLAN_HINT) from None


def _snapshot_hint(command: str) -> str:
    return (
        f"fix the file, or write it again with `{command} --output json`"
        if command
        else "fix the file, or write the snapshot again with `sgharden collect`"
    )
