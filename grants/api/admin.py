"""User accounts (administrators only) and issued reports, whose PDF never changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from grants.api.cache import cached_read
from grants.api.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    Ident,
    IfMatch,
    OptionalIfMatch,
    Page,
    matching,
    one,
    page_of,
)
from grants.api.deps import ApiPrincipal
from grants.api.schemas import UserIn, UserPatch
from grants.http.deps import ReadDB, WriteDB
from grants.http.downloads import send
from grants.i18n import _
from grants.models import (
    IssuedReport,
    IssuedReportRead,
    User,
    UserCreate,
    UserRead,
    utcnow,
)
from grants.services import references, scope, search, sessions, users
from grants.services.access import Principal
from grants.services.common import get_or_404
from grants.services.errors import NotAllowed

router = APIRouter(responses=READ_ERRORS)
ADMIN_ERRORS = WRITE_ERRORS


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise NotAllowed(_("Only an administrator may manage user accounts."))


@router.get("/users", response_model=Page[UserRead], responses={403: WRITE_ERRORS[403]})
def list_users(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.UserFilters, Query()],
) -> Response:
    """List user accounts (administrators)."""
    _require_admin(principal)
    return page_of(request, search.users(db, filters), UserRead)


@router.get("/users/{user_id}", response_model=UserRead, responses={403: WRITE_ERRORS[403]})
def get_user(
    request: Request, response: Response, user_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one user account (administrators)."""
    _require_admin(principal)
    return one(request, response, get_or_404(db, User, user_id, "User"), UserRead)


@router.post("/users", response_model=UserRead, status_code=201, responses=ADMIN_ERRORS)
def create_user(
    request: Request, response: Response, body: UserIn, principal: ApiPrincipal, db: WriteDB
) -> Response:
    """Create a user with one role, in an organisation unless the role is admin."""
    _require_admin(principal)
    organisation = (
        references.named_organisation(db, principal, body.organisation_id, "organisation_id")
        if body.organisation_id
        else None
    )
    data = UserCreate.model_validate(body.model_dump(exclude={"role", "organisation_id"}))
    user = users.create_user(db, principal, data, body.role, organisation)
    return one(request, response, user, UserRead)


@router.patch("/users/{user_id}", response_model=UserRead, responses=ADMIN_ERRORS)
def patch_user(
    request: Request,
    response: Response,
    user_id: Ident,
    body: UserPatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
) -> Response:
    """Change a user's name or language (administrators)."""
    _require_admin(principal)
    user = get_or_404(db, User, user_id, "User")
    version = matching(user, UserRead, if_match)
    return one(request, response, users.update_user(db, principal, user, body, version), UserRead)


@router.post("/users/{user_id}/deactivate", response_model=UserRead, responses=ADMIN_ERRORS)
def deactivate_user(
    request: Request,
    response: Response,
    user_id: Ident,
    principal: ApiPrincipal,
    db: WriteDB,
    expected: OptionalIfMatch,
) -> Response:
    """Stop a user signing in: end their sessions and revoke their API tokens."""
    _require_admin(principal)
    user = get_or_404(db, User, user_id, "User")
    matching(user, UserRead, expected)
    user = sessions.deactivate_user(db, principal, user, utcnow())
    return one(request, response, user, UserRead)


@router.get("/issued-reports", response_model=Page[IssuedReportRead])
@cached_read
def list_issued_reports(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.IssuedReportFilters, Query()],
) -> Response:
    """List the issued reports you may download, newest first."""
    rows = search.issued_reports(db, principal, filters)
    return page_of(request, rows, IssuedReportRead)


@router.get("/issued-reports/{report_id}", response_model=IssuedReportRead)
@cached_read
def get_issued_report(
    request: Request, response: Response, report_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return an issued report's record: kind, scope, period, sha256, who and when."""
    report = scope.get_visible(db, principal, IssuedReport, report_id)
    return one(request, response, report, IssuedReportRead)


@router.get(
    "/issued-reports/{report_id}/pdf",
    responses={
        200: {"description": "The frozen PDF.", "content": {"application/pdf": {}}},
        304: {"description": "Not modified: `If-None-Match` holds the PDF's ETag."},
    },
)
def download_issued_report(
    request: Request, report_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Download the frozen PDF: the same bytes on every download, its ETag its sha256."""
    report = scope.get_visible(db, principal, IssuedReport, report_id)
    return send(request, report.pdf, "application/pdf", report.filename)
