"""The grant manager's workflow steps as forms: review milestones and progress updates,
approve and pay tranches, and move a project through its life.

Each step has a page (``GET``) that shows what is being decided, with a reason field when
the step needs one, and a ``POST`` that takes the step through the service and goes back to
the project. The forms carry the record's version, so a step on a record someone else has
just changed is refused with its current values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, SQLModel

from grants.http.deps import PathId, ReadDB, SignedIn, WriteDB, today_of
from grants.models import Milestone, ProgressUpdate, Project, Tranche
from grants.services import forms as typed
from grants.services import milestones, progress, projects, scope, tranches
from grants.services.access import Principal, require_manager
from grants.services.errors import DomainError, Invalid
from grants.services.workflow import MILESTONE, PROGRESS_UPDATE, PROJECT, TRANCHE, Workflow
from grants.web import step_texts
from grants.web.deps import CsrfProtected
from grants.web.forms import Refusal, done, page, refused, version_of

router = APIRouter()


@dataclass(frozen=True)
class StepForm:
    """What was typed into a step's form."""

    reason: str = ""
    version: str = ""
    paid_amount: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Kind:
    """A kind of record whose workflow the manager's forms drive."""

    path: str
    model: type[SQLModel]
    workflow: Workflow
    anchor: str
    take: Callable[[Session, Principal, Any, str, StepForm, Request], Any]


def _reason(form: StepForm) -> str | None:
    return form.reason.strip() or None


def _take_milestone(db: Session, p: Principal, m: Any, step: str, f: StepForm, r: Request) -> Any:
    return milestones.advance_milestone(
        db, p, m, step, today=today_of(r), reason=_reason(f), expected_version=version_of(f.version)
    )


def _take_update(db: Session, p: Principal, u: Any, step: str, f: StepForm, r: Request) -> Any:
    return progress.advance_update(
        db, p, u, step, today=today_of(r), reason=_reason(f), expected_version=version_of(f.version)
    )


def _take_project(db: Session, p: Principal, o: Any, step: str, f: StepForm, r: Request) -> Any:
    return projects.advance_project(
        db, p, o, step, today=today_of(r), reason=_reason(f), expected_version=version_of(f.version)
    )


def _take_tranche(db: Session, p: Principal, t: Any, step: str, f: StepForm, r: Request) -> Any:
    amount = None
    if f.paid_amount.strip():
        try:
            amount = typed.parse_amount(f.paid_amount)
        except ValueError:
            raise Invalid("paid_amount", f.paid_amount, typed.amount_message()) from None
    return tranches.advance_tranche(
        db,
        p,
        t,
        step,
        today=today_of(r),
        reason=_reason(f),
        paid_amount=amount,
        reference=f.reference,
        expected_version=version_of(f.version),
    )


KINDS = (
    Kind("milestones", Milestone, MILESTONE, "milestones", _take_milestone),
    Kind("tranches", Tranche, TRANCHE, "tranches", _take_tranche),
    Kind("progress-updates", ProgressUpdate, PROGRESS_UPDATE, "updates", _take_update),
    Kind("projects", Project, PROJECT, "overview", _take_project),
)
MANAGER_STEPS = {
    "milestones": ("accept", "return", "cancel"),
    "tranches": ("approve", "pay", "cancel"),
    "progress-updates": ("approve", "return"),
    "projects": tuple(PROJECT.steps),
}


def _path(kind: Kind, step: str) -> str:
    ident = "{ident}"
    if kind.path == "projects":
        return f"/projects/{ident}/workflow/{step}"
    return f"/{kind.path}/{ident}/{step}"


def _show(
    request: Request,
    db: Session,
    principal: Principal,
    kind: Kind,
    step: str,
    obj: Any,
    form: StepForm | None = None,
    refusal: Refusal | None = None,
) -> Response:
    project = scope.project_of(db, principal, obj)
    return page(
        request,
        "step.html",
        refusal,
        kind=kind.path,
        step=step,
        text=step_texts.text(kind.path, step, obj),
        obj=obj,
        project=project,
        facts=step_texts.facts(db, principal, kind.path, obj),
        files=step_texts.files(db, principal, kind.path, obj),
        needs_reason=kind.workflow.steps[step].needs_reason,
        form=form or StepForm(version=str(obj.version)),
        back=f"/projects/{project.id}#{kind.anchor}",
    )


def _register(kind: Kind, step: str) -> None:
    path = _path(kind, step)

    def show(request: Request, ident: PathId, principal: SignedIn, db: ReadDB) -> Response:
        obj = scope.get_visible(db, principal, kind.model, ident)
        require_manager(db, principal, scope.project_of(db, principal, obj))
        return _show(request, db, principal, kind, step, obj)

    def take(
        request: Request,
        ident: PathId,
        principal: SignedIn,
        db: WriteDB,
        reason: Annotated[str, Form()] = "",
        version: Annotated[str, Form()] = "",
        paid_amount: Annotated[str, Form()] = "",
        reference: Annotated[str, Form()] = "",
    ) -> Response:
        form = StepForm(reason, version, paid_amount, reference)
        obj = scope.get_visible(db, principal, kind.model, ident)
        project_id = scope.project_of(db, principal, obj).id
        try:
            kind.take(db, principal, obj, step, form, request)
        except DomainError as error:
            # The record as it is now, read once after the refusal has rolled back.
            fresh: Callable[[], Any] = cache(
                partial(scope.get_visible, db, principal, kind.model, ident)
            )
            refusal = refused(
                db,
                error,
                {"reason", "paid_amount", "reference"},
                lambda: step_texts.facts(db, principal, kind.path, fresh()),
            )
            if refusal.current is not None:
                form = replace(form, version=str(fresh().version))
            return _show(request, db, principal, kind, step, fresh(), form, refusal)
        message = step_texts.done_message(kind.path, step, obj)
        return done(request, f"/projects/{project_id}#{kind.anchor}", message)

    name = f"{kind.path.replace('-', '_')}_{step}"
    router.add_api_route(
        path, show, methods=["GET"], name=f"{name}_form", response_class=HTMLResponse
    )
    router.add_api_route(path, take, methods=["POST"], name=name, dependencies=[CsrfProtected])


for _kind in KINDS:
    for _step in MANAGER_STEPS[_kind.path]:
        _register(_kind, _step)
