"""Lists on pages: the links for sorting, paging and downloading, kept with the filters.

A ``Listing`` is what the table macros need to draw sortable headers, the pager and the
download links; every link keeps the filters the person chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from grants.i18n import _

PAGE_SIZE = 50


@dataclass(frozen=True)
class Link:
    """A table cell that links somewhere."""

    text: str
    href: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Listing:
    """One page of a sortable, filterable list and the links around it."""

    path: str
    params: dict[str, str]
    sort: str
    total: int
    limit: int = PAGE_SIZE
    offset: int = 0
    sortable: dict[str, str] = field(default_factory=dict)
    downloads: bool = True

    def url(self, **changes: Any) -> str:
        """Return this list's URL with ``changes`` applied to its parameters."""
        params = {**self.params, "sort": self.sort, "offset": str(self.offset), **changes}
        kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
        if kept.get("offset") == "0":
            kept.pop("offset")
        return self.path + ("?" + urlencode(kept) if kept else "")

    def sort_url(self, key: str) -> str:
        """Return the URL sorting by column ``key``: ascending first, then descending."""
        name = self.sortable[key]
        return self.url(sort=f"-{name}" if self.sort == name else name, offset=None)

    def aria_sort(self, key: str) -> str | None:
        """Return ``ascending``/``descending`` for the column the list is sorted by."""
        name = self.sortable.get(key)
        if name is None or self.sort.removeprefix("-") != name:
            return None
        return "descending" if self.sort.startswith("-") else "ascending"

    @property
    def first(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def previous_url(self) -> str | None:
        if self.offset <= 0:
            return None
        return self.url(offset=max(0, self.offset - self.limit))

    @property
    def next_url(self) -> str | None:
        if self.offset + self.limit >= self.total:
            return None
        return self.url(offset=self.offset + self.limit)

    def download_url(self, fmt: str) -> str:
        """Return the URL of the whole list (every page) as ``fmt`` (csv or xlsx)."""
        kept = {k: v for k, v in {**self.params, "sort": self.sort}.items() if v}
        return f"{self.path}.{fmt}" + ("?" + urlencode(kept) if kept else "")


def query_params(query: Mapping[str, str], names: set[str]) -> dict[str, str]:
    """Return the non-empty query parameters among ``names``, trimmed."""
    return {key: value.strip() for key, value in query.items() if key in names and value.strip()}


def field_errors(error: ValidationError, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return one readable message per invalid field, keyed by the field's name."""
    errors: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "form"
        name = name.split(".", 1)[0]
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        label = (labels or {}).get(name)
        errors.setdefault(name, f"{label}: {message}" if label else message)
    return errors


def bad_filter_message() -> str:
    """Return the note shown above a list when some of its filters were ignored."""
    return _("Some filters were not understood and were left out; see the marked fields.")
