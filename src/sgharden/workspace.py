"""The local DuckDB workspace: opening it, its schema, bounded memory, S3 access."""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from sgharden.errors import InputError
from sgharden.flowlogs.fields import FIELDS
from sgharden.resources import query

DEFAULT_WORKSPACE = "sgharden.duckdb"
# Bumped whenever sql/schema.sql changes a table an existing workspace already has.
SCHEMA_VERSION = 3
# DuckDB spills to disk past this, which keeps ingest's peak memory flat as the data grows.
DEFAULT_MEMORY_LIMIT = os.environ.get("SGHARDEN_MEMORY_LIMIT", "1GB")


def flow_records_ddl() -> str:
    """`flow_records`: every parsed record (with --keep-records), typed, in registry order."""
    cols = ",\n    ".join(f'"{f.column}" {f.sql_type}' for f in FIELDS.values())
    return (
        "CREATE TABLE IF NOT EXISTS flow_records (\n    "
        + cols
        + ",\n    extra VARCHAR,\n    line BIGINT,\n    source VARCHAR\n)"
    )


def open_workspace(
    path: str | Path | None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a workspace; `None` or ':memory:' gives an in-memory one."""
    target = ":memory:" if path in (None, ":memory:") else str(path)
    _cache_missing_pandas()
    if read_only and target != ":memory:" and not Path(target).exists():
        raise InputError(f"{target}: no workspace here", hint="run `sgharden ingest` first")
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        raise InputError(f"{target}: cannot open the workspace ({exc})") from None
    con.execute(f"SET memory_limit = '{_safe_size(DEFAULT_MEMORY_LIMIT)}'")
    con.execute("SET preserve_insertion_order = false")
    # A folder of this connection's own: DuckDB's spill files have fixed names, so two processes
    # sharing one folder overwrite each other's (seen as read errors and crashes).
    spill = tempfile.mkdtemp(prefix="sgharden-spill-")
    atexit.register(shutil.rmtree, spill, True)
    con.execute(f"SET temp_directory = '{_safe_path(spill)}'")
    _check_schema_version(con, target)
    if not read_only:
        con.execute(query("schema"))
        con.execute(flow_records_ddl())
        con.execute("CREATE TABLE IF NOT EXISTS workspace_meta (schema_version INTEGER)")
        if not con.execute("SELECT count(*) FROM workspace_meta").fetchone()[0]:  # type: ignore[index]
            con.execute("INSERT INTO workspace_meta VALUES ($v)", {"v": SCHEMA_VERSION})
    con.execute(query("macros"))
    con.execute(query("record_check"))  # the fast path's typed check of ingested values
    con.execute(query("inbound_use"))  # inbound_rows / inbound_accepted: the one roll-up scan
    con.execute(query("classify_sources"))  # the table macro source_verdicts (after both)
    return con


class _PandasIsMissing(importlib.abc.MetaPathFinder):
    """Answers "no pandas" at once, without searching sys.path again (see _cache_missing_pandas)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname == "pandas":
            raise ModuleNotFoundError("No module named 'pandas'", name="pandas")
        return None


def _cache_missing_pandas() -> None:
    """Make a missing pandas fail fast. DuckDB tries `import pandas` for every Python value it
    converts (list/struct parameters); without pandas each failed import searches sys.path again
    (Python caches only successes), which made planning 35,000 rules ~4x slower (BENCHMARKS.md,
    triage). A finder first on sys.meta_path says "missing" at once; nothing is put in
    sys.modules (pyarrow reads a pandas entry there as an installed pandas)."""
    if any(isinstance(f, _PandasIsMissing) for f in sys.meta_path):
        return
    if "pandas" in sys.modules or importlib.util.find_spec("pandas") is not None:
        return
    sys.meta_path.insert(0, _PandasIsMissing())


def _check_schema_version(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Refuse, in one line, a workspace whose tables an older or newer sgharden laid out."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if not tables:
        return
    found = 0
    if "workspace_meta" in tables:
        row = con.execute("SELECT max(schema_version) FROM workspace_meta").fetchone()
        found = int(row[0]) if row and row[0] is not None else 0
    if found != SCHEMA_VERSION:
        raise InputError(
            f"{target}: workspace schema {found}, this sgharden uses {SCHEMA_VERSION}",
            hint="ingest into a new workspace (--workspace NEW.duckdb); the flow logs are unchanged",
        )


def _safe_size(text: str) -> str:
    if not text.replace(".", "").replace(" ", "").isalnum():
        raise InputError(f"SGHARDEN_MEMORY_LIMIT={text!r} is not a size like 1GB")
    return text


def _safe_path(text: str) -> str:
    return text.replace("'", "''")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def enable_s3(con: duckdb.DuckDBPyConnection, session: Any) -> None:
    """Let DuckDB read s3:// with the boto3 session's credentials and the endpoint in force.

    The httpfs extension comes from the PyPI package `duckdb-extension-httpfs` (pinned to DuckDB's
    version), so no download is needed.
    """
    import duckdb_extension_httpfs

    from sgharden.aws.clients import s3_endpoint

    ext_dir = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    files = sorted(ext_dir.glob(f"v{duckdb.__version__}/httpfs.duckdb_extension"))
    if not files:
        raise InputError(
            f"no httpfs extension for DuckDB {duckdb.__version__} in {ext_dir}",
            hint="install duckdb-extension-httpfs at DuckDB's exact version",
        )
    con.execute(f"LOAD {_sql_literal(str(files[0]))}")
    creds = session.get_credentials()
    if creds is None:
        raise InputError("no AWS credentials for S3", hint="set AWS_PROFILE or credentials")
    frozen = creds.get_frozen_credentials()
    # CREATE SECRET takes no prepared parameters; values are quoted as SQL literals.
    parts = [
        "TYPE s3",
        f"KEY_ID {_sql_literal(frozen.access_key)}",
        f"SECRET {_sql_literal(frozen.secret_key)}",
        f"REGION {_sql_literal(session.region_name or 'us-east-1')}",
    ]
    if frozen.token:
        parts.append(f"SESSION_TOKEN {_sql_literal(frozen.token)}")
    endpoint = s3_endpoint()
    if endpoint:
        use_ssl = endpoint.startswith("https://")
        host = endpoint.split("://", 1)[-1].rstrip("/")
        parts += [
            f"ENDPOINT {_sql_literal(host)}",
            "URL_STYLE 'path'",
            f"USE_SSL {str(use_ssl).lower()}",
        ]
    con.execute(f"CREATE OR REPLACE SECRET sgharden_s3 ({', '.join(parts)})")
