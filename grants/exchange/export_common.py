"""What every exported table shares: its shape and the few query helpers the sheets use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select

from grants.services import scope
from grants.services.access import Principal

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Table:
    """A sheet's column names and rows."""

    columns: Sequence[str]
    rows: Rows


def columns_of(*attributes: Any) -> Any:
    """Return a select of many columns (SQLModel's ``select`` takes at most four)."""
    return sa_select(*attributes)


def visible_ids(principal: Principal) -> Any:
    """Return a subquery of the ids of the projects the principal may see."""
    return scope.visible_project_ids(principal)


def grouped(pairs: Sequence[tuple[int, Any]]) -> dict[int, list[Any]]:
    """Return ``(owner, value)`` pairs as each owner's values, in their order."""
    by_owner: dict[int, list[Any]] = {}
    for owner, value in pairs:
        by_owner.setdefault(owner, []).append(value)
    return by_owner
