"""What every API route shares: pages of results, ETags and If-Match, declared errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import object_session
from sqlmodel import Session, SQLModel

from grants.api.deps import ApiPrincipal
from grants.api.schemas import ReasonIn
from grants.http.deps import Today, WriteDB
from grants.i18n import _
from grants.models.base import MAX_ID
from grants.services import scope
from grants.services.access import Principal
from grants.services.errors import Stale
from grants.services.listing import Page as RowsPage
from grants.services.listing import Paging
from grants.services.workflow import Workflow

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)

MAX_LIMIT = 200

Ident = Annotated[int, Path(ge=1, le=MAX_ID, description="The object's id.")]


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many there are in all, and where the next page is."""

    items: list[T]
    total: int = Field(description="How many items match the filters, on every page.")
    limit: int
    offset: int
    next: str | None = Field(description="The URL of the next page, or null on the last.")


class FieldError(BaseModel):
    field: str = Field(description="The dotted path of the field, e.g. `amount`.")
    location: str = Field(description="Where the field was: body, query, path or header.")
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "amount: 50.001 has more than 2 decimal places for EUR",
                    "errors": [
                        {
                            "field": "amount",
                            "location": "body",
                            "message": "50.001 has more than 2 decimal places for EUR",
                        }
                    ],
                }
            ]
        }
    )
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(
        default=None, description="One entry per invalid field."
    )
    allowed: list[str] | None = Field(
        default=None, description="On a refused workflow step: the steps allowed now."
    )


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}},
    }


PROBLEM_REF = "#/components/schemas/Problem"


def problem_schemas() -> dict[str, Any]:
    """Return the component schemas of a problem document (Problem and FieldError)."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    return {**schema.pop("$defs", {}), "Problem": schema}


READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _problem("No API token, or one that is unknown, revoked or expired."),
    404: _problem("The object does not exist, or is outside your scope."),
    422: _problem("A parameter is invalid; `errors` names each field."),
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = READ_ERRORS | {
    400: _problem("The body cannot be read: not UTF-8, or a malformed multipart form."),
    403: _problem("Your role may see this object but not change it."),
    409: _problem("The change breaks a rule of the current state; `allowed` lists the steps."),
    412: _problem("The object changed since you read it: `If-Match` no longer matches."),
    413: _problem("The upload is too large."),
    428: _problem("This request needs an `If-Match` header with the object's ETag."),
}


async def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


PageParams = Annotated[Paging, Depends(paging)]


def page_of(request: Request, rows: RowsPage[Any], read: type[R]) -> Response:
    """Return ``rows`` as a JSON page of ``read`` models, linking the next page if any.

    Mapping rows come from the database with their types already converted, so they are
    constructed without a second validation; the page is serialized once, here.
    """
    paging = rows.paging
    following = paging.offset + paging.limit
    next_url = (
        str(request.url.include_query_params(offset=following)) if following < rows.total else None
    )
    items = [
        read.model_construct(**row) if isinstance(row, dict) else read.model_validate(row)
        for row in rows.items
    ]
    page = Page[read].model_construct(  # type: ignore[valid-type]
        items=items, total=rows.total, limit=paging.limit, offset=paging.offset, next=next_url
    )
    return Response(page.model_dump_json(), media_type="application/json")


def _digest(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def etag_of(read: BaseModel) -> str:
    """Return the strong ETag of a representation: a digest of its JSON."""
    return _digest(read.model_dump_json().encode())


def one(request: Request, response: Response, obj: object, read: type[R]) -> Response:
    """Return ``obj`` as ``read`` JSON with its ETag; 304 when ``If-None-Match`` has it.

    The status is the route's (201 for a creation); headers set on ``response`` are kept.
    """
    session = object_session(obj)
    if request.method != "GET" and session is not None:
        # Reload what was written, so the answer (and its ETag) is what a GET will show.
        session.flush()
        session.refresh(obj)
    body = read.model_validate(obj).model_dump_json().encode()
    etag = _digest(body)
    if request.method == "GET" and etag in _tags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers={"ETag": etag})
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in {"content-length", "content-type"}
    }
    route = request.scope.get("route")
    return Response(
        body,
        status_code=getattr(route, "status_code", None) or 200,
        media_type="application/json",
        headers=headers | {"ETag": etag},
    )


def _tags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


async def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="Required: the ETag from your last GET of this object (428 without).",
            max_length=1000,
        ),
    ] = None,
) -> str:
    if not value:
        raise HTTPException(
            428, _("Send an 'If-Match' header with the ETag from your last GET of this object.")
        )
    return value


async def optional_if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="Optional: the ETag you last saw; the step fails with 412 if stale.",
            max_length=1000,
        ),
    ] = None,
) -> str | None:
    return value or None


IfMatch = Annotated[str, Depends(if_match)]
OptionalIfMatch = Annotated[str | None, Depends(optional_if_match)]


def matching(obj: Any, read: type[R], header: str | None) -> int | None:
    """Return ``obj``'s version if ``header`` matches its ETag; raise ``Stale`` if not.

    The version then guards the UPDATE itself, so of two writers holding the same ETag
    exactly one succeeds, even when both passed this check at the same moment.
    """
    if header is None:
        return None
    if header.strip() != "*" and etag_of(read.model_validate(obj)) not in _tags(header):
        raise Stale(_("This object changed since you read it; GET it again and retry."))
    return getattr(obj, "version", None)


StepTaker = Callable[[Session, Principal, Any, str, dt.date, Any, int | None], Any]


def reason_step(advance: Callable[..., Any]) -> StepTaker:
    """Adapt ``advance(db, principal, obj, step, *, today, reason, expected_version)``."""

    def take(
        db: Session,
        principal: Principal,
        obj: Any,
        step: str,
        day: dt.date,
        body: Any,
        version: int | None,
    ) -> Any:
        reason = body.reason if isinstance(body, ReasonIn) else None
        return advance(db, principal, obj, step, today=day, reason=reason, expected_version=version)

    return take


def add_steps(
    router: APIRouter,
    *,
    workflow: Workflow,
    path: str,
    model: type[SQLModel],
    read: type[R],
    take: StepTaker,
    bodies: dict[str, type[BaseModel]] | None = None,
) -> None:
    """Add ``POST /{path}/{id}/{step}`` for every step of ``workflow``, each an operation.

    ``take(db, principal, obj, step, today, body, version)`` performs the step through the
    service; a step the current state does not allow is a 409 naming the allowed steps.
    """
    for name, step in sorted(workflow.steps.items()):
        endpoint = _step_endpoint(name, path, model, read, take, (bodies or {}).get(name, ReasonIn))
        needs = _(" A reason is required.") if step.needs_reason else ""
        router.add_api_route(
            f"/{path}/{{{path[:-1].replace('-', '_')}_id}}/{name}",
            endpoint,
            methods=["POST"],
            response_model=read,
            responses=WRITE_ERRORS,
            summary=f"{name.replace('_', ' ').capitalize()} a {workflow.label}",
            description=_("Allowed from: {states}.").format(
                states=", ".join(sorted(state.value for state in step.sources))
            )
            + needs,
            operation_id=f"{workflow.label.replace(' ', '_')}_{name}",
        )


def _step_endpoint(
    name: str,
    path: str,
    model: type[SQLModel],
    read: type[R],
    take: StepTaker,
    body_model: type[BaseModel],
) -> Callable[..., Any]:
    ident_name = f"{path[:-1].replace('-', '_')}_id"

    def endpoint(**kwargs: Any) -> Any:
        db, principal = kwargs["db"], kwargs["principal"]
        obj = scope.get_visible(db, principal, model, kwargs[ident_name])
        version = matching(obj, read, kwargs["expected"])
        done = take(db, principal, obj, name, kwargs["day"], kwargs["body"], version)
        return one(kwargs["request"], kwargs["response"], done, read)

    keyword = inspect.Parameter.KEYWORD_ONLY
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", keyword, annotation=Request),
            inspect.Parameter("response", keyword, annotation=Response),
            inspect.Parameter(ident_name, keyword, annotation=Ident),
            inspect.Parameter("principal", keyword, annotation=ApiPrincipal),
            inspect.Parameter("db", keyword, annotation=WriteDB),
            inspect.Parameter("day", keyword, annotation=Today),
            inspect.Parameter("expected", keyword, annotation=OptionalIfMatch),
            inspect.Parameter(
                "body", keyword, default=None, annotation=Annotated[body_model | None, Body()]
            ),
        ]
    )
    return endpoint
