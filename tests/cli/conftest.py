"""CLI-test fixtures: run the ``grants`` command in-process against the test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from grants.cli import app
from grants.config import get_settings
from tests.conftest import cli_env


@pytest.fixture
def cli(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Result]]:
    """Run the CLI in-process against the test's migrated database."""
    for key, value in cli_env(
        engine.url.render_as_string(hide_password=False), tmp_path / "var"
    ).items():
        if key.startswith("GRANTS_"):
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()

    def invoke(args: list[str], stdin: str = "") -> Result:
        return CliRunner().invoke(app, args, input=stdin)

    yield invoke
    get_settings.cache_clear()
