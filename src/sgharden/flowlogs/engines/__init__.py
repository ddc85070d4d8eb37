"""Where the roll-up runs: the engines behind `ingest --engine` and `propose --engine`.

- local  (flowlogs.ingest): objects are read here, by DuckDB, and rolled up in the workspace;
- athena (engines.athena):  the roll-up runs in Athena over a Glue table of the flow-log bucket
  (or Security Lake's OCSF table) and only its result is loaded into the workspace.
Both leave the same tables and manifest, so everything after ingest is the same.
"""

from __future__ import annotations

from enum import Enum


class Engine(Enum):
    LOCAL = "local"
    ATHENA = "athena"


def iam_actions(engine: Engine) -> tuple[str, ...]:
    """The IAM actions an engine's roll-up needs (the local engine: s3 reads of s3:// sources)."""
    if engine is Engine.ATHENA:
        from sgharden.flowlogs.engines.athena import IAM_ACTIONS

        return IAM_ACTIONS
    return ("s3:ListBucket", "s3:GetObject")
