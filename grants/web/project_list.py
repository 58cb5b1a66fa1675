"""The project list: search, filters, sorting and pages, and the same list as CSV or XLSX."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from grants.http import downloads
from grants.http.deps import ReadDB, SignedIn, today_of
from grants.i18n import _, format_place
from grants.models import ProjectStatus
from grants.services import project_list as lists
from grants.services.access import Principal, works_as_manager
from grants.services.project_list import ProjectListFilters
from grants.web.listing import Link, Listing, field_errors, query_params
from grants.web.templating import templates

router = APIRouter()
FILTERS = {"q", "status", "country", "call_id", "at_risk", "sort"}
SORTABLE = {
    "link": "reference",
    "title": "title",
    "place": "country",
    "status": "status",
    "awarded": "awarded_amount",
    "planned_end": "planned_end",
}


def _messages() -> dict[str, str]:
    return {
        "q": _("Search for at most 100 characters."),
        "status": _("Choose a status from the list."),
        "country": _("Use a two-letter country code, such as TN."),
        "call_id": _("Choose a call from the list."),
        "at_risk": _("Choose yes or no."),
        "sort": _("This list cannot be sorted that way; it is sorted by reference."),
    }


def _offset(request: Request) -> int:
    try:
        return min(max(0, int(request.query_params.get("offset", "0"))), 10_000_000)
    except ValueError:
        return 0


def parse_filters(request: Request) -> tuple[ProjectListFilters, dict[str, str], dict[str, str]]:
    """Return the filters from the query, the values kept for the form, and one message per
    filter that was not understood (and so left out)."""
    given = query_params(request.query_params, FILTERS)
    offset = _offset(request)
    try:
        return ProjectListFilters.model_validate({**given, "offset": offset}), given, {}
    except ValidationError as error:
        messages = _messages()
        errors = {k: messages.get(k, v) for k, v in field_errors(error).items() if k in given}
    kept = {k: v for k, v in given.items() if k not in errors}
    return ProjectListFilters.model_validate({**kept, "offset": offset}), given, errors


def _columns() -> list[tuple[str, str, str]]:
    return [
        ("link", _("Reference"), "link"),
        ("title", _("Title"), "free"),
        ("place", _("Place"), "text"),
        ("call_code", _("Call"), "text"),
        ("status", _("Status"), "status"),
        ("awarded", _("Awarded"), "money"),
        ("spent", _("Spent"), "money"),
        ("milestones_overdue", _("Overdue"), "int"),
        ("planned_end", _("Ends"), "date"),
    ]


def _options(db: Session, principal: Principal) -> dict[str, list[tuple[Any, str]]]:
    choices = lists.filter_choices(db, principal)
    return {
        "call_options": [(call.id, f"{call.code} · {call.title}") for call in choices["calls"]],
        "country_options": [(code, code) for code in choices["countries"]],
    }


@router.get("/projects", response_class=HTMLResponse)
def project_list(request: Request, principal: SignedIn, db: ReadDB) -> Response:
    """List the projects the signed-in user may see, filtered, sorted and in pages."""
    filters, given, errors = parse_filters(request)
    found = lists.project_list(db, principal, filters, today_of(request))
    for row in found.items:
        row["link"] = Link(row["reference"], f"/projects/{row['id']}")
        row["place"] = format_place(row["city"], row["country"])
    listing = Listing(
        path="/projects",
        params={k: v for k, v in given.items() if k not in errors and k != "sort"},
        sort=filters.sort,
        total=found.total,
        limit=filters.limit,
        offset=filters.offset,
        sortable=SORTABLE,
    )
    context: dict[str, Any] = {
        "rows": found.items,
        "columns": _columns(),
        "listing": listing,
        "values": given,
        "errors": errors,
        **_options(db, principal),
        "can_create": works_as_manager(principal),
        "statuses": [(s.value, _(s.value).replace("_", " ")) for s in ProjectStatus],
        "filtered": bool(listing.params),
        "totals": lists.list_totals(db, principal, filters, today_of(request)),
    }
    return templates().TemplateResponse(request, "projects.html", context)


@router.get("/projects.{fmt}")
def project_list_download(
    request: Request, fmt: downloads.Format, principal: SignedIn, db: ReadDB
) -> Response:
    """Download every project of the list, with the filters and order on screen."""
    filters, _given, _errors = parse_filters(request)
    day = today_of(request)
    found = lists.project_list(db, principal, filters, day, everything=True)
    for row in found.items:
        row["risks"] = "; ".join(row["risks"])
    columns = [
        ("reference", _("Reference")),
        ("title", _("Title")),
        ("city", _("City")),
        ("country", _("Country")),
        ("call_code", _("Call")),
        ("status", _("Status")),
        ("awarded_amount", _("Award in the contract")),
        ("awarded", _("Awarded (as totals count it)")),
        ("disbursed", _("Disbursed")),
        ("spent", _("Spent")),
        ("milestones_overdue", _("Milestones overdue")),
        ("currency", _("Currency")),
        ("planned_start", _("Planned start")),
        ("planned_end", _("Planned end")),
        ("actual_start", _("Actual start")),
        ("risks", _("At risk because")),
    ]
    return downloads.table(columns, found.items, fmt, "projects", day)
