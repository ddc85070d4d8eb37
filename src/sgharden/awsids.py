"""AWS identifiers by their grammar, and paths built from them kept under their root.

Ids come from findings and snapshot files anyone with EC2 access (or the snapshot's author) wrote;
they name folders and files, and they reach scripts and Terraform. Checking their grammar at the
edge keeps `../../x`, newlines and quotes out of all of them.
"""

from __future__ import annotations

import re
from pathlib import Path

from sgharden.errors import InputError

# AWS issues resource ids as `<prefix>-` and 8 (older) or 17 lowercase hex digits; nothing else
# passes, so no path separator, dot, quote, space or control character reaches a path or a script.
_SUFFIX = r"(?:[0-9a-f]{8}|[0-9a-f]{17})"
GRAMMAR: dict[str, re.Pattern[str]] = {
    "account": re.compile(r"[0-9]{12}"),
    "region": re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"),
    "security group": re.compile(rf"sg-{_SUFFIX}"),
    "prefix list": re.compile(rf"pl-{_SUFFIX}"),
    "network interface": re.compile(rf"eni-{_SUFFIX}"),
    "instance": re.compile(rf"i-{_SUFFIX}"),
    "flow log": re.compile(rf"fl-{_SUFFIX}"),
    "vpc": re.compile(rf"vpc-{_SUFFIX}"),
    "subnet": re.compile(rf"subnet-{_SUFFIX}"),
    "security group rule": re.compile(rf"sgr-{_SUFFIX}"),
}


# A finding's resource: its Type, or the resource part of its ARN, says which id it names.
RESOURCE_TYPE_KIND = {
    "AwsEc2SecurityGroup": "security group",
    "AwsEc2Instance": "instance",
    "AwsEc2NetworkInterface": "network interface",
}
ARN_RESOURCE_KIND = {
    "security-group": "security group",
    "instance": "instance",
    "network-interface": "network interface",
}
ARN_PARTITION = re.compile(r"aws(-[a-z]+)*")


def resource_tail(resource_id: str) -> str:
    """The id at the end of a finding's Resources[].Id: `arn:aws:ec2:region:acct:security-group/
    sg-1` -> `sg-1`, `arn:aws:rds:region:acct:db:name` -> `name`, a bare id -> itself."""
    if "/" in resource_id:
        return resource_id.rsplit("/", 1)[-1]
    return resource_id.rsplit(":", 1)[-1]


def is_id(kind: str, value: object) -> bool:
    return isinstance(value, str) and GRAMMAR[kind].fullmatch(value) is not None


def expected(kind: str) -> str:
    return f"a {kind} id ({GRAMMAR[kind].pattern})"


def path_under(root: Path, *parts: str) -> Path:
    """`root/parts...`, refused unless it stays under `root` once resolved (symlinks included)."""
    path = root.joinpath(*parts)
    base = root.resolve()
    resolved = path.resolve()
    if resolved != base and base not in resolved.parents:
        raise InputError(
            f"{path}: leaves {root}", hint="an id in the input is not a valid AWS id; fix the input"
        )
    return path
