"""The ``grants`` command as a user runs it: from any folder, against a real database."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, create_engine, inspect, select
from sqlmodel import Session

from grants import models
from grants.models import Membership, Role, User
from tests.conftest import cli_env

PASSWORD = "a long and unusual passphrase"


def grants(
    args: list[str], url: str, folder: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``grants ARGS`` in ``folder`` (not the checkout) and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "grants", *args],
        cwd=folder,
        env=cli_env(url, folder / "var", **env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", [[], ["db", "upgrade"], ["demo"], ["serve"], ["user", "add"]])
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = grants([*command, "--help"], "sqlite:///unused.db", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_user_add_takes_no_password_argument(tmp_path: Path) -> None:
    result = grants(["user", "add", "--help"], "sqlite:///unused.db", tmp_path)
    assert "--password-stdin" in result.stdout
    assert "--password " not in result.stdout


def test_db_upgrade_creates_every_table(empty_database_url: str, tmp_path: Path) -> None:
    result = grants(["db", "upgrade"], empty_database_url, tmp_path)
    assert result.returncode == 0, result.stderr
    engine = create_engine(empty_database_url)
    assert set(models.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
    again = grants(["db", "upgrade"], empty_database_url, tmp_path)
    assert again.returncode == 0, again.stderr


def _users(engine: Engine) -> list[tuple[str, Role, int | None]]:
    with Session(engine) as session:
        rows = session.execute(
            select(User.email, Membership.role, Membership.organisation_id).join(
                Membership,
                Membership.user_id == User.id,  # type: ignore[arg-type]
            )
        ).all()
    return [(email, Role(role), org) for email, role, org in rows]


def test_user_add_reads_the_password_from_stdin(cli: Callable[..., Result], engine: Engine) -> None:
    result = cli(
        ["user", "add", "Root@Example.org", "--role", "admin", "--password-stdin"], PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "added root@example.org as admin" in result.stdout
    assert PASSWORD not in result.output
    assert _users(engine) == [("root@example.org", Role.ADMIN, None)]


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--role", "admin"], "short", "password"),
        (["--role", "admin"], "password1234", "password: is too common"),
        (["--role", "grant_manager"], PASSWORD, "organisation: the grant_manager role needs"),
        (
            ["--role", "donor", "--organisation", "NOPE"],
            PASSWORD,
            "Organisation 'NOPE' does not exist",
        ),
        (["--role", "overlord"], PASSWORD, "overlord"),
    ],
)
def test_user_add_refuses_bad_input_and_writes_nothing(
    args: list[str], password: str, message: str, cli: Callable[..., Result], engine: Engine
) -> None:
    result = cli(["user", "add", "someone@example.org", *args, "--password-stdin"], password + "\n")
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert password not in result.stderr or password == PASSWORD
    assert _users(engine) == []


def test_user_add_refuses_a_duplicate_email(cli: Callable[..., Result], engine: Engine) -> None:
    add = ["user", "add", "twice@example.org", "--role", "admin", "--password-stdin"]
    assert cli(add, PASSWORD).exit_code == 0
    again = cli(add, PASSWORD)
    assert again.exit_code == 2
    assert "email: a user with this email already exists" in again.stderr
    assert len(_users(engine)) == 1


def test_serve_refuses_production_with_the_default_secret(tmp_path: Path) -> None:
    result = grants(
        ["serve"], f"sqlite:///{tmp_path / 'x.db'}", tmp_path, GRANTS_ENVIRONMENT="production"
    )
    assert result.returncode == 2
    assert "GRANTS_SECRET_KEY" in result.stderr
