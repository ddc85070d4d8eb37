"""The Athena `stage` over Amazon Security Lake's OCSF table: sql/ocsf_stage.sql's mapping (the
one the local OCSF source runs, flowlogs/ocsf.py) as the stage's columns, then the same pruning
(partitions or time_dt, the snapshot's interfaces) as every other table."""

from __future__ import annotations

import sqlglot.expressions as exp

from sgharden.flowlogs import ocsf
from sgharden.flowlogs.engines.athena_sql import STAGE_TYPES, RollupScope, finish_stage


def ocsf_stage_select(scope: RollupScope) -> exp.Select:
    mapped = ocsf.projections()
    layout = scope.layout
    projections: list[exp.Expr] = []
    for column, sql_type in STAGE_TYPES.items():
        value: exp.Expr = exp.cast(mapped.get(column, exp.Null()), sql_type)
        if column == "account_id":  # the record's cloud.account.uid, else the partition's
            value = exp.func("coalesce", value, exp.column(layout.account, quoted=True))
        elif column == "region":
            value = exp.func("coalesce", value, exp.column(layout.region, quoted=True))
        projections.append(exp.alias_(value, column, quoted=True))
    interface = exp.cast(mapped["interface_id"].copy(), STAGE_TYPES["interface_id"])
    select = finish_stage(scope, projections, interface)
    return select.where(ocsf.record_filter(), copy=False)
