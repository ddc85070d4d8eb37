"""Running one Athena statement: start, poll with progress, stop on interrupt, fail in one line."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sgharden.errors import InputError

# state, bytes scanned so far, query id, part name
QueryProgress = Callable[[str, str, int, str], None]
POLL_SECONDS = 1.0


class AthenaQueryError(InputError):
    """Athena ran the statement and failed it (or it was cancelled): the query id and the reason."""


@dataclass(frozen=True)
class QueryResult:
    query_id: str
    bytes_scanned: int


def run_statement(
    athena: Any,
    statement: str,
    *,
    database: str,
    workgroup: str,
    output: str,
    part: str,
    progress: QueryProgress | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> QueryResult:
    """Run `statement` to completion. Ctrl-C stops the query in Athena before re-raising."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        started = athena.start_query_execution(
            QueryString=statement,
            QueryExecutionContext={"Database": database},
            WorkGroup=workgroup,
            ResultConfiguration={"OutputLocation": output},
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise InputError(
            f"Athena refused the {part} query in workgroup {workgroup}: "
            f"{error.get('Code', '')} {error.get('Message', '')}".strip(),
            hint="check the workgroup, the database and athena:StartQueryExecution",
        ) from None
    except BotoCoreError as exc:
        raise InputError(
            f"cannot reach Athena ({exc})", hint="check credentials/endpoint"
        ) from None
    query_id = str(started["QueryExecutionId"])
    try:
        while True:
            execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            status = execution.get("Status", {})
            state = str(status.get("State", "UNKNOWN"))
            scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0) or 0)
            if progress:
                progress(part, state, scanned, query_id)
            if state == "SUCCEEDED":
                return QueryResult(query_id, scanned)
            if state in ("FAILED", "CANCELLED"):
                reason = " ".join(str(status.get("StateChangeReason", "no reason given")).split())
                raise AthenaQueryError(f"Athena query {query_id} ({part}) {state}: {reason[:500]}")
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        athena.stop_query_execution(QueryExecutionId=query_id)
        raise
