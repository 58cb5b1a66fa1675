"""Rules every service shares: versions, open and reporting projects, money, schedules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from grants.i18n import _
from grants.models import Project, ProjectStatus, Tranche, TrancheStatus
from grants.services.common import checked_amount
from grants.services.errors import Conflict, Invalid, Stale
from grants.services.workflow import REPORTING_OPEN

M = TypeVar("M", bound=SQLModel)

CLOSED_STATES = frozenset({ProjectStatus.CLOSED, ProjectStatus.CANCELLED})


def check_version(obj: object, expected: int | None) -> None:
    """Raise ``Stale`` when ``expected`` is given and the row's version differs."""
    current = getattr(obj, "version", None)
    if expected is not None and expected != current:
        raise Stale(
            _(
                "This record was changed by someone else (version {current}, you had "
                "{expected}); reload and try again."
            ).format(current=current, expected=expected)
        )


def check_project_money(project: Project, field: str, amount: Decimal, currency: str) -> None:
    """Raise ``Invalid`` unless ``amount`` is a valid amount in the project's own currency."""
    if currency != project.currency:
        raise Invalid(
            "currency",
            currency,
            _("must be the project's currency ({currency})").format(currency=project.currency),
        )
    checked_amount(field, amount, currency)


def require_reporting(project: Project) -> None:
    """Raise ``Conflict`` unless partners may report on ``project`` (active or finalising)."""
    if project.status not in REPORTING_OPEN:
        raise Conflict(
            _(
                "Project {ref} is {status}: partners report only while it is active or finalising."
            ).format(ref=project.reference, status=project.status.value)
        )


def require_open(project: Project) -> None:
    """Raise ``Conflict`` when ``project`` is closed or cancelled."""
    if project.status in CLOSED_STATES:
        raise Conflict(
            _("Project {ref} is {status}; it can no longer change.").format(
                ref=project.reference, status=project.status.value
            )
        )


def tranche_total(session: Session, project: Project) -> Decimal:
    """Return the sum of the project's tranches that are not cancelled."""
    total = session.exec(
        select(func.coalesce(func.sum(Tranche.amount), 0)).where(
            Tranche.project_id == project.id, Tranche.status != TrancheStatus.CANCELLED
        )
    ).one()
    return Decimal(total)


def rows_of(session: Session, model: type[M], project: Project, order: Any) -> list[M]:
    """Return the ``model`` rows belonging to ``project``, sorted by ``order``."""
    query = select(model).where(model.project_id == project.id)  # type: ignore[attr-defined]
    return list(session.exec(query.order_by(col(order))).all())
