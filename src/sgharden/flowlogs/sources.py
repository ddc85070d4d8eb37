"""Where flow-log objects come from: local files and folders, or S3 prefixes.

Each object is described once (`FlowLogObject`) with what its key layout and name say: account,
region and flow-log id, from either S3 layout:
  AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD[/HH]/<acct>_vpcflowlogs_<region>_<fl-id>_<ts>_<hash>.log.gz
  AWSLogs/aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/year=/month=/day=[/hour=]/...
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sgharden.errors import InputError

_NAME = re.compile(
    r"(?P<acct>\d{12})_vpcflowlogs_(?P<region>[a-z0-9-]+)_(?P<fl>fl-[0-9a-f]+)_(?P<ts>\d{8}T\d{4}Z)"
)
_PLAIN_LAYOUT = re.compile(r"AWSLogs/(?P<acct>\d{12})/vpcflowlogs/(?P<region>[a-z0-9-]+)/")
_HIVE_ACCT = re.compile(r"aws-account-id=(?P<acct>[^/]+)/")
_HIVE_REGION = re.compile(r"aws-region=(?P<region>[^/]+)/")

KIND_TEXT = "text"
KIND_TEXT_GZ = "text-gz"
KIND_PARQUET = "parquet"
KIND_CLOUDWATCH = "cloudwatch-json"
KIND_OTHER = "other"


def kind_of(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".parquet"):
        return KIND_PARQUET
    if lower.endswith((".log.gz", ".txt.gz", ".csv.gz")) or (
        lower.endswith(".gz") and not lower.endswith(".json.gz")
    ):
        return KIND_TEXT_GZ
    if lower.endswith((".log", ".txt")):
        return KIND_TEXT
    if lower.endswith((".json", ".json.gz")):
        return KIND_CLOUDWATCH
    return KIND_OTHER


@dataclass(frozen=True)
class FlowLogObject:
    source: str  # absolute local path or s3://bucket/key
    size: int
    version: str  # S3 ETag or local mtime in ns: a changed object is a new object
    kind: str
    account_id: str | None = None
    region: str | None = None
    flow_log_id: str | None = None
    day: str | None = None  # YYYY-MM-DD from the key layout

    @property
    def is_s3(self) -> bool:
        return self.source.startswith("s3://")

    @property
    def name(self) -> str:
        return self.source.rsplit("/", 1)[-1]


_PLAIN_DAY = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")
_HIVE_DAY = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})/")


def describe(source: str, size: int, version: str) -> FlowLogObject:
    """What the path/key and name of an object say about it."""
    account = region = flow_log = day = None
    named = _NAME.search(source.rsplit("/", 1)[-1])
    if named:
        account, region, flow_log = named.group("acct"), named.group("region"), named.group("fl")
    plain = _PLAIN_LAYOUT.search(source)
    if plain:
        account = account or plain.group("acct")
        region = region or plain.group("region")
    hive_acct, hive_region = _HIVE_ACCT.search(source), _HIVE_REGION.search(source)
    if hive_acct:
        account = account or hive_acct.group("acct")
    if hive_region:
        region = region or hive_region.group("region")
    day_match = _HIVE_DAY.search(source) or _PLAIN_DAY.search(source)
    if day_match:
        day = "-".join(day_match.groups())
    return FlowLogObject(
        source=source,
        size=size,
        version=version,
        kind=kind_of(source),
        account_id=account,
        region=region,
        flow_log_id=flow_log,
        day=day,
    )


def _local(path: Path) -> Iterator[FlowLogObject]:
    if path.is_file():
        st = path.stat()
        yield describe(str(path.resolve()), st.st_size, str(st.st_mtime_ns))
        return
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            if name.startswith(".") or name == "flow-logs.json":
                continue
            full = Path(root) / name
            st = full.stat()
            yield describe(str(full.resolve()), st.st_size, str(st.st_mtime_ns))


def split_s3_url(url: str) -> tuple[str, str]:
    rest = url[len("s3://") :]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InputError(f"{url}: no bucket name", hint="write s3://BUCKET[/PREFIX]")
    return bucket, prefix


def _s3(url: str, s3_client: Any) -> Iterator[FlowLogObject]:
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    bucket, prefix = split_s3_url(url)
    try:
        paginator = s3_client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith("/"):
                    continue
                yield describe(f"s3://{bucket}/{key}", int(item["Size"]), item["ETag"].strip('"'))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            raise InputError(
                f"{url}: bucket {bucket!r} does not exist", hint="check the name"
            ) from None
        if code in ("AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId"):
            raise InputError(
                f"{url}: access denied listing the bucket ({code})",
                hint="allow s3:ListBucket and s3:GetObject for these credentials",
            ) from None
        raise InputError(f"{url}: S3 said {code}: {exc}") from None
    except (EndpointConnectionError, NoCredentialsError) as exc:
        raise InputError(
            f"{url}: cannot reach S3 ({exc})", hint="check credentials/endpoint"
        ) from None


def discover(sources: list[str], s3_client_factory: Any = None) -> list[FlowLogObject]:
    """Every object named by SOURCE arguments (files, folders walked recursively, s3:// prefixes)."""
    found: list[FlowLogObject] = []
    for source in sources:
        if source.startswith("s3://"):
            if s3_client_factory is None:
                raise InputError(f"{source}: S3 sources need AWS access")
            found.extend(_s3(source, s3_client_factory()))
            continue
        path = Path(source)
        if not path.exists():
            raise InputError(f"{source}: no such file or directory", hint="check the path")
        found.extend(_local(path))
    seen: set[str] = set()
    unique = []
    for obj in found:
        if obj.source not in seen:
            seen.add(obj.source)
            unique.append(obj)
    return unique
