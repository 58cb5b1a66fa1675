"""Import a workbook through the services: every row checked, all problems at once, all or nothing.

Rows are matched to records by their keys (organisation ref, project reference, and within
a project a partner's organisation, a milestone's or tranche's number, a budget line's code).
A new key creates a record, a changed value updates one, an identical row changes nothing,
so importing the same file twice writes nothing the second time. Every row is checked and
every refusal reported: a sheet's importer either checks a row by the services' rules
against facts loaded once for the sheet and writes the rows it accepted together once the
sheet is checked (milestones), or applies the row through a service in a savepoint of its
own, so a refused row leaves nothing behind. The whole import is one transaction that is
kept only when no row was refused (and never on a dry run).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session

from grants.audit import REASON_KEY
from grants.exchange import import_sheets
from grants.exchange.import_common import SheetImporter
from grants.exchange.import_rows import RowInvalid, RowRefs
from grants.exchange.layout import IMPORT_SHEETS, Sheet
from grants.exchange.values import CellError, read_cell
from grants.exchange.workbook import Problem, RawSheet, Workbook
from grants.i18n import _
from grants.services.access import Principal, works_as_manager
from grants.services.errors import DomainError, Invalid, NotAllowed

Action = Literal["create", "update", "unchanged"]
ACTIONS: tuple[Action, ...] = ("create", "update", "unchanged")


@dataclass(frozen=True)
class RowChange:
    """What one row did (or would do): its record's key, the action and changed columns."""

    sheet: str
    row: int
    key: str
    action: Action
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class ImportResult:
    """The outcome of an import: every row's change, every problem, and whether it was kept."""

    changes: list[RowChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        """Whether no row was refused."""
        return not self.problems

    def counts(self) -> dict[str, dict[Action, int]]:
        """Return, per sheet in import order, how many rows create, update or change nothing."""
        tally = Counter((change.sheet, change.action) for change in self.changes)
        sheets = dict.fromkeys(change.sheet for change in self.changes)
        return {sheet: {action: tally[sheet, action] for action in ACTIONS} for sheet in sheets}

    def fingerprint(self) -> str:
        """Return a digest of the planned changes, to check a confirmation matches its preview."""
        import hashlib

        text = repr(
            [(c.sheet, c.row, c.key, c.action, sorted(c.changes.items())) for c in self.changes]
        )
        return hashlib.sha256(text.encode()).hexdigest()


class ImportRefused(DomainError):
    """The file has problems; nothing was written. ``result.problems`` lists all of them."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(
            _("The import was refused: {count} problem(s); nothing was written.").format(
                count=len(result.problems)
            )
        )
        self.result = result


def may_import(principal: Principal) -> bool:
    """Return whether the principal may import (grant managers and administrators)."""
    return works_as_manager(principal)


def import_workbook(
    session: Session,
    principal: Principal,
    book: Workbook,
    *,
    dry_run: bool,
    source: str,
) -> ImportResult:
    """Check every row of ``book`` and apply it through the services; keep it all or nothing.

    With ``dry_run`` nothing is kept and the result says what would happen. Without it, a
    file with any problem raises ``ImportRefused`` and nothing is kept.
    """
    if not may_import(principal):
        raise NotAllowed(_("Only a grant manager or an administrator may import data."))
    result = ImportResult(
        problems=list(book.problems), notes=list(book.notes), skipped=list(book.skipped)
    )
    if book.problems:
        if dry_run:
            return result
        raise ImportRefused(result)
    outer = session.begin_nested()
    previous_reason = session.info.get(REASON_KEY)
    session.info[REASON_KEY] = _("Imported from {source}").format(source=source)
    try:
        refs = RowRefs(session, principal)
        for sheet in IMPORT_SHEETS:
            if sheet.name in book.sheets:
                _import_sheet(session, refs, book.sheets[sheet.name], result)
    except BaseException:
        outer.rollback()
        raise
    finally:
        session.info[REASON_KEY] = previous_reason
    if dry_run or result.problems:
        outer.rollback()
    else:
        outer.commit()
        result.applied = True
    if result.problems and not dry_run:
        raise ImportRefused(result)
    return result


def _import_sheet(session: Session, refs: RowRefs, raw: RawSheet, result: ImportResult) -> None:
    """Check and apply one sheet's rows in key order, each in a savepoint of its own."""
    sheet = raw.sheet
    handler = import_sheets.HANDLERS[sheet.name](refs)
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for number, cells in raw.rows:
        values = _read_row(raw, number, cells, result)
        if values is None:
            continue
        key = tuple(values.get(name) for name in sheet.keys)
        if key in seen:
            reason = _("the same key as row {row}").format(row=seen[key])
            result.problems.append(Problem(raw.source, number, sheet.keys[-1], key[-1], reason))
            continue
        seen[key] = number
        parsed.append((number, values))
    handler.preload([values for _number, values in parsed])
    for number, values in sorted(parsed, key=lambda item: _sort_key(sheet, item[1])):
        _import_row(session, raw, number, values, handler, result)
    handler.write()


def _sort_key(sheet: Sheet, values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(f"{values.get(name)!s:>12}" for name in sheet.keys)


def _read_row(
    raw: RawSheet, number: int, cells: dict[str, Any], result: ImportResult
) -> dict[str, Any] | None:
    """Return the row's values read by column kind, or None after recording its problems."""
    values: dict[str, Any] = {}
    problems = []
    for name, cell in cells.items():
        column = raw.sheet.column(name)
        assert column is not None
        try:
            values[name] = read_cell(column, cell)
        except CellError as error:
            problems.append(Problem(raw.source, number, name, cell, str(error)))
    for column in raw.sheet.columns:
        name = column.name
        needed = column.use == "key" or (
            column.required and column.use == "field" and name in cells
        )
        if needed and values.get(name) is None and not any(p.column == name for p in problems):
            problems.append(Problem(raw.source, number, name, None, _("a value is required")))
    result.problems.extend(problems)
    return None if problems else values


def _import_row(
    session: Session,
    raw: RawSheet,
    number: int,
    values: dict[str, Any],
    handler: SheetImporter,
    result: ImportResult,
) -> None:
    """Check one row, and apply it in a savepoint unless the sheet writes it later."""
    key = " / ".join(str(values[name]) for name in raw.sheet.keys)
    try:
        outcome = handler.check(values)
        if outcome is None:
            with session.begin_nested():
                outcome = handler.apply(values)
    except RowInvalid as error:
        result.problems.extend(
            Problem(raw.source, number, column, value, reason)
            for column, value, reason in error.problems
        )
        return
    except DomainError as error:
        result.problems.append(_problem(raw, number, values, error))
        return
    action, changes = outcome
    result.changes.append(RowChange(raw.sheet.name, number, key, action, changes))


def _problem(raw: RawSheet, number: int, values: dict[str, Any], error: DomainError) -> Problem:
    """Return a service's refusal as a problem naming the column it concerns, if any."""
    column = import_sheets.column_for(raw.sheet, error.field)
    if isinstance(error, Invalid):
        shown = values.get(column) if column in values else error.value
        return Problem(raw.source, number, column, shown, error.reason)
    return Problem(raw.source, number, column, None, error.message)
