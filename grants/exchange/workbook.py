"""Read an uploaded workbook, CSV file, zip of CSV files or folder into sheets of raw rows.

Nothing here knows the rules of the domain: it finds the sheets, checks their headers,
decodes text, drops empty rows and reports every structural problem with where it is.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from grants.exchange.layout import EXPORT_ONLY_SHEETS, SHEETS, Sheet, normalise_name
from grants.exchange.values import is_blank
from grants.i18n import _
from grants.tables import unescape_csv_text

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 200
Row = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file: where (sheet, row, column), the value and why."""

    sheet: str
    row: int | None
    column: str | None
    value: Any
    reason: str

    def __str__(self) -> str:
        place = [_("sheet {sheet}").format(sheet=self.sheet)] if self.sheet else []
        if self.row is not None:
            place.append(_("row {row}").format(row=self.row))
        if self.column:
            place.append(_("column {column}").format(column=self.column))
        shown = "" if self.value in (None, "") else _(" (got {value!r})").format(value=self.value)
        return f"{', '.join(place)}: {self.reason}{shown}"


@dataclass
class RawSheet:
    """One entity's rows as read: row number (as the author sees it) and raw cell values."""

    sheet: Sheet
    source: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


@dataclass
class Workbook:
    """What a file held: the sheets to import, those passed over, notes and problems."""

    sheets: dict[str, RawSheet] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, source: str, header: list[Any], rows: Iterable[tuple[int, list[Any]]]) -> None:
        """Add a sheet called ``source`` with its ``header`` row and numbered data rows."""
        name = normalise_name(PurePosixPath(source).stem if source.endswith(".csv") else source)
        sheet = SHEETS.get(name)
        if sheet is None:
            if name in EXPORT_ONLY_SHEETS:
                self.skipped.append(source)
                return
            expected = ", ".join(SHEETS)
            self.problems.append(
                Problem(
                    source,
                    None,
                    None,
                    None,
                    _("unknown sheet; the sheets are: {sheets}").format(sheets=expected),
                )
            )
            return
        if sheet.name in self.sheets:
            self.problems.append(Problem(source, None, None, None, _("this sheet is given twice")))
            return
        columns = self._header(source, sheet, header)
        if columns is not None:
            raw = RawSheet(sheet, source, [c for c in columns if c])
            raw.rows = list(self._rows(raw, columns, rows))
            self.sheets[sheet.name] = raw

    def _header(self, source: str, sheet: Sheet, header: list[Any]) -> list[str] | None:
        """Return the normalised header (``""`` for columns to ignore), or None if unusable."""
        while header and is_blank(header[-1]):
            header = header[:-1]
        names: list[str] = []
        before = len(self.problems)
        for number, cell in enumerate(header, start=1):
            letter = get_column_letter(number)
            name = "" if is_blank(cell) else normalise_name(str(cell))
            column = sheet.column(name)
            if name and column is None:
                known = ", ".join(c.name for c in sheet.columns)
                reason = _("unknown column; the columns are: {columns}").format(columns=known)
                self.problems.append(Problem(source, 1, letter, cell, reason))
            elif name and name in names:
                self.problems.append(
                    Problem(source, 1, letter, cell, _("this column is given twice"))
                )
            names.append(name if column is not None and column.imported else "")
            if column is not None and not column.imported:
                names[-1] = "-" + name
        for key in sheet.keys:
            if key not in names:
                reason = _("the column {column} is missing from the header row").format(column=key)
                self.problems.append(Problem(source, 1, None, None, reason))
        if len(self.problems) > before:
            return None
        return [name if not name.startswith("-") else "" for name in names]

    def _rows(
        self, raw: RawSheet, columns: list[str], rows: Iterable[tuple[int, list[Any]]]
    ) -> Iterator[Row]:
        for number, cells in rows:
            if all(is_blank(cell) for cell in cells):
                continue
            if any(not is_blank(cell) for cell in cells[len(columns) :]):
                letter = get_column_letter(len(columns) + 1)
                self.problems.append(
                    Problem(raw.source, number, letter, None, _("a value beyond the last column"))
                )
            values = dict(zip(columns, cells, strict=False))
            values.pop("", None)
            yield number, values


def _numbered(rows: Iterable[Iterable[Any]], start: int = 2) -> Iterator[tuple[int, list[Any]]]:
    for number, row in enumerate(rows, start=start):
        yield number, list(row)


def read_xlsx(content: bytes, book: Workbook) -> None:
    """Read every sheet of an .xlsx workbook (cell values, never formulas) into ``book``."""
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        for worksheet in workbook.worksheets:
            rows = worksheet.iter_rows(values_only=True)
            header = list(next(rows, ()))
            book.add(worksheet.title, header, _numbered(rows))
    finally:
        workbook.close()


def decode_text(content: bytes, source: str, book: Workbook) -> str | None:
    """Return CSV bytes as text: UTF-8 or UTF-16 (with or without a byte-order mark), else
    Windows-1252 with a note to check accented letters; None with a problem if unreadable."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if content.startswith(bom):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError as error:
                book.problems.append(
                    Problem(
                        source,
                        None,
                        None,
                        None,
                        _("not valid {encoding} text at byte {at}").format(
                            encoding=encoding, at=error.start
                        ),
                    )
                )
                return None
    if b"\x00" in content[:4096]:
        book.problems.append(
            Problem(source, None, None, None, _("not a CSV file or an .xlsx workbook"))
        )
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp1252")
    except UnicodeDecodeError as error:
        book.problems.append(
            Problem(
                source,
                None,
                None,
                None,
                _("not UTF-8 text (byte {at}); save the file as CSV UTF-8").format(at=error.start),
            )
        )
        return None
    book.notes.append(
        _("{source} is not UTF-8: it was read as Windows-1252; check accented letters.").format(
            source=source
        )
    )
    return text


def read_csv(content: bytes, source: str, book: Workbook) -> None:
    """Read one CSV file (comma, semicolon or tab separated) into ``book``."""
    text = decode_text(content, source, book)
    if text is None:
        return
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        book.problems.append(
            Problem(
                source, None, None, None, _("not a readable CSV file: {error}").format(error=error)
            )
        )
        return
    cleaned = [[unescape_csv_text(cell) for cell in record] for record in records]
    header = cleaned[0] if cleaned else []
    book.add(source, list(header), _numbered(cleaned[1:]))


def _zip_members(content: bytes, book: Workbook, source: str) -> list[tuple[str, bytes]] | None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        entries = [e for e in archive.infolist() if not e.is_dir() and not _hidden(e.filename)]
        if len(entries) > MAX_MEMBERS or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
            book.problems.append(
                Problem(
                    source, None, None, None, _("the archive unpacks to too many files or bytes")
                )
            )
            return None
        return [(e.filename, archive.read(e)) for e in entries]


def _hidden(name: str) -> bool:
    return any(part.startswith((".", "__MACOSX")) for part in PurePosixPath(name).parts)


def read_upload(filename: str, content: bytes) -> Workbook:
    """Return what an uploaded file holds: an .xlsx workbook, a CSV file or a zip of CSVs."""
    book = Workbook()
    name = PurePosixPath(filename.replace("\\", "/")).name or "upload"
    try:
        _read(name, content, book)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        KeyError,
        ValueError,
        OSError,
        EOFError,
        TypeError,
    ) as error:
        book.problems.append(
            Problem(
                name,
                None,
                None,
                None,
                _("the file cannot be read ({error})").format(error=type(error).__name__),
            )
        )
    if not book.sheets and not book.problems:
        book.problems.append(
            Problem(
                name,
                None,
                None,
                None,
                _("no sheet to import; the sheets are: {sheets}").format(sheets=", ".join(SHEETS)),
            )
        )
    return book


def _read(name: str, content: bytes, book: Workbook) -> None:
    if content.startswith(OLE_MAGIC):
        book.problems.append(
            Problem(name, None, None, None, _("an Excel 97-2003 .xls file: save it as .xlsx"))
        )
    elif content.startswith(XLSX_MAGIC):
        members = _zip_members(content, book, name)
        if members is None:
            return
        if any(member == "xl/workbook.xml" for member, _data in members):
            read_xlsx(content, book)
            return
        for member, data in members:
            if member.lower().endswith(".csv"):
                read_csv(data, PurePosixPath(member).name, book)
            else:
                book.problems.append(
                    Problem(f"{name}/{member}", None, None, None, _("not a CSV file"))
                )
    elif name.lower().endswith((".csv", ".txt")) or not name.lower().endswith(".xlsx"):
        read_csv(
            content,
            name if name.lower().endswith(".csv") else f"{PurePosixPath(name).stem}.csv",
            book,
        )
    else:
        book.problems.append(Problem(name, None, None, None, _("not an .xlsx workbook")))


def read_path(path: Path) -> Workbook:
    """Return what a file, or a folder of CSV files, holds."""
    if path.is_dir():
        book = Workbook()
        for member in sorted(path.glob("*.csv")):
            read_csv(member.read_bytes(), member.name, book)
        if not book.sheets and not book.problems:
            book.problems.append(
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    _("no CSV file named after a sheet: {sheets}").format(sheets=", ".join(SHEETS)),
                )
            )
        return book
    return read_upload(path.name, path.read_bytes())
