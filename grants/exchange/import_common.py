"""Pieces every sheet's importer shares: given values, differences, shown values, numbering."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Literal, TypeVar

from sqlmodel import SQLModel, col, select

from grants.db import chunks
from grants.exchange.import_rows import RowInvalid, RowProblem, RowRefs
from grants.i18n import _
from grants.models import Milestone, Project, Tranche

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
    value = values.get(column)
    if value is None:
        problems.append((column, None, _("a value is required to create the record")))
    return value


class SheetImporter:
    """One sheet's importer: ``preload`` looks up what rows refer to, ``check`` and ``apply``
    take one row, ``write`` writes the rows ``check`` accepted."""

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


def next_number(column: str, number: int, last: int) -> None:
    """Raise ``RowInvalid`` unless a new row's ``number`` follows the project's ``last``."""
    if number != last + 1:
        reason = _("a new row continues the project's numbering: expected {n}").format(n=last + 1)
        raise RowInvalid([(column, number, reason)])


class NumberedImporter(SheetImporter):
    """Rows numbered within their project (milestones, tranches): found by number, new
    numbers continuing the sequence."""

    model: type[Milestone] | type[Tranche]

    def preload(self, rows: list[dict[str, Any]]) -> None:
        super().preload(rows)
        ids = [p.id for p in self.refs.projects.values()]
        self.rows: dict[tuple[int, int], Any] = {}
        self.last: dict[int, int] = {}
        for batch_row in self._existing(ids):
            self.rows[batch_row.project_id, batch_row.position] = batch_row
            self.last[batch_row.project_id] = max(
                self.last.get(batch_row.project_id, 0), batch_row.position
            )

    def _existing(self, ids: list[int]) -> list[Any]:
        model = self.model
        return [
            row
            for batch in chunks(ids)
            for row in self.session.exec(select(model).where(col(model.project_id).in_(batch)))
        ]

    def _project(self, values: dict[str, Any]) -> Project:
        return self.refs.project(values["project_reference"])

    def remember(self, row: Any) -> None:
        """Record a row just created, so the next new number follows it."""
        self.rows[row.project_id, row.position] = row
        self.last[row.project_id] = row.position
