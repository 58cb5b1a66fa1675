"""Lists as files: the rows shown on a page, every page of them, as CSV or XLSX."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from fastapi.responses import Response

from grants.exchange.tables import TABLE_FORMATS, table_bytes
from grants.services.attachments import disposition

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
