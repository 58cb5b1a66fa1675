"""``pip install .`` gives a working ``grants`` command: resources travel inside the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel offline, with the build backend already installed."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("grants_tracker-*.whl"))


def test_the_wheel_carries_templates_static_files_migrations_and_demo(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "grants/templates/base.html",
        "grants/templates/home.html",
        "grants/static/app.css",
        "grants/demo/demo.toml",
        "grants/migrations/env.py",
        "grants/migrations/versions/0001_create_the_domain_schema.py",
        "reports/__init__.py",
    }
    assert expected <= names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "grants = grants.cli:app" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_installed_package_works_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GRANTS_")},
        "PYTHONPATH": str(site),
        "GRANTS_DATABASE_URL": f"sqlite:///{elsewhere / 'g.db'}",
        "GRANTS_DATA_DIR": str(elsewhere / "var"),
        "GRANTS_ARGON2_MEMORY_COST": "1024",
        "GRANTS_ARGON2_TIME_COST": "1",
    }
    script = (
        "import grants, sys\n"
        "assert grants.__file__.startswith(sys.argv[1]), grants.__file__\n"
        "from fastapi.testclient import TestClient\n"
        "from grants.app import create_app\n"
        "client = TestClient(create_app())\n"
        "assert 'Grants tracker' in client.get('/').text\n"
        "assert client.get('/static/app.css').status_code == 200\n"
        "assert client.get('/healthz').json()['status'] == 'ok'\n"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=elsewhere,
            env=env,
            text=True,
            capture_output=True,
            timeout=300,
            check=False,
        )

    command = subprocess.run(
        [str(site / "bin" / "grants"), "db", "upgrade"],
        cwd=elsewhere,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert command.returncode == 0, command.stderr
    upgraded = run("-m", "grants", "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    loaded = run("-m", "grants", "demo", "--today", "2026-06-15")
    assert loaded.returncode == 0, loaded.stderr
    assert "14 projects" in loaded.stdout
    served = run("-c", script, str(site))
    assert served.returncode == 0, served.stderr
