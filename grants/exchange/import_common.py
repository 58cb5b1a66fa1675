"""Pieces every sheet's importer shares: given values, differences, shown values, collection."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Literal, TypeVar

from sqlmodel import SQLModel

from grants.exchange.import_rows import RowInvalid, RowProblem, RowRefs

T = TypeVar("T")
Action = Literal["create", "update", "unchanged"]
Changes = dict[str, tuple[Any, Any]]
Outcome = tuple[Action, Changes]


def shown(value: Any) -> Any:
    """Return a value as a preview shows it: ISO dates, plain decimals, codes for choices."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return (
            format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return "; ".join(str(item) for item in value)
    return value


def given(
    values: dict[str, Any], columns: dict[str, str], blank_text: Iterable[str] = ()
) -> dict[str, Any]:
    """Return ``field: value`` for the columns present in the row (``columns``: field -> column).

    Fields in ``blank_text`` are texts stored as ``""`` when empty.
    """
    empty_text = set(blank_text)
    data = {}
    for field, column in columns.items():
        if column in values:
            value = values[column]
            data[field] = "" if value is None and field in empty_text else value
    return data


def differences(record: SQLModel, merged: SQLModel, fields: Iterable[str]) -> dict[str, Any]:
    """Return the ``fields`` whose value in ``merged`` differs from ``record``'s."""
    return {
        field: getattr(merged, field)
        for field in fields
        if getattr(merged, field) != getattr(record, field)
    }


def described_changes(
    record: SQLModel | None, changes: dict[str, Any], columns: dict[str, str]
) -> Changes:
    """Return changed fields as ``column: (before, after)`` for the preview."""
    return {
        columns.get(field, field): (
            shown(getattr(record, field)) if record is not None else None,
            shown(value),
        )
        for field, value in changes.items()
    }


def collect(problems: list[RowProblem], look_up: Callable[[], T]) -> T | None:
    """Return ``look_up()``; on ``RowInvalid`` add its problems and return None."""
    try:
        return look_up()
    except RowInvalid as error:
        problems.extend(error.problems)
        return None


def raise_if(problems: list[RowProblem]) -> None:
    """Raise ``RowInvalid`` when any problem was collected."""
    if problems:
        raise RowInvalid(problems)


def required(values: dict[str, Any], column: str, problems: list[RowProblem]) -> Any:
    """Return the row's value for ``column``; add a problem when it is missing."""
    from grants.i18n import _

    value = values.get(column)
    if value is None:
        problems.append((column, None, _("a value is required to create the record")))
    return value


class SheetImporter:
    """One sheet's importer: ``preload`` looks up what rows refer to, ``apply`` does one row."""

    columns: dict[str, str] = {}

    def __init__(self, refs: RowRefs) -> None:
        self.refs = refs
        self.session = refs.session
        self.principal = refs.principal

    def preload(self, rows: list[dict[str, Any]]) -> None:
        """Load, in a few queries, the records the rows refer to."""
        references = [row["project_reference"] for row in rows if "project_reference" in row]
        self.refs.load_projects(references)

    def check(self, values: dict[str, Any]) -> Outcome | None:
        """Return the outcome of a row that needs no write of its own, or None.

        A row whose outcome is returned changes nothing, or is checked here by the services'
        rules and written by ``write`` with the sheet's other such rows; None sends the row
        to ``apply``, in a savepoint of its own.
        """
        return None

    def apply(self, values: dict[str, Any]) -> Outcome:  # pragma: no cover - abstract
        """Create or update the row's record through the services; return what changed."""
        raise NotImplementedError

    def write(self) -> None:
        """Write the rows ``check`` accepted, together, once every row of the sheet is checked."""
