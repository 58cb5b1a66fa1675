"""Indicators and their values, progress updates, and evidence files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from grants.api.cache import cached_read
from grants.api.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    Ident,
    IfMatch,
    Page,
    add_steps,
    matching,
    one,
    page_of,
    reason_step,
)
from grants.api.deps import ApiPrincipal
from grants.api.schemas import (
    IndicatorIn,
    IndicatorPatch,
    IndicatorValueIn,
    ProgressUpdateBody,
    ProgressUpdateIn,
)
from grants.http.deps import ReadDB, Today, WriteDB
from grants.http.downloads import attachment_response
from grants.models import (
    Attachment,
    AttachmentRead,
    Indicator,
    IndicatorRead,
    IndicatorValue,
    IndicatorValueRead,
    Milestone,
    ProgressUpdate,
    ProgressUpdateRead,
    Project,
)
from grants.services import attachments, indicators, progress, scope, search
from grants.services.workflow import PROGRESS_UPDATE

router = APIRouter(responses=READ_ERRORS)

FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file, as an attachment.", "content": {"*/*": {}}}
}


@router.get("/indicators", response_model=Page[IndicatorRead])
@cached_read
def list_indicators(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.IndicatorFilters, Query()],
) -> Response:
    """List the indicators of the projects you see."""
    return page_of(request, search.indicators(db, principal, filters), IndicatorRead)


@router.get("/indicators/{indicator_id}", response_model=IndicatorRead)
@cached_read
def get_indicator(
    request: Request, response: Response, indicator_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one indicator."""
    indicator = scope.get_visible(db, principal, Indicator, indicator_id)
    return one(request, response, indicator, IndicatorRead)


@router.post(
    "/projects/{project_id}/indicators",
    response_model=IndicatorRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def create_indicator(
    request: Request,
    response: Response,
    project_id: Ident,
    body: IndicatorIn,
    principal: ApiPrincipal,
    db: WriteDB,
) -> Response:
    """Add an indicator with its baseline and target (the project's grant manager)."""
    project = scope.get_visible(db, principal, Project, project_id)
    indicator = indicators.add_indicator(db, principal, project, body)
    return one(request, response, indicator, IndicatorRead)


@router.patch("/indicators/{indicator_id}", response_model=IndicatorRead, responses=WRITE_ERRORS)
def patch_indicator(
    request: Request,
    response: Response,
    indicator_id: Ident,
    body: IndicatorPatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
) -> Response:
    """Change an indicator's title, unit, baseline or target (the project's grant manager)."""
    indicator = scope.get_visible(db, principal, Indicator, indicator_id)
    version = matching(indicator, IndicatorRead, if_match)
    project = scope.get_visible(db, principal, Project, indicator.project_id)
    indicator = indicators.update_indicator(db, principal, project, indicator, body, version)
    return one(request, response, indicator, IndicatorRead)


@router.get("/indicator-values", response_model=Page[IndicatorValueRead])
@cached_read
def list_indicator_values(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.IndicatorValueFilters, Query()],
) -> Response:
    """List reported indicator values, by period."""
    rows = search.indicator_values(db, principal, filters)
    return page_of(request, rows, IndicatorValueRead)


@router.get("/indicator-values/{value_id}", response_model=IndicatorValueRead)
@cached_read
def get_indicator_value(
    request: Request, response: Response, value_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one reported value."""
    value = scope.get_visible(db, principal, IndicatorValue, value_id)
    return one(request, response, value, IndicatorValueRead)


@router.post(
    "/projects/{project_id}/indicator-values",
    response_model=IndicatorValueRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def report_indicator_value(
    request: Request,
    response: Response,
    project_id: Ident,
    body: IndicatorValueIn,
    principal: ApiPrincipal,
    db: WriteDB,
) -> Response:
    """Report an indicator's value for a period (a partner editor, while reporting is open)."""
    project = scope.get_visible(db, principal, Project, project_id)
    value = indicators.report_value(db, principal, project, body)
    return one(request, response, value, IndicatorValueRead)


@router.get("/progress-updates", response_model=Page[ProgressUpdateRead])
@cached_read
def list_progress_updates(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.ProgressUpdateFilters, Query()],
) -> Response:
    """List progress updates; drafts only to the organisation writing them."""
    rows = search.progress_updates(db, principal, filters)
    return page_of(request, rows, ProgressUpdateRead)


@router.get("/progress-updates/{progress_update_id}", response_model=ProgressUpdateRead)
@cached_read
def get_progress_update(
    request: Request,
    response: Response,
    progress_update_id: Ident,
    principal: ApiPrincipal,
    db: ReadDB,
) -> Response:
    """Return one progress update."""
    update = scope.get_visible(db, principal, ProgressUpdate, progress_update_id)
    return one(request, response, update, ProgressUpdateRead)


@router.post(
    "/projects/{project_id}/progress-updates",
    response_model=ProgressUpdateRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def start_progress_update(
    request: Request,
    response: Response,
    project_id: Ident,
    body: ProgressUpdateIn,
    principal: ApiPrincipal,
    db: WriteDB,
    day: Today,
) -> Response:
    """Start a draft progress update (a partner editor, while reporting is open)."""
    project = scope.get_visible(db, principal, Project, project_id)
    update = progress.start_update(
        db, principal, project, body, today=day, organisation_id=body.organisation_id
    )
    return one(request, response, update, ProgressUpdateRead)


@router.put(
    "/progress-updates/{progress_update_id}",
    response_model=ProgressUpdateRead,
    responses=WRITE_ERRORS,
)
def put_progress_update(
    request: Request,
    response: Response,
    progress_update_id: Ident,
    body: ProgressUpdateBody,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
    day: Today,
) -> Response:
    """Replace a draft or returned update's text and figures (its organisation's editors)."""
    update = scope.get_visible(db, principal, ProgressUpdate, progress_update_id)
    version = matching(update, ProgressUpdateRead, if_match)
    update = progress.edit_update(db, principal, update, body, today=day, expected_version=version)
    return one(request, response, update, ProgressUpdateRead)


add_steps(
    router,
    workflow=PROGRESS_UPDATE,
    path="progress-updates",
    model=ProgressUpdate,
    read=ProgressUpdateRead,
    take=reason_step(progress.advance_update),
)


@router.get("/attachments", response_model=Page[AttachmentRead])
@cached_read
def list_attachments(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.AttachmentFilters, Query()],
) -> Response:
    """List evidence files of the projects you see."""
    return page_of(request, search.attachments(db, principal, filters), AttachmentRead)


@router.get("/attachments/{attachment_id}", response_model=AttachmentRead)
@cached_read
def get_attachment(
    request: Request, response: Response, attachment_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one evidence file's details."""
    attachment = scope.get_visible(db, principal, Attachment, attachment_id)
    return one(request, response, attachment, AttachmentRead)


@router.get("/attachments/{attachment_id}/content", responses=FILE_RESPONSE)
def get_attachment_content(attachment_id: Ident, principal: ApiPrincipal, db: ReadDB) -> Response:
    """Download an evidence file."""
    return attachment_response(scope.get_visible(db, principal, Attachment, attachment_id))


@router.post(
    "/milestones/{milestone_id}/attachments",
    response_model=AttachmentRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def upload_milestone_evidence(
    request: Request,
    response: Response,
    milestone_id: Ident,
    file: Annotated[UploadFile, File(description="PDF, image, office document or CSV.")],
    principal: ApiPrincipal,
    db: WriteDB,
) -> Response:
    """Attach an evidence file to a milestone that is not yet accepted."""
    milestone = scope.get_visible(db, principal, Milestone, milestone_id)
    content = file.file.read(attachments.MAX_BYTES + 1)
    attachment = attachments.attach(db, principal, milestone, file.filename or "", content)
    return one(request, response, attachment, AttachmentRead)


@router.post(
    "/progress-updates/{progress_update_id}/attachments",
    response_model=AttachmentRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def upload_update_evidence(
    request: Request,
    response: Response,
    progress_update_id: Ident,
    file: Annotated[UploadFile, File(description="PDF, image, office document or CSV.")],
    principal: ApiPrincipal,
    db: WriteDB,
) -> Response:
    """Attach an evidence file to a progress update that is not yet approved."""
    update = scope.get_visible(db, principal, ProgressUpdate, progress_update_id)
    content = file.file.read(attachments.MAX_BYTES + 1)
    attachment = attachments.attach(db, principal, update, file.filename or "", content)
    return one(request, response, attachment, AttachmentRead)
