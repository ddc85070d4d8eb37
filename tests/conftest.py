"""Shared fixtures: the shared test vectors and a real moto server over HTTP.

Every AWS call in the tests goes to a `moto[server]` ThreadedMotoServer on a free loopback port; the
product's code is reached only through the standard environment (AWS_ENDPOINT_URL, credentials,
region), never patched.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The shared test vectors: ../shared/vectors beside the checkout when it is there (CI lays a copy
# of shared/ beside the clone), else the copy kept in tests/vectors (same files, same licences;
# tests/test_vectors_copy.py fails if the two differ), so a fresh clone anywhere can run the tests.
SHARED_VECTORS = REPO.parent / "shared" / "vectors"
VENDORED_VECTORS = REPO / "tests" / "vectors"
VECTORS = Path(
    os.environ.get(
        "SGHARDEN_VECTORS", SHARED_VECTORS if SHARED_VECTORS.is_dir() else VENDORED_VECTORS
    )
)


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.fail(f"the shared test vectors are missing at {VECTORS} (set SGHARDEN_VECTORS)")
    return VECTORS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server on loopback for the whole session; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point every AWS client (boto3 and DuckDB's S3 reads) at the moto server; reset its state."""
    import urllib.request

    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    req = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(req).read()
    yield moto_server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Every test (its fixtures included) runs in an empty folder of its own. Commands default to ./sgharden.duckdb
    (created by those that ingest, read by ticket and dry-run when present), so no test may see
    another's workspace, or leave one in the checkout. A hook, not a fixture: hypothesis's
    function-scoped-fixture check would reject an autouse fixture."""
    import tempfile

    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="sgharden-cwd-") as cwd:
        os.chdir(cwd)
        try:
            yield
        finally:
            os.chdir(here)
