"""HTML to PDF with WeasyPrint: PDF/A-3b, data attached, and nothing loaded from outside.

The HTML is read against a base URL on the reserved ``.invalid`` domain, so its only link,
``/static/report.css``, becomes one exact URL that the fetcher maps to the packaged file.
Every other URL (http, https, file, data, the same host with another path) is refused;
WeasyPrint logs the refusal and leaves the resource out. Fonts come from the system
through fontconfig, never through a URL.

The same HTML and attachments give the same bytes: the document's dates come from its
``dcterms.created`` meta (``reports.render`` writes the issue time, or a draft's date), the
attachments carry that date too, and the PDF identifier is a hash of the content.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from grants import offload
from grants.paths import STATIC_DIR

BASE_URL = "https://report.invalid/"
ASSETS: dict[str, tuple[Path, str]] = {
    f"{BASE_URL}static/report.css": (STATIC_DIR / "report.css", "text/css; charset=utf-8"),
}
UNDATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_writing = threading.Lock()


class RefusedURL(ValueError):
    """A report tried to load something that is not one of its own assets."""


class ReportAssets(URLFetcher):
    """A URL fetcher that serves the report's own assets by an allow-list, and nothing else."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Return the allow-listed file at ``url``; refuse any other URL."""
        found = ASSETS.get(url)
        if found is None:
            raise RefusedURL(f"not one of the report's assets: {url[:200]}")
        path, content_type = found
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def _created(document: Any) -> dt.datetime:
    """The document's creation time from its metadata, or a fixed date when it has none."""
    stamp = document.metadata.created
    if not stamp:
        return UNDATED
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return UNDATED
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@contextmanager
def _font_dates(moment: dt.datetime) -> Iterator[None]:
    """Date the embedded font subsets ``moment`` rather than now.

    Without HarfBuzz-subset WeasyPrint subsets fonts with fontTools, which stamps each subset
    with the current time unless ``SOURCE_DATE_EPOCH`` is set. The variable is the process's,
    so it is set and restored under a lock.
    """
    with _writing:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


def to_pdf(
    html: str,
    *,
    attachments: Sequence[tuple[str, bytes]] = (),
    variant: str | None = "pdf/a-3b",
) -> bytes:
    """Return ``html`` printed as PDF (PDF/A-3b by default) with ``attachments`` embedded.

    A helper process prints it (``grants.offload``): the other requests go on meanwhile.
    """
    return offload.render(_print, html, list(attachments), variant)


def _print(html: str, attachments: Sequence[tuple[str, bytes]], variant: str | None) -> bytes:
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=ReportAssets()).render(
        pdf_variant=variant
    )
    created = _created(document).astimezone(dt.UTC)
    files = [
        Attachment(
            string=data,
            name=name,
            description=name,
            created=created,
            modified=created,
            relationship="Data",
        )
        for name, data in attachments
    ]
    with _font_dates(created):
        pdf: bytes = document.write_pdf(pdf_variant=variant, attachments=files)
    return pdf
