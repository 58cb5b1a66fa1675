"""File downloads: lists as CSV or XLSX, reports and exports with an ETag, stored files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response

from grants.models import Attachment
from grants.services import attachments
from grants.services.attachments import disposition
from grants.tables import TABLE_FORMATS, table_bytes
from reports import archive

Format = Literal["csv", "xlsx"]
Column = tuple[str, str]
"""A column of a download: the row's key, and the header a person reads."""


def _value(row: Any, key: str) -> Any:
    value = row
    for part in key.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part, None)
        if value is None:
            return None
    return value


def table(
    columns: Sequence[Column], rows: Iterable[Any], fmt: Format, name: str, today: dt.date
) -> Response:
    """Return ``rows`` as a CSV or XLSX attachment named ``<name>-<today>.<ext>``."""
    info = TABLE_FORMATS[fmt]
    content = table_bytes(
        [label for _key, label in columns],
        ([_value(row, key) for key, _label in columns] for row in rows),
        fmt,
        sheet=name[:31],
    )
    filename = f"{name}-{today.isoformat()}.{info.extension}"
    return Response(
        content, media_type=info.media_type, headers={"Content-Disposition": disposition(filename)}
    )


def send(request: Request, content: bytes, media_type: str, filename: str) -> Response:
    """Return a download with a content ETag; 304 when the browser already has it."""
    etag = f'"{archive.digest(content)}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag})
    shown = disposition(filename)
    if media_type.startswith("text/html"):
        shown = shown.replace("attachment;", "inline;", 1)
    return Response(
        content, media_type=media_type, headers={"ETag": etag, "Content-Disposition": shown}
    )


def attachment_response(attachment: Attachment) -> Response:
    """Return the stored file as an attachment that browsers will not render."""
    return Response(
        attachments.read_attachment(attachment),
        media_type=attachment.content_type,
        headers={"Content-Disposition": attachments.disposition(attachment)},
    )
