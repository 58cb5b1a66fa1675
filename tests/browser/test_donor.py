"""The donor's report room in a real browser: open it on a phone, download an issued report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import select

from grants import db
from grants.models import Programme, ReportScope
from grants.services.access import SYSTEM
from reports import archive
from tests.browser.conftest import (
    DONOR,
    TODAY,
    Server,
    check_accessibility,
    has_horizontal_scroll,
    screenshot,
    sign_in,
)

ISSUED = b"%PDF-1.7\n% the MC2CM portfolio report, frozen when issued\n"


def _issue_portfolio(server: Server) -> str:
    """Issue the programme's portfolio report on the server's database; return its file name."""
    engine = db.make_engine(server.database_url)
    try:
        with db.write_session(engine) as session:
            programme = session.exec(select(Programme).where(Programme.code == "MC2CM")).one()
            spec = archive.ReportSpec(ReportScope.PROGRAMME, programme.id, TODAY)
            name = archive.filename(spec, programme.code, "pdf", issued=True)
            built = archive.Built(ISSUED, "application/pdf", name, programme.id, programme.code)
            issued_at = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)
            archive.store(session, SYSTEM, spec, built, issued_at)
    finally:
        engine.dispose()
    return name


def test_open_the_report_room_and_download_an_issued_report(
    phone_page: Any, live_server: Server, tmp_path: Path
) -> None:
    name = _issue_portfolio(live_server)
    page = phone_page
    sign_in(page, live_server, DONOR)
    assert page.url.endswith("/donor"), "a donor starts in the report room"
    assert page.get_by_role("heading", name="Mediterranean City-to-City Migration").is_visible()
    assert not has_horizontal_scroll(page)
    check_accessibility(page)
    screenshot(page, "donor-phone")
    with page.expect_download() as download:
        page.get_by_role("link", name=name).click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert download.value.suggested_filename == name
    assert saved.read_bytes() == ISSUED
