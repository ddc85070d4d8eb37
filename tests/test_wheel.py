"""The built wheel carries its queries and the demo sample: installed (not editable) it runs them."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_sql_and_samples(tmp_path: Path, vectors: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("sgharden-*.whl")
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True)
    # the dependencies come from this test environment's site-packages, added as a plain path
    # (not a site dir), so no editable install of the checkout can leak in
    site = subprocess.run(
        [py, "-c", "import site; print(site.getsitepackages()[0])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run(
        [
            py,
            "-c",
            "import sgharden.resources as r; print(r.sql_dir()); print(r.samples_dir()); "
            "print(len(r.query('rollup_batch')))",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout.split()
    assert probe[0].startswith(str(env_dir)) and probe[0].endswith("sgharden/sql")
    assert probe[1].startswith(str(env_dir)) and int(probe[2]) > 100
    run = subprocess.run(
        [
            env_dir / "bin" / "sgharden",
            "ingest",
            str(vectors / "flowlogs/aws-docs/02_tcp_flag_sequence_v3.log"),
            "--workspace",
            str(tmp_path / "ws.duckdb"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert '"records": 8' in run.stdout


def test_runtime_imports_only_declared_dependencies() -> None:
    """Every third-party module the package imports is a declared dependency (not a test extra)."""
    import ast
    import tomllib

    declared = {
        d.split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower().replace("-", "_")
        for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    module_of = {
        "duckdb_extension_httpfs": "duckdb_extension_httpfs",
        "botocore": "boto3",
        "boto3": "boto3",
    }
    stdlib = sys.stdlib_module_names
    used: set[str] = set()
    for path in (REPO / "src" / "sgharden").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                used |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                used.add(node.module.split(".")[0])
    third_party = {m for m in used if m not in stdlib and m != "sgharden"}
    missing = {m for m in third_party if module_of.get(m, m) not in declared}
    assert not missing, f"imported but not declared in pyproject dependencies: {missing}"
    # DuckDB's fetchnumpy() imports numpy lazily, without an import statement here
    if any("fetchnumpy" in p.read_text() for p in (REPO / "src" / "sgharden").rglob("*.py")):
        assert "numpy" in declared
