"""What importing a row needs: look-ups by reference (loaded once per sheet) and model checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlmodel import Session, SQLModel, col, select

from grants.db import chunks
from grants.i18n import _
from grants.models import Call, Organisation, Project, User
from grants.services import scope
from grants.services.access import Principal

M = TypeVar("M", bound=SQLModel)
RowProblem = tuple[str | None, Any, str]


class RowInvalid(Exception):
    """A row breaks one or more rules: ``problems`` holds (column, value, reason) for each."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__("; ".join(reason for _column, _value, reason in problems))
        self.problems = list(problems)


def _reason(error: Any) -> str:
    if error["type"] == "missing":
        return _("a value is required")
    return str(error["msg"]).removeprefix("Value error, ")


def validate(model: type[M], data: dict[str, Any], columns: dict[str, str]) -> M:
    """Return ``data`` validated as ``model``; raise ``RowInvalid`` naming every bad column."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            value = item.get("input") if item["type"] != "missing" else None
            shown = str(value) if isinstance(value, Decimal) else value
            problems.append((columns.get(field, field) or None, shown, _reason(item)))
        raise RowInvalid(problems) from error


class RowRefs:
    """The records rows refer to, looked up in a few queries per sheet rather than per row."""

    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.projects: dict[str, Project] = {}
        self.users: dict[str, User] = {}
        self._organisations: dict[str, Organisation] | None = None
        self._calls: dict[str, Call] | None = None

    @property
    def organisations(self) -> dict[str, Organisation]:
        """Every organisation by ref (reference data every manager may use)."""
        if self._organisations is None:
            rows = self.session.exec(select(Organisation)).all()
            self._organisations = {row.ref: row for row in rows}
        return self._organisations

    @property
    def calls(self) -> dict[str, Call]:
        """The calls the principal may see, by code."""
        if self._calls is None:
            rows = self.session.exec(scope.visible(self.principal, Call)).all()
            self._calls = {row.code: row for row in rows}
        return self._calls

    def load_projects(self, references: Iterable[str]) -> None:
        """Load the visible projects with these references (a project out of scope is unknown)."""
        wanted = {str(reference) for reference in references} - self.projects.keys()
        for batch in chunks(sorted(wanted)):
            query = scope.visible(self.principal, Project).where(col(Project.reference).in_(batch))
            self.projects.update((row.reference, row) for row in self.session.exec(query))

    def load_users(self, emails: Iterable[str]) -> None:
        """Load the users with these emails."""
        wanted = {email.strip().lower() for email in emails} - self.users.keys()
        for batch in chunks(sorted(wanted)):
            rows = self.session.exec(select(User).where(col(User.email).in_(batch)))
            self.users.update((row.email, row) for row in rows)

    def project(self, reference: str, column: str = "project_reference") -> Project:
        """Return the project with ``reference``; raise ``RowInvalid`` naming ``column``."""
        found = self.projects.get(reference)
        if found is None:
            raise RowInvalid([(column, reference, _("no project has this reference"))])
        return found

    def organisation(self, ref: str, column: str) -> Organisation:
        """Return the organisation with ``ref``; raise ``RowInvalid`` naming ``column``."""
        found = self.organisations.get(ref)
        if found is None:
            raise RowInvalid([(column, ref, _("no organisation has this ref"))])
        return found

    def call(self, code: str) -> Call:
        """Return the call with ``code``; raise ``RowInvalid`` on the call column."""
        found = self.calls.get(code)
        if found is None:
            raise RowInvalid([("call", code, _("no call has this code"))])
        return found

    def user(self, email: str, column: str) -> User:
        """Return the user with ``email``; raise ``RowInvalid`` naming ``column``."""
        found = self.users.get(email.strip().lower())
        if found is None:
            raise RowInvalid([(column, email, _("no user has this email"))])
        return found


def fixed_after_creation(column: str, current: Any, given: Any) -> RowProblem:
    """Return the problem of a row changing a value that only creation may set."""
    reason = _("cannot be changed once the record exists (it is {current})").format(
        current=current if current not in (None, "") else _("empty")
    )
    return (column, given, reason)
