"""Helpers every service uses: the ``writes`` decorator, flushing, look-ups by key."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Concatenate, ParamSpec, TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel, select

from grants.audit import ACTOR_KEY, PROJECTS_KEY, REASON_KEY, note_reason
from grants.i18n import _
from grants.models.base import Reason, check_amount, check_currency
from grants.services.access import Principal
from grants.services.errors import Conflict, Invalid, NotFound, Stale
from grants.services.forms import checked_text

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=SQLModel)

__all__ = [
    "WRITERS",
    "apply_changes",
    "checked_amount",
    "checked_currency",
    "flush",
    "get_by_key",
    "get_or_404",
    "note_reason",
    "require_reason",
    "step_reason",
    "validated",
    "writes",
]

WRITERS: list[Callable[..., Any]] = []
log = logging.getLogger("grants.services")


def writes(
    fn: Callable[Concatenate[Session, Principal, P], R],
) -> Callable[Concatenate[Session, Principal, P], R]:
    """Mark a service that writes: its changes are flushed and audited as the principal's."""

    @functools.wraps(fn)
    def wrapper(session: Session, principal: Principal, /, *args: P.args, **kwargs: P.kwargs) -> R:
        keys = (ACTOR_KEY, REASON_KEY, PROJECTS_KEY)
        previous = [session.info.get(key) for key in keys]
        session.info[ACTOR_KEY] = principal
        try:
            result = fn(session, principal, *args, **kwargs)
            flush(session)
            return result
        finally:
            session.info.update(zip(keys, previous, strict=True))

    WRITERS.append(wrapper)
    return wrapper


def flush(session: Session, reason: str | None = None) -> None:
    """Flush pending changes, turning database refusals into domain errors."""
    if reason is not None:
        note_reason(session, reason)
    try:
        session.flush()
    except StaleDataError as error:
        raise Stale(
            _("Someone else changed this record meanwhile; reload and try again.")
        ) from error
    except IntegrityError as error:
        # The database's own words name tables, constraints and values: they go to the log,
        # never into an answer.
        log.warning(
            "change refused by the database",
            extra={"event": "integrity_error", "error": _integrity_detail(error)},
        )
        raise Conflict(
            _(
                "This change clashes with existing data: a code or reference that must be "
                "unique is already used, or a record it names does not exist."
            )
        ) from error


def _integrity_detail(error: IntegrityError) -> str:
    text = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
    return text[:300]


def get_or_404(session: Session, model: type[M], ident: int, label: str) -> M:
    """Return the ``model`` row with id ``ident``; raise ``NotFound`` naming ``label``."""
    obj = session.get(model, ident)
    if obj is None:
        raise NotFound(_("{label} {ident} does not exist.").format(label=label, ident=ident))
    return obj


def get_by_key(session: Session, model: type[M], column: Any, value: str, label: str) -> M:
    """Return the ``model`` row whose ``column`` equals ``value``; raise ``NotFound``."""
    obj = session.exec(select(model).where(column == value)).first()
    if obj is None:
        raise NotFound(
            _("{label} {value!r} does not exist.").format(label=label, value=value),
            field=label.lower(),
            value=value,
        )
    return obj


def require_reason(reason: str | None, field: str = "reason") -> str:
    """Return ``reason`` stripped; raise ``Invalid`` when it is missing, blank or breaks the
    rule of a ``Reason`` (its length, control characters)."""
    if reason is None or not reason.strip():
        raise Invalid(field, reason, _("a reason is required"))
    return str(checked_text(field, reason.strip(), Reason))


def step_reason(reason: str | None, *, required: bool) -> str | None:
    """Return the reason (or note) a workflow step carries, stripped, or None when there is
    none; raise ``Invalid`` when a required one is missing or any breaks the rule of a
    ``Reason``."""
    if required or (reason is not None and reason.strip()):
        return require_reason(reason)
    return None


def checked_currency(currency: str) -> str:
    """Return the ISO 4217 code ``currency``; raise ``Invalid`` naming the field."""
    try:
        return check_currency(currency)
    except ValueError as error:
        raise Invalid("currency", currency, str(error)) from error


def checked_amount(field: str, amount: Decimal, currency: str) -> Decimal:
    """Return ``amount`` if valid for ``currency``; raise ``Invalid`` naming ``field``."""
    try:
        return check_amount(Decimal(amount), currency)
    except ValueError as error:
        raise Invalid(field, amount, str(error)) from error


def apply_changes(obj: SQLModel, model: type[SQLModel], changes: dict[str, Any]) -> None:
    """Validate ``obj`` with ``changes`` as a whole ``model``, then set the changed fields."""
    merged = validated(model, {**obj.model_dump(), **changes})
    for key in changes:
        setattr(obj, key, getattr(merged, key))


def validated(model: type[M], data: dict[str, Any]) -> M:
    """Return ``data`` validated as ``model``; raise ``Invalid`` naming the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "value"
        value = first.get("input")
        shown = value.isoformat() if isinstance(value, dt.date) else value
        shown = str(shown) if isinstance(shown, Decimal) else shown
        raise Invalid(field, shown, first["msg"].removeprefix("Value error, ")) from error
