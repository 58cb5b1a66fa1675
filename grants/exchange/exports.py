"""Every entity as a table, scoped to who asks: one sheet (or CSV file) per entity.

The sheets the import reads come from ``export_sheets`` and import back unchanged; the
others come from ``export_records``. Here they are gathered, checked against who may
export, and written as one workbook or a zip of CSV files.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence

from sqlmodel import Session

from grants.exchange import export_records, export_sheets
from grants.exchange.export_common import Rows, Table
from grants.exchange.layout import IMPORT_SHEETS
from grants.i18n import _
from grants.services.access import Principal, works_as_manager
from grants.services.errors import NotAllowed
from grants.tables import ZIP_TIME, csv_bytes, workbook_bytes

__all__ = [
    "EXPORTS",
    "Rows",
    "Table",
    "export_tables",
    "may_export",
    "tables_csv_zip",
    "tables_xlsx",
]


def may_export(principal: Principal) -> bool:
    """Return whether the principal may export (grant managers and administrators)."""
    return works_as_manager(principal)


EXPORTS: dict[str, Callable[[Session, Principal], Table]] = {
    "programmes": export_records.programmes,
    "calls": export_records.calls,
    "organisations": export_sheets.organisations,
    "projects": export_sheets.projects,
    "partners": export_sheets.partners,
    "milestones": export_sheets.milestones,
    "tranches": export_sheets.tranches,
    "budget_lines": export_sheets.budget_lines,
    "expenses": export_records.expenses,
    "indicators": export_records.indicators,
    "indicator_values": export_records.indicator_values,
    "progress_updates": export_records.progress_updates,
}
assert all(sheet.name in EXPORTS for sheet in IMPORT_SHEETS)


def export_tables(
    session: Session, principal: Principal, names: Sequence[str] | None = None
) -> dict[str, Table]:
    """Return the tables named (default: every entity) the principal may export."""
    if not may_export(principal):
        raise NotAllowed(_("Only a grant manager or an administrator may export data."))
    return {name: EXPORTS[name](session, principal) for name in names or EXPORTS}


def tables_xlsx(tables: dict[str, Table]) -> bytes:
    """Return the tables as one workbook, a sheet each."""
    return workbook_bytes({name: (t.columns, t.rows) for name, t in tables.items()})


def tables_csv_zip(tables: dict[str, Table]) -> bytes:
    """Return the tables as a zip of CSV files named after their sheets."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables.items():
            entry = zipfile.ZipInfo(f"{name}.csv", date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, csv_bytes(table.columns, table.rows))
    return buffer.getvalue()
