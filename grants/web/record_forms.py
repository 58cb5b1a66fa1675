"""Create and edit forms for records, described as data and drawn by one template.

A page lists its ``Field``s; ``submit`` reads what was typed, validates it against the
service's input model, and calls the service. A refusal shows the form again with what was
typed and a message next to each field at fault; a concurrent edit also shows the record's
current values, and the form then carries the new version so saving again overwrites them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session
from starlette.datastructures import FormData

from grants.i18n import _
from grants.services import forms as typed
from grants.services.errors import DomainError, Invalid
from grants.web.forms import Current, Refusal, done, page, refused, version_of


@dataclass(frozen=True)
class Field:
    """One input of a form: text, textarea, date, amount, number, select or checkboxes."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    hint: str | None = None
    options: list[tuple[Any, str]] = field(default_factory=list)
    maxlength: int | None = None


@dataclass
class Form:
    """A form page: its fields, the values shown, and where it goes back to."""

    title: str
    fields: list[Field]
    values: dict[str, Any]
    back: str
    submit: str = ""
    version: int | None = None
    intro: str | None = None


async def _posted(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]


def typed_values(form: Form, posted: FormData) -> dict[str, Any]:
    """Return what was typed, field by field: text as typed, checkboxes as lists."""
    values: dict[str, Any] = {}
    for item in form.fields:
        if item.kind == "checkboxes":
            values[item.name] = [str(v) for v in posted.getlist(item.name)]
        else:
            raw = posted.get(item.name, "")
            values[item.name] = raw if isinstance(raw, str) else ""
    return values


def parse(model: type[BaseModel], form: Form, values: dict[str, Any]) -> Any:
    """Return ``values`` validated as ``model``; raise ``Invalid`` naming the first bad field."""
    scalars = {k: v for k, v in values.items() if not isinstance(v, list)}
    amounts = [f.name for f in form.fields if f.kind == "amount"]
    numbers = [f.name for f in form.fields if f.kind == "number"]
    parsed, errors = typed.checked(model, scalars, amounts=amounts, numbers=numbers)
    errors = _blank_required(form, values) | errors
    if errors:
        raise FormErrors(errors)
    if parsed is None:
        raise FormErrors({"form": _("Check the values.")})
    return parsed


def _blank_required(form: Form, values: dict[str, Any]) -> dict[str, str]:
    """Return a message for each field the form requires that was left blank.

    An edit's input model leaves every field optional (a missing one stays as it is), so a
    title cleared on the page would otherwise be saved as "unchanged"; the form marks the
    field required, and the server holds to it as the browser does.
    """
    return {
        item.name: _("Fill in this field.")
        for item in form.fields
        if item.required
        and item.kind != "checkboxes"
        and isinstance(values.get(item.name), str)
        and not values[item.name].strip()
    }


class FormErrors(Exception):
    """Several fields at fault at once, each with its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def show(request: Request, form: Form, refusal: Refusal | None = None) -> Response:
    """Render ``form`` (again, after a refusal)."""
    return page(request, "record_form.html", refusal, form=form)


def submit(
    request: Request,
    db: Session,
    form: Form,
    posted: FormData,
    save: Callable[[dict[str, Any], int | None], Any],
    *,
    target: Callable[[Any], str],
    message: str,
    current: Callable[[], Current] | None = None,
    aliases: dict[str, str] | None = None,
) -> Response:
    """Save what was posted through ``save(values, version)``; redirect, or show the refusal."""
    form.values = typed_values(form, posted)
    version = version_of(str(posted.get("version", "")))
    try:
        saved = save(form.values, version)
    except FormErrors as error:
        db.rollback()
        return show(request, form, Refusal(_known(form, error.errors)))
    except DomainError as error:
        names = {f.name for f in form.fields}
        refusal = refused(db, error, names, current, aliases)
        if refusal.current is not None:
            form.version = _fresh_version(refusal.current, form.version)
            refusal.current = [(k, v) for k, v in refusal.current if k != VERSION_LABEL]
        return show(request, form, refusal)
    return done(request, target(saved), message)


def _known(form: Form, errors: dict[str, str]) -> dict[str, str]:
    names = {f.name for f in form.fields}
    known = {k: v for k, v in errors.items() if k in names}
    rest = [v for k, v in errors.items() if k not in names]
    return known | ({"form": " ".join(rest)} if rest else {})


VERSION_LABEL = "__version__"


def _fresh_version(current: Current, fallback: int | None) -> int | None:
    for label, value in current:
        if label == VERSION_LABEL:
            return int(value)
    return fallback


def current_values(form: Form, record: Any) -> Current:
    """Return ``record``'s values for the form's fields, labelled, and its version."""
    shown: Current = []
    for item in form.fields:
        value = getattr(record, item.name, None)
        labels = {str(k): v for k, v in item.options}
        shown.append((item.label, labels.get(str(value), value)))
    return [*shown, (VERSION_LABEL, record.version)]


def invalid(field_name: str, message: str) -> Invalid:
    """Return a refusal of one field with ``message`` (raised by a page's checks)."""
    return Invalid(field_name, None, message)


def options(rows: Iterable[Any], label: Callable[[Any], str]) -> list[tuple[Any, str]]:
    """Return (id, label) choices for a select."""
    return [(row.id, label(row)) for row in rows]
