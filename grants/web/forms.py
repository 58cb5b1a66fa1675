"""Form handling the manager's pages share: refusals next to fields, conflicts, Post/Redirect/Get.

A refused form writes nothing: the transaction is rolled back and the page is shown again with
what was typed, a message next to each field at fault, and, when someone else changed the
record meanwhile, its current values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from grants.http.deps import current
from grants.i18n import _
from grants.models.base import MAX_ID
from grants.services.errors import DomainError, Invalid, NotAllowed, NotFound, Stale, TooLarge
from grants.web import flash
from grants.web.templating import templates

Current = list[tuple[str, Any]]
"""A record's current values as (label, value) pairs, shown after a concurrent edit."""


@dataclass
class Refusal:
    """Why a form was refused: a message per field, one for the whole form, a status."""

    fields: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    status: int = 422
    current: Current | None = None

    @property
    def summary(self) -> dict[str, str]:
        """Return every message, the whole form's first, for the summary above the form."""
        return ({"form": self.message} if self.message else {}) | self.fields


def sentence(text: str) -> str:
    """Return ``text`` starting with a capital and ending with a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def refused(
    db: Session,
    error: DomainError,
    fields: set[str],
    current: Callable[[], Current] | None = None,
    aliases: dict[str, str] | None = None,
) -> Refusal:
    """Undo the request's writes and say what went wrong, next to the field it names.

    Not found and not allowed are no form's business: they become the 404 and 403 pages.
    ``aliases`` maps a service's field name to the form's; ``current`` reads the record again
    after a concurrent edit.
    """
    db.rollback()
    if isinstance(error, NotFound | NotAllowed):
        raise error
    if isinstance(error, Stale):
        return Refusal(
            message=_("Someone else changed this record while you were working on it."),
            status=409,
            current=current() if current else None,
        )
    if not isinstance(error, Invalid):
        return Refusal(message=sentence(error.message), status=409)
    name = (aliases or {}).get(error.field or "", error.field or "")
    status = 413 if isinstance(error, TooLarge) else 422
    if name in fields:
        return Refusal({name: sentence(error.reason)}, status=status)
    return Refusal(message=sentence(f"{error.field}: {error.reason}"), status=status)


def id_of(text: object) -> int | None:
    """Return the row id a form field names, or None when it names none: a choice offered
    by a form is a plain number of a row, never ``²``, ``-1`` or twenty digits."""
    text = str(text).strip()
    if re.fullmatch(r"[0-9]{1,10}", text) and 1 <= int(text) <= MAX_ID:
        return int(text)
    return None


def version_of(text: str) -> int:
    """Return the version a form was read at.

    Every form of ours that changes a record carries the version it was read at. One posted
    without it, or with one that is not a plain number of a row (``²``, ``-1``, twenty
    digits), cannot show that the person saw the record as it is now: it is answered as 0,
    which matches no record, so the form is refused as stale and shows the current values.
    Forms that create a record have no version, and their services do not ask for one.
    """
    text = text.strip()
    return int(text) if re.fullmatch(r"[0-9]{1,10}", text) and int(text) <= MAX_ID else 0


def done(request: Request, target: str, message: str) -> Response:
    """Send the browser on after a successful POST, with ``message`` shown on the next page."""
    response = RedirectResponse(target, status_code=303)
    flash.add(request, response, message)
    return response


def csrf_token(request: Request) -> str:
    """Return the signed-in session's CSRF token for the page's forms."""
    found = current(request)
    return found[1].csrf_token if found else ""


def page(request: Request, template: str, refusal: Refusal | None, **context: Any) -> Response:
    """Render a form page; a refused form is answered with the refusal's status."""
    return templates().TemplateResponse(
        request,
        template,
        {"refusal": refusal or Refusal(status=200), "csrf_token": csrf_token(request), **context},
        status_code=refusal.status if refusal else 200,
    )
