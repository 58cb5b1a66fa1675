"""The downloadable import template: a sheet per entity with its header, and instructions."""

from __future__ import annotations

from grants.exchange.layout import IMPORT_SHEETS, described
from grants.i18n import _
from grants.tables import workbook_bytes

INSTRUCTION_COLUMNS = ("sheet", "column", "required", "use", "kind", "meaning", "example")


def _use(use: str) -> str:
    return {
        "key": _("key: finds the record"),
        "field": _("set, and updated on a later import"),
        "create": _("set only when the record is created"),
        "export": _("exported only; ignored by the import"),
    }[use]


def instructions() -> list[tuple[str, ...]]:
    """Return one row per column of every imported sheet, saying what it holds."""
    return [
        (
            sheet.name,
            column.name,
            _("yes") if column.required else "",
            _use(column.use),
            column.kind if not column.choices else " | ".join(column.choices),
            described(column.help),
            column.example,
        )
        for sheet in IMPORT_SHEETS
        for column in sheet.columns
    ]


def template_xlsx() -> bytes:
    """Return the import template: instructions first, then one empty sheet per entity."""
    sheets: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
        "instructions": (INSTRUCTION_COLUMNS, instructions())
    }
    for sheet in IMPORT_SHEETS:
        sheets[sheet.name] = (tuple(c.name for c in sheet.columns if c.imported), [])
    return workbook_bytes(sheets)
