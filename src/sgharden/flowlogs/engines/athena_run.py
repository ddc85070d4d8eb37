"""One Athena roll-up for a snapshot and a window: the call `ingest` and `propose` make."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from sgharden.flowlogs.engines.athena import AthenaEngine, AthenaOptions, AthenaReport, Snapshot
from sgharden.flowlogs.engines.athena_client import QueryProgress
from sgharden.snapshot import Snapshot as FullSnapshot

# Objects of a day keep arriving for a while after it ends (delivery every 1-10 minutes, late
# objects up to about an hour): a day is rolled up, and marked done, only once this has passed.
DELIVERY_LAG = timedelta(hours=2)
DEFAULT_DAYS = 14


def engine_snapshot(snapshot: FullSnapshot) -> Snapshot:
    interfaces = tuple(snapshot.all_interfaces())
    return Snapshot(
        accounts_regions=tuple(sorted(snapshot.inventories.keys())),
        interfaces=tuple(sorted({e.interface_id for e in interfaces})),
        known_addresses=tuple(
            (e.interface_id, a, "inventory") for e in interfaces for a in e.addresses
        ),
        places=tuple(sorted({(e.interface_id, e.account_id, e.region) for e in interfaces})),
    )


def window_days(
    since: datetime | None, until: datetime | None, now: datetime | None = None
) -> list[date]:
    """The whole UTC days of [since, until) that are complete (DELIVERY_LAG past their end).

    Without --since, the DEFAULT_DAYS complete days before --until (or now)."""
    now = now or datetime.now(UTC)
    last_complete = (now - DELIVERY_LAG).date() - timedelta(days=1)
    end = min((until - timedelta(microseconds=1)).date(), last_complete) if until else last_complete
    start = since.date() if since else end - timedelta(days=DEFAULT_DAYS - 1)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def athena_rollup(
    con: duckdb.DuckDBPyConnection,
    snapshot: FullSnapshot,
    options: AthenaOptions,
    client: Any,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: QueryProgress | None = None,
) -> AthenaReport:
    engine = AthenaEngine(con, options, client, progress)
    return engine.run(engine_snapshot(snapshot), window_days(since, until))
