"""The Glue tables the Athena engine reads: their layouts, the DDL that creates them, pruning.

A layout names a table's partition columns (account, region, date, hour) and how the S3 key
spells them, which is all the engine needs to prune: the predicate selects only the window's
dates and the snapshot's accounts and regions, and `prefixes` lists the same partitions' objects
for the dry run's byte count. An existing table is matched to a layout by its partition keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlglot.expressions as exp

from sgharden.errors import InputError
from sgharden.resources import query


@dataclass(frozen=True)
class TableLayout:
    name: str  # the --create-table value, and the DDL file sql/athena_table_<name>.sql
    account: str  # partition column holding the account id
    region: str  # partition column holding the region
    day_columns: tuple[str, ...]  # (year, month, day) or one column
    day_format: str  # strftime of the single day column; "" for year/month/day
    key_template: str  # the S3 prefix of one account/region/day under the table's location
    ocsf: bool = False  # Security Lake's OCSF records (flowlogs/ocsf.py maps them)
    day_timestamp: bool = False  # the day column is a timestamp: a [day, day + 1) range

    def day_predicate(self, day: date) -> exp.Expr:
        if self.day_timestamp:
            column = exp.column(self.day_columns[0], quoted=True)
            return exp.and_(
                exp.GTE(this=column, expression=_timestamp(day)),
                exp.LT(this=column.copy(), expression=_timestamp(day + timedelta(days=1))),
            )
        if len(self.day_columns) == 3:
            parts = (f"{day:%Y}", f"{day:%m}", f"{day:%d}")
            terms = [_eq(c, v) for c, v in zip(self.day_columns, parts, strict=True)]
            return exp.and_(*terms)
        return _eq(self.day_columns[0], day.strftime(self.day_format))

    def prefix(self, location: str, account: str, region: str, day: date) -> str:
        return location + self.key_template.format(account=account, region=region, day=day)

    @property
    def partition_columns(self) -> tuple[str, ...]:
        return (self.account, self.region, *self.day_columns)


def _timestamp(day: date) -> exp.Expr:
    return exp.cast(exp.Literal.string(f"{day:%Y-%m-%d} 00:00:00"), "TIMESTAMP")


def _eq(column: str, value: str) -> exp.Expr:
    return exp.EQ(this=exp.column(column, quoted=True), expression=exp.Literal.string(value))


HIVE_PARQUET = TableLayout(
    "hive_parquet",
    "aws-account-id",
    "aws-region",
    ("year", "month", "day"),
    "",
    "aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/"
    "year={day:%Y}/month={day:%m}/day={day:%d}/",
)
PROJECTED_PARQUET = TableLayout(
    "projected_parquet",
    "aws_account_id",
    "aws_region",
    ("year", "month", "day"),
    "",
    HIVE_PARQUET.key_template,
)
TEXT_GZ = TableLayout(
    "text_gz",
    "aws_account_id",
    "aws_region",
    ("date",),
    "%Y/%m/%d",
    "{account}/vpcflowlogs/{region}/{day:%Y}/{day:%m}/{day:%d}/",
)
# Amazon Security Lake's VPC flow tables (OCSF). Source version 1 partitions by region,
# accountid and eventday (yyyyMMdd); source version 2 (Apache Iceberg) by the columns region,
# accountid and time_dt (AWS's Security Lake query docs). Both keep Security Lake's S3 prefixes.
_LAKE_KEYS = "region={region}/accountId={account}/eventDay={day:%Y%m%d}/"
SECURITY_LAKE_V1 = TableLayout(
    "security_lake_v1", "accountid", "region", ("eventday",), "%Y%m%d", _LAKE_KEYS, ocsf=True
)
SECURITY_LAKE_V2 = TableLayout(
    "security_lake_v2", "accountid", "region", ("time_dt",), "", _LAKE_KEYS, ocsf=True,
    day_timestamp=True,
)  # fmt: skip
LAYOUTS: dict[str, TableLayout] = {t.name: t for t in (HIVE_PARQUET, PROJECTED_PARQUET, TEXT_GZ)}
CREATABLE = ("hive_parquet", "projected_parquet", "text_gz")

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_S3_LOCATION = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*'()/=-]*)?$")
ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def identifier(value: str, what: str) -> str:
    if not _IDENT.match(value):
        raise InputError(f"{what} {value!r} is not an Athena identifier (letters, digits, _)")
    return value


def s3_location(value: str, what: str = "--results") -> str:
    """An s3:// folder URL, ending in '/'; anything else is refused in one line."""
    if not _S3_LOCATION.match(value):
        raise InputError(f"{what} {value!r} is not an s3://bucket/prefix/ URL")
    return value if value.endswith("/") else value + "/"


def layout_of(partition_keys: Sequence[str], table: str) -> TableLayout:
    """The layout whose partition columns an existing table has (names compared lower-case)."""
    keys = [k.lower() for k in partition_keys]
    for layout in LAYOUTS.values():
        if all(c.lower() in keys for c in layout.partition_columns):
            return layout
    expected = "; ".join(", ".join(t.partition_columns) for t in LAYOUTS.values())
    raise InputError(
        f"Glue table {table}: partition keys ({', '.join(partition_keys) or 'none'}) match no "
        "layout sgharden can prune",
        hint=f"use a table partitioned by one of: {expected}, or --create-table",
    )


def security_lake_layout(
    partition_keys: Sequence[str], columns: Iterable[str], table: str
) -> TableLayout:
    """The Security Lake layout of an OCSF table: v1 by its partition keys, v2 by its columns."""
    keys = {k.lower() for k in partition_keys}
    names = keys | {c.lower() for c in columns}
    if {"accountid", "region", "eventday"} <= keys:
        return SECURITY_LAKE_V1
    if {"accountid", "region", "time_dt"} <= names:
        return SECURITY_LAKE_V2
    raise InputError(
        f"Glue table {table} holds OCSF records but neither Security Lake layout: it needs "
        "partitions region, accountid, eventday (source version 1) or columns region, "
        "accountid, time_dt (source version 2)",
        hint="point --table at the lake's amazon_security_lake_table_<region>_vpc_flow_* table",
    )


def create_table_ddl(
    layout: TableLayout,
    database: str,
    table: str,
    location: str,
    accounts: Iterable[str],
    regions: Iterable[str],
    first_day: date,
) -> str:
    """The DDL of sql/athena_table_<layout>.sql with validated values (DDL takes no parameters)."""
    accounts, regions = sorted(set(accounts)), sorted(set(regions))
    for a in accounts:
        if not ACCOUNT.match(a):
            raise InputError(f"account {a!r} is not 12 digits")
    for r in regions:
        if not REGION.match(r):
            raise InputError(f"region {r!r} is not an AWS region name")
    text = query(f"athena_table_{layout.name}")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    values = {
        "database": identifier(database, "--database"),
        "table": identifier(table, "--table"),
        "location": s3_location(location, "--table-location"),
        "accounts": ",".join(accounts),
        "regions": ",".join(regions),
        "first_day": f"{first_day:%Y/%m/%d}",
        "first_year": f"{first_day:%Y}",
    }
    for name, value in values.items():
        body = body.replace("{" + name + "}", value)
    return body.strip()
