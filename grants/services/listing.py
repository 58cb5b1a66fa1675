"""Pages of rows: a count and one page of a scoped, filtered, sorted select, in two queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col

M = TypeVar("M", bound=SQLModel)


class Paging(BaseModel):
    limit: int = 50
    offset: int = 0


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and the number of rows on every page together."""

    items: list[T]
    total: int
    paging: Paging


MAX_LIMIT = 200
DOWNLOAD_LIMIT = 10_000
"""The most rows a list's download holds."""


class Filters(BaseModel):
    """Filters and paging from a request; unknown ones are refused, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    sort: str = "id"
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="Items to skip.")

    @property
    def paging(self) -> Paging:
        return Paging(limit=self.limit, offset=self.offset)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        return value


F = TypeVar("F", bound=Filters)


def whole(filters: F) -> F:
    """Return ``filters`` asking for every row from the first (up to ``DOWNLOAD_LIMIT``)."""
    return filters.model_copy(update={"limit": DOWNLOAD_LIMIT, "offset": 0})


def ordering(model: type[SQLModel], sort: str) -> list[Any]:
    """Return ORDER BY terms for ``sort`` (``name`` or ``-name``), with the id as tiebreak."""
    column = col(getattr(model, sort.removeprefix("-")))
    terms = [column.desc() if sort.startswith("-") else column.asc()]
    if sort.removeprefix("-") != "id":
        terms.append(col(model.id).asc())  # type: ignore[attr-defined]
    return terms


UNLISTED = frozenset({"pdf", "password_hash", "token_hash", "stored_name", "csrf_token"})
"""Columns a list never reads: large (a report's PDF) or secret."""


def page(
    session: Session, statement: Any, model: type[SQLModel], sort: str, paging: Paging
) -> Page[dict[str, Any]]:
    """Return one page of ``statement``'s rows, sorted, and the total of all its rows.

    Rows come back as mappings of the table's columns, not as ORM objects: a page of 200
    rows then costs two plain queries and no object bookkeeping.
    """
    connection = session.connection()
    total = connection.execute(
        statement.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    ).scalar_one()
    table = model.__table__  # type: ignore[attr-defined]
    columns = [column for column in table.c if column.name not in UNLISTED]
    rows = connection.execute(
        statement.with_only_columns(*columns)
        .order_by(*ordering(model, sort))
        .limit(paging.limit)
        .offset(paging.offset)
    )
    names = list(rows.keys())
    items = [dict(zip(names, row, strict=True)) for row in rows]
    return Page(items=items, total=int(total), paging=paging)


def page_of_list(rows: list[M], paging: Paging) -> Page[M]:
    """Return one page of rows already in memory (short lists filtered in Python)."""
    return Page(
        items=rows[paging.offset : paging.offset + paging.limit], total=len(rows), paging=paging
    )
