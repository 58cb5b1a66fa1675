"""The data behind a report as an Excel workbook: one sheet per frame, through the one table
writer (``grants.tables``), so the report's workbook is as safe to open as every download:
formula-like text stays text, and the same frames give the same bytes.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from grants.tables import workbook_bytes


def to_xlsx(sheets: dict[str, pd.DataFrame], *, created: dt.datetime | None = None) -> bytes:
    """Return the frames as an .xlsx workbook, one sheet each, in the order given."""
    return workbook_bytes(
        {
            name: ([str(column) for column in frame.columns], frame.itertuples(index=False))
            for name, frame in sheets.items()
        },
        created=created,
    )
