"""What every ``grants`` sub-command shares: one-line failures and the parsing of dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError

from grants.models.notation import parse_day
from grants.services.errors import DomainError


def fail(message: str) -> NoReturn:
    """Print one line naming what is wrong and exit with status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def validation_message(error: ValidationError) -> str:
    """Return the first problem of a pydantic error as 'field: reason (got value)'."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "value"
    shown = "***" if "password" in field else repr(first.get("input"))
    return f"{field}: {first['msg']} (got {shown})"


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn domain and validation errors into one-line messages and exit status 2."""
    try:
        yield
    except DomainError as error:
        fail(str(error))
    except ValidationError as error:
        fail(validation_message(error))


def parse_date(value: str | None, option: str) -> dt.date | None:
    """Return ``value`` as a date, or fail naming ``option``."""
    if value is None:
        return None
    try:
        return parse_day(value)
    except ValueError:
        fail(f"{option}: not a date in YYYY-MM-DD form (got {value!r})")
