"""Import and export pages for grant managers: upload, preview, confirm; downloads."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from grants.exchange import exports, giving360, iati, imports, uploads, workbook
from grants.exchange.layout import IMPORT_SHEETS
from grants.exchange.template import template_xlsx
from grants.http.deps import ReadDB, SignedIn, WriteDB, current, settings_of, today_of
from grants.http.downloads import send
from grants.i18n import _
from grants.models import utcnow
from grants.services.access import Principal
from grants.services.errors import NotAllowed, TooLarge
from grants.tables import TABLE_FORMATS
from grants.web.deps import CsrfProtected
from grants.web.templating import templates

router = APIRouter()
ZIP = "application/zip"


def _manager(principal: Principal) -> Principal:
    if not imports.may_import(principal):
        raise NotAllowed(_("Only a grant manager or an administrator may import or export data."))
    return principal


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    found = current(request)
    context = {"csrf_token": found[1].csrf_token if found else "", **context}
    return templates().TemplateResponse(request, name, context, status_code=status)


def _preview(request: Request, result: imports.ImportResult, digest: str, name: str) -> Response:
    changes = [
        {
            "sheet": c.sheet,
            "row": c.row,
            "key": c.key,
            "action": c.action,
            "detail": "; ".join(f"{k}: {b or '-'} → {a or '-'}" for k, (b, a) in c.changes.items()),
        }
        for c in result.changes
        if c.action != "unchanged"
    ]
    counts = [{"sheet": sheet, **tally} for sheet, tally in result.counts().items()]
    context = {
        "result": result,
        "changes": changes,
        "counts": counts,
        "digest": digest,
        "name": name,
    }
    return _page(request, "exchange/preview.html", context, 200 if result.ok else 422)


@router.get("/exchange", response_class=HTMLResponse)
def exchange_page(request: Request, principal: SignedIn, imported: int | None = None) -> Response:
    """The manager's page for imports and exports."""
    _manager(principal)
    return _page(request, "exchange/index.html", {"sheets": IMPORT_SHEETS, "imported": imported})


@router.get("/exchange/template.xlsx")
def template_download(request: Request, principal: SignedIn) -> Response:
    """The import template workbook."""
    _manager(principal)
    return send(request, template_xlsx(), TABLE_FORMATS["xlsx"].media_type, "import-template.xlsx")


@router.get("/exchange/export.{fmt}")
def export_download(
    request: Request, fmt: Literal["xlsx", "zip"], principal: SignedIn, session: ReadDB
) -> Response:
    """Every entity the manager sees: one workbook, or a zip of CSV files."""
    tables = exports.export_tables(session, _manager(principal))
    if fmt == "xlsx":
        content, media = exports.tables_xlsx(tables), TABLE_FORMATS["xlsx"].media_type
    else:
        content, media = exports.tables_csv_zip(tables), ZIP
    return send(request, content, media, f"grants-export-{today_of(request)}.{fmt}")


@router.get("/exchange/iati.xml")
def iati_download(request: Request, principal: SignedIn, session: ReadDB) -> Response:
    """The manager's projects as an IATI 2.03 activities file."""
    day = today_of(request)
    content = iati.iati_xml(session, _manager(principal), settings_of(request), day, utcnow())
    return send(request, content, "application/xml", f"iati-activities-{day}.xml")


@router.get("/exchange/360giving.json")
def giving360_download(request: Request, principal: SignedIn, session: ReadDB) -> Response:
    """The manager's projects as a 360Giving data package."""
    day = today_of(request)
    content = giving360.package_json(session, _manager(principal), settings_of(request), day)
    return send(request, content, "application/json", f"360giving-{day}.json")


@router.post("/exchange/import", dependencies=[CsrfProtected], response_class=HTMLResponse)
async def import_upload(
    request: Request, principal: SignedIn, upload: Annotated[UploadFile | None, File()] = None
) -> Response:
    """Keep the uploaded file and show what importing it would change; write nothing yet."""
    _manager(principal)
    settings = settings_of(request)
    limit = settings.import_max_mb * 1024 * 1024
    if upload is None or not upload.filename:
        context = {"sheets": IMPORT_SHEETS, "error": _("Choose a file to import.")}
        return _page(request, "exchange/index.html", context, 422)
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise TooLarge(
            "file", upload.filename, _("larger than {mb} MB").format(mb=settings.import_max_mb)
        )
    digest = await run_in_threadpool(uploads.keep, settings.data_dir, upload.filename, content)
    return RedirectResponse(f"/exchange/import/{digest}", status_code=303)


@router.get("/exchange/import/{digest}", response_class=HTMLResponse)
def import_preview(
    request: Request, digest: str, principal: SignedIn, session: WriteDB
) -> Response:
    """Preview a kept upload: counts and row-by-row changes per sheet, or every problem."""
    name, content = uploads.kept(settings_of(request).data_dir, digest)
    book = workbook.read_upload(name, content)
    result = imports.import_workbook(session, _manager(principal), book, dry_run=True, source=name)
    return _preview(request, result, digest, name)


@router.post("/exchange/import/{digest}", dependencies=[CsrfProtected], response_class=HTMLResponse)
def import_confirm(
    request: Request,
    digest: str,
    principal: SignedIn,
    session: WriteDB,
    fingerprint: Annotated[str, Form()] = "",
) -> Response:
    """Import the previewed file, if importing it still does exactly what the preview showed."""
    data_dir = settings_of(request).data_dir
    name, content = uploads.kept(data_dir, digest)
    book = workbook.read_upload(name, content)
    check = imports.import_workbook(session, _manager(principal), book, dry_run=True, source=name)
    if check.fingerprint() != fingerprint or not check.ok:
        check.notes.insert(0, _("The data changed since the preview: check the changes again."))
        return _preview(request, check, digest, name)
    result = imports.import_workbook(session, principal, book, dry_run=False, source=name)
    uploads.forget(data_dir, digest)
    count = sum(1 for change in result.changes if change.action != "unchanged")
    return RedirectResponse(f"/exchange?imported={count}", status_code=303)
