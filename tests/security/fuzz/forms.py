"""Web forms as a browser sees them: their inputs read from the page, filled in by hypothesis.

A form's fields come from the HTML the app serves (``<input>``, ``<select>``, ``<textarea>``
and named buttons), so a field added to a template is fuzzed without a change here. Each
request makes one or two fields hostile and fills the others as a careful person would,
with what the page shows when it shows something, so that the hostile value reaches the
rule behind it instead of a missing field.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import lxml.html
from hypothesis import strategies as st

from grants.exchange.layout import IMPORT_SHEETS, Column
from tests.helpers import CSV, EVIDENCE, PASSWORD
from tests.security.fuzz import values

BoundaryCount = itertools.count(1)
FORM_BYTES = [b"\xff\xfe", b"caf\xe9", b"\xed\xa0\x80", b"\xc0\xaf"]
"""Bytes that are no UTF-8, for urlencoded and multipart bodies alike."""
NEW_PASSWORD = "a fuzzed but long passphrase"


@dataclass(frozen=True)
class Input:
    """One named control of a form, with what the page put in it."""

    name: str
    kind: str  # hidden, text, textarea, date, number, select, checkboxes, button, file, ...
    value: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class HtmlForm:
    """A form that posts to ``action``, with its controls."""

    action: str
    inputs: tuple[Input, ...]
    multipart: bool

    def named(self, name: str) -> Input | None:
        return next((item for item in self.inputs if item.name == name), None)


def _kind(element: Any) -> str:
    tag = element.tag
    if tag in {"select", "textarea", "button"}:
        return str(tag)
    kind = (element.get("type") or "text").lower()
    if kind == "text" and element.get("inputmode") in {"decimal", "numeric"}:
        return "number"
    return "checkboxes" if kind == "checkbox" else kind


def _read(element: Any) -> Input:
    kind = _kind(element)
    name = element.get("name")
    required = element.get("required") is not None
    if kind == "select":
        options = tuple(o.get("value", o.text_content()) for o in element.iter("option"))
        chosen = [o.get("value", "") for o in element.iter("option") if o.get("selected")]
        return Input(name, kind, tuple(chosen[:1]), options, required)
    if kind == "textarea":
        return Input(name, kind, (element.text or "",), (), required)
    if kind in {"checkboxes", "button", "radio"}:
        value = element.get("value", "")
        return Input(name, kind, (value,) if element.get("checked") else (), (value,), required)
    return Input(name, kind, (element.get("value", ""),), (), required)


def _merge(inputs: list[Input]) -> tuple[Input, ...]:
    """Join the checkboxes, radios and buttons that share a name into one control."""
    merged: dict[str, Input] = {}
    for item in inputs:
        seen = merged.get(item.name)
        if seen is None:
            merged[item.name] = item
        else:
            merged[item.name] = Input(
                item.name,
                seen.kind,
                seen.value + item.value,
                seen.options + item.options,
                seen.required or item.required,
            )
    return tuple(merged.values())


def forms_on(page: str, page_path: str) -> list[HtmlForm]:
    """Return the POST forms of ``page``, each with the path it posts to."""
    found = []
    for form in lxml.html.fromstring(page).iter("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        action = urlsplit(form.get("action") or page_path).path or page_path
        controls = [
            _read(element)
            for element in form.iter("input", "select", "textarea", "button")
            if element.get("name")
        ]
        multipart = (form.get("enctype") or "") == "multipart/form-data"
        found.append(HtmlForm(action, _merge(controls), multipart))
    return found


def form_posting_to(page: str, page_path: str, post_path: str) -> HtmlForm | None:
    """Return the form of ``page`` that posts to ``post_path``, if there is one."""
    return next((f for f in forms_on(page, page_path) if f.action == post_path), None)


# Values for each kind of control.


def evidence_file() -> st.SearchStrategy[tuple[Any, bytes, str]]:
    """A file as an upload control sends it: a fine CSV, or a hostile name or content."""
    hostile_name = st.one_of(
        st.sampled_from(["a\x00b.csv", "list\x1b.csv", "evil\u202ecsv.txt", "../../x.csv", ""]),
        values.hostile_text().map(lambda text: text[:300] + ".csv"),
        st.sampled_from(FORM_BYTES).map(lambda raw: raw + b".csv"),
    )
    hostile_content = st.one_of(
        st.sampled_from([b"", b"%PDF-1.7\n<script>", b"MZ\x90\x00", b"\x00" * 64]),
        st.binary(max_size=64),
    )
    kinds = st.sampled_from(["text/csv", "application/pdf", "application/x-msdownload", ""])
    return st.one_of(
        st.just(EVIDENCE["evidence"]),
        st.tuples(hostile_name, st.just(CSV), kinds),
        st.tuples(st.just("attendance.csv"), hostile_content, kinds),
    )


PLAUSIBLE_CELLS = {"project_reference": "ZRQ-WOMEN", "organisation": "JO-ZARQA", "number": "1"}


def _cell(column: Column, hostile: bool) -> st.SearchStrategy[str]:
    if hostile:
        by_kind = {"date": values.hostile_date(), "decimal": values.hostile_number()}
        return st.one_of(by_kind.get(column.kind, values.hostile_text()), values.hostile_number())
    if column.name in PLAUSIBLE_CELLS:
        return st.just(PLAUSIBLE_CELLS[column.name])
    if column.choices:
        return st.sampled_from(column.choices)
    if column.kind == "date":
        return values.plausible_date()
    if column.kind == "decimal":
        return values.plausible_amount()
    return st.sampled_from([column.example, values.PLAUSIBLE_TEXT] if column.example else [""])


@st.composite
def import_file(draw: st.DrawFn) -> tuple[Any, bytes, str]:
    """A CSV file of one import sheet, with its header and a row with hostile cells."""
    sheet = draw(st.sampled_from([s for s in IMPORT_SHEETS if s.imported]))
    columns = [c for c in sheet.columns if c.imported]
    hostile = draw(st.sets(st.sampled_from([c.name for c in columns]), min_size=1, max_size=2))
    row = [draw(_cell(c, c.name in hostile)) for c in columns]
    text = io.StringIO()
    csv.writer(text).writerows([[c.name for c in columns], row])
    content = text.getvalue().encode("utf-8", "surrogatepass")
    return f"{sheet.name}.csv", content, "text/csv"


FILES = {"upload": import_file}
"""The upload controls whose files are not evidence: the import page's workbook."""


def _plausible(item: Input) -> st.SearchStrategy[Any]:
    shown = [v for v in item.value if v]
    if item.kind in {"hidden", "button", "radio"}:
        return st.sampled_from(list(item.value or item.options or ("",)))
    if item.kind == "select":
        return st.sampled_from(shown + [o for o in item.options if o] or [""])
    if item.kind == "checkboxes":
        return st.one_of(
            st.just(list(item.value)), st.lists(st.sampled_from(item.options), unique=True)
        )
    if item.kind == "file":
        return FILES[item.name]() if item.name in FILES else st.just(EVIDENCE["evidence"])
    if item.kind == "password" and not shown:
        return st.just(NEW_PASSWORD if item.name.startswith(("new_", "confirm_")) else PASSWORD)
    if shown:
        return st.sampled_from(shown)
    if item.kind == "date":
        return values.plausible_date()
    if item.kind == "number":
        return values.plausible_amount()
    return values.plausible_text(item.name)


def _hostile(item: Input) -> st.SearchStrategy[Any]:
    raw = st.sampled_from(FORM_BYTES)
    if item.kind == "file":
        return FILES[item.name]() if item.name in FILES else evidence_file()
    if item.kind == "checkboxes":
        return st.lists(st.one_of(values.hostile_number(), values.hostile_text()), min_size=1)
    if item.kind == "date":
        return st.one_of(values.hostile_date(), raw)
    if item.kind in {"number", "select", "hidden", "button", "radio"}:
        return st.one_of(values.hostile_number(), values.hostile_text(), raw)
    return st.one_of(values.hostile_text(), values.hostile_date(), values.hostile_number(), raw)


@st.composite
def filled(draw: st.DrawFn, form: HtmlForm, csrf_token: str) -> tuple[dict[str, Any], set[str]]:
    """Return the form filled in, the CSRF token valid, and the one or two (or all) fields
    made hostile."""
    names = [item.name for item in form.inputs if item.name != "csrf_token"]
    # Mostly one or two of the fields a person fills in; one request in eight, all of them,
    # the hidden ones (the record's version, where to go next) included.
    typed = [item.name for item in form.inputs if item.kind != "hidden"] or names
    hostile: set[str] = set()
    if names:
        every = draw(st.integers(0, 7)) == 0
        few = st.sets(st.sampled_from(typed), min_size=1, max_size=2)
        hostile = set(names) if every else draw(few)
    result: dict[str, Any] = {"csrf_token": csrf_token}
    for item in form.inputs:
        if item.name == "csrf_token":
            continue
        strategy = _hostile(item) if item.name in hostile else _plausible(item)
        result[item.name] = draw(strategy)
    for name in [n for n in result if n.startswith("confirm_") and n not in hostile]:
        twin = "new_" + name.removeprefix("confirm_")  # a confirmation repeats its field
        if twin in result:
            result[name] = result[twin]
    return result, set(hostile)


def encoded(form: HtmlForm, fields: dict[str, Any]) -> tuple[bytes, str]:
    """Return the request body and its content type, written by hand so that any bytes pass."""
    pairs: list[tuple[str, Any]] = []
    files: list[tuple[str, tuple[Any, bytes, str]]] = []
    for name, value in fields.items():
        item = form.named(name)
        if item is not None and item.kind == "file":
            files.append((name, value))
        elif isinstance(value, list):
            pairs.extend((name, v) for v in value)
        else:
            pairs.append((name, value))
    if not form.multipart:
        return urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    return _multipart(pairs, files)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _multipart(
    pairs: list[tuple[str, Any]], files: list[tuple[str, tuple[Any, bytes, str]]]
) -> tuple[bytes, str]:
    boundary = f"fuzz-boundary-{next(BoundaryCount)}"
    parts = []
    for name, value in pairs:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + _bytes(value)
            + b"\r\n"
        )
    for name, (filename, content, kind) in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="'.encode()
            + _bytes(filename)
            + b'"\r\n'
            + (f"Content-Type: {kind}\r\n".encode() if kind else b"")
            + b"\r\n"
        )
        parts.append(head + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
