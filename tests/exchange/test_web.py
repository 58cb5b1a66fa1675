"""The manager's import and export page: upload, preview, confirm exactly that; downloads."""

from __future__ import annotations

import re

from fastapi import FastAPI

from grants.tables import workbook_bytes
from tests.conftest import Browsers
from tests.helpers import EDITOR, MANAGER

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(browsers: Browsers, content: bytes, name: str = "orgs.xlsx") -> str:
    browser = browsers[MANAGER]
    page = browser.get("/exchange")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text).group(1)  # type: ignore[union-attr]
    response = browser.post(
        "/exchange/import", {"csrf_token": token}, files={"upload": (name, content, XLSX)}
    )
    assert response.status_code == 303
    return response.headers["location"]


def test_upload_preview_then_confirm_imports_what_was_shown(browsers: Browsers) -> None:
    content = workbook_bytes(
        {
            "organisations": (
                ["ref", "name", "kind"],
                [["WEB-ORG-1", "Web import (fictional)", "cso"]],
            )
        }
    )
    location = _upload(browsers, content)
    browser = browsers[MANAGER]
    preview = browser.get(location)
    assert preview.status_code == 200
    assert "WEB-ORG-1" in preview.text
    assert "Web import (fictional)" in preview.text
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', preview.text).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="csrf_token" value="([^"]*)"', preview.text).group(1)  # type: ignore[union-attr]
    stale = browser.post(location, {"csrf_token": token, "fingerprint": "0" * 64})
    assert stale.status_code == 200
    assert "changed since the preview" in stale.text
    done = browser.post(location, {"csrf_token": token, "fingerprint": fingerprint})
    assert done.status_code == 303
    assert done.headers["location"] == "/exchange?imported=1"
    again = browser.get(_upload(browsers, content))
    assert "Nothing would change" in again.text


def test_a_file_with_problems_lists_them_all_and_offers_no_import(browsers: Browsers) -> None:
    content = workbook_bytes(
        {
            "milestones": (
                ["project_reference", "number", "due_date"],
                [["NOPE", 1, "2026-07-01"], ["ZRQ-WOMEN", 1, "soon"]],
            )
        }
    )
    preview = browsers[MANAGER].get(_upload(browsers, content, "bad.xlsx"))
    assert preview.status_code == 422
    assert "no project has this reference" in preview.text
    assert "not a date" in preview.text
    assert 'name="fingerprint"' not in preview.text


def test_downloads_for_managers_and_refusals_for_partners(app: FastAPI, browsers: Browsers) -> None:
    manager = browsers[MANAGER]
    template = manager.get("/exchange/template.xlsx")
    assert template.status_code == 200
    assert template.headers["content-type"] == XLSX
    export = manager.get("/exchange/export.zip")
    assert export.status_code == 200
    assert export.content.startswith(b"PK")
    assert "attachment" in export.headers["content-disposition"]
    assert manager.get("/exchange/iati.xml").status_code == 422  # no publisher configured
    for path in ("/exchange", "/exchange/export.xlsx", "/exchange/template.xlsx"):
        assert browsers[EDITOR].get(path).status_code == 403


def test_an_over_large_upload_is_refused_with_413(browsers: Browsers) -> None:
    browser = browsers[MANAGER]
    page = browser.get("/exchange")
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text).group(1)  # type: ignore[union-attr]
    big = b"ref,name,kind\n" + b"X" * (21 * 1024 * 1024)
    response = browser.post(
        "/exchange/import",
        {"csrf_token": token},
        files={"upload": ("organisations.csv", big, "text/csv")},
    )
    assert response.status_code == 413
