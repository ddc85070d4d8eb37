"""What an Athena run learns about the interfaces, brought back to the workspace.

The local engine keeps the listeners (learn_listeners.sql) and inferred addresses
(infer_addresses.sql) it learns in the workspace, so a later ingest starts from them: a port
seen answering a SYN on Monday still names the service of Tuesday's flagless records. The Athena
statements learn the same things in CTEs (`listeners`, `interface_addresses`); these rows ride
back in the roll-up's own result (no extra scan of the flow logs), marked by `direction`:
  'listener'  interface_id, protocol, service_port = the port;
  'address'   interface_id, local_addr = the inferred address.
sql/athena_load_rollup.sql reads only 'inbound'/'outbound' rows; sql/athena_load_listeners.sql
and athena_load_addresses.sql write these into the workspace's tables.
"""

from __future__ import annotations

import duckdb
import sqlglot.expressions as exp

from sgharden.resources import query

LISTENER, ADDRESS = "listener", "address"


def learned_rows(columns: list[str]) -> exp.Query:
    """Rows with the roll-up result's `columns`, NULL except what each kind of fact fills."""

    def row(kind: str, filled: dict[str, str], source: str, where: exp.Expr | None) -> exp.Select:
        values: list[exp.Expr] = []
        for name in columns:
            if name == "direction":
                value: exp.Expr = exp.Literal.string(kind)
            elif name in filled:
                value = exp.column(filled[name], "k", quoted=True)
            else:
                value = exp.Null()
            values.append(exp.alias_(value, name, quoted=True))
        select = exp.select(*values).from_(exp.alias_(exp.to_table(source), "k"))
        return select.where(where) if where is not None else select

    listeners = row(
        LISTENER,
        {"interface_id": "interface_id", "protocol": "protocol", "service_port": "port"},
        "listeners",
        None,
    )
    inferred = exp.EQ(
        this=exp.column("origin", "k", quoted=True), expression=exp.Literal.string("inferred")
    )
    addresses = row(
        ADDRESS,
        {"interface_id": "interface_id", "local_addr": "address"},
        "interface_addresses",
        inferred,
    )
    return exp.union(listeners, addresses, distinct=False)


def load(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """Write a run's learned listeners and inferred addresses into the workspace."""
    con.execute(query("athena_load_listeners"), {"files": files})
    con.execute(query("athena_load_addresses"), {"files": files})
