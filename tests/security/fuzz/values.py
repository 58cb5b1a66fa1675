"""Hostile values, and plausible ones to mix them with, as hypothesis strategies.

Hostile: what people paste and what attackers send. Text with NUL, control characters,
bidirectional marks, only whitespace, characters outside the Basic Multilingual Plane and
lengths around every limit; numbers written with underscores, signs, exponents, other digits,
NaN and Infinity; dates out of range, datetimes, numbers and malformed ones. Plausible: what a
careful person types, so that the other fields of a request pass and a hostile one reaches
the rule behind it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from hypothesis import strategies as st

from tests.helpers import TODAY

_numbers = itertools.count(1)
PLAUSIBLE_TEXT = "Fuzzed text"

ODD_TEXTS = [
    " ",
    "   ",
    "\t\n ",
    "\u00a0\u3000",
    "\u200b",
    "\u202eevil\u202c.txt",
    "\u200f\u200e\u2066\u2069",
    "\ufeffbom",
    "  padded  ",
    "tab\tand\nnew line\r\n",
    "\U0001f600\U0001d573\U0001d58a\U0001d591\U0001d591\U0001d594 \U0010fffd",
    "ﷺ عربي עברית",
    "\x7f\x85\x9f",
    "é" * 100,
    "😀" * 100,
    "x" * 99,
    "x" * 100,
    '=HYPERLINK("http://evil")',
    "+1-1",
    "@SUM(A1)",
    "-",
    "<script>alert(1)</script>",
    "{{ 7 * 7 }}",
    "'; DROP TABLE project; --",
    "%s%n%x",
    "../../etc/passwd",
    "C:\\Windows\\system32",
]
"""Text a rule may let through: whitespace, invisible and reordering marks, markup, formulas."""
BAD_TEXTS = [
    "\x00",
    "a\x00b",
    "\x1b[31mred",
    "\x08\x0b\x0c",
    "x" * 101,
    "é" * 101,
    "x" * 301,
    "x" * 2_001,
    "x" * 10_001,
    "x" * 20_001,
]
"""Text every rule must refuse or make harmless: NUL, control characters, over any limit."""
NUMBERS = [
    "1_000",
    "+5",
    "1E+2",
    "1e400",
    "-1",
    "-0",
    "0",
    "0.00001",
    "12.34567",
    "٣",
    "١٢٣٤",
    "۱۲۳",
    "१२३",
    "²",
    "½",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "99999999999999999999",
    "9" * 40,
    "100000000000",
    "0x10",
    "1,000",
    "1.000,50",
    "12,500",
    "1 000",
    " 5 ",
    "5-",
    "--5",
    "1/2",
    "€5",
    "5 EUR",
    "",
]
DATES = [
    "9999-12-31",
    "0001-01-01",
    "0000-00-00",
    "0",
    "-1",
    "1",
    "20260615",
    "2026-02-30",
    "2026-13-01",
    "2026-06-15T12:00:00",
    "2026-06-15T00:00:00Z",
    "2026-06-15 12:00",
    "2026-06-15T25:61:00",
    "15/06/2026",
    "06/15/2026",
    "2026-6-5",
    "\uff12\uff10\uff12\uff16-\uff10\uff16-\uff11\uff15",
    "\u0662\u0660\u0662\u0666-\u0660\u0666-\u0661\u0665",
    "1e10",
    "99999-01-01",
    "+2026-06-15",
    "2026-W24",
    "today",
    "1899-12-31",
    "1989-12-31",
    "2101-01-01",
    "1970-01-01",
    "2026-06-15\x00",
    "",
    " ",
]
INTEGERS: list[Any] = [
    0,
    -1,
    2**31 - 1,
    2**31,
    2**32,
    2**53 + 1,
    2**63,
    -(2**63) - 1,
    10**30,
    1.5,
    1e308,
    True,
    "1",
    "²",
    None,
]


def hostile_text() -> st.SearchStrategy[str]:
    """Text a form or a JSON string may carry, however unwelcome; as often let through as not."""
    odd, bad = st.sampled_from(ODD_TEXTS), st.sampled_from(BAD_TEXTS)
    return st.one_of(
        odd,
        bad,
        odd,
        bad,
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
        st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Co"]), max_size=8),
        st.builds(
            lambda n, c: c * n,
            st.sampled_from([99, 100, 101, 255, 256, 2000, 20_000]),
            st.sampled_from(["x", "é", "😀"]),
        ),
    )


def hostile_number() -> st.SearchStrategy[str]:
    """Numbers as people and programs write them, few of them plain."""
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.integers(-(10**25), 10**25).map(str),
        st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def hostile_date() -> st.SearchStrategy[str]:
    """Dates out of range, datetimes, numbers and malformed ones."""
    return st.one_of(
        st.sampled_from(DATES),
        st.dates().map(dt.date.isoformat),
        st.datetimes().map(dt.datetime.isoformat),
        st.integers(-(10**12), 10**12).map(str),
    )


def hostile_json_integer() -> st.SearchStrategy[Any]:
    """What may stand where an API body wants an id or a count."""
    return st.one_of(st.sampled_from(INTEGERS), st.integers(-(2**70), 2**70))


def hostile_json() -> st.SearchStrategy[Any]:
    """Any JSON value, for a field of another type: a type confusion."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.floats(allow_nan=True, allow_infinity=True),
        hostile_json_integer(),
        hostile_text(),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )


def plausible_date() -> st.SearchStrategy[str]:
    """A date near today, as the date picker sends it."""
    days = st.integers(-400, 600)
    return days.map(lambda n: (TODAY + dt.timedelta(days=n)).isoformat())


def plausible_amount() -> st.SearchStrategy[str]:
    return st.sampled_from(["100", "1250.50", "1,250.50", "0", "5000", "12500.00"])


def plausible_text(name: str) -> st.SearchStrategy[str]:
    """What a careful person types into the field called ``name``."""
    if name in {"code", "ref", "reference"}:
        return st.builds(lambda: f"FUZZ-{next(_numbers)}")
    if name == "email":
        return st.builds(lambda: f"fuzz{next(_numbers)}@example.org")
    if name == "country":
        return st.sampled_from(["JO", "TN", "ma"])
    if name == "currency":
        return st.sampled_from(["EUR", "eur", "CHF"])
    if name == "website":
        return st.just("https://example.org/")
    if name == "objectives":
        return st.just("A: Access to rights\nB: Social cohesion")
    return st.sampled_from([PLAUSIBLE_TEXT, "Salle municipale, 2e étage", "تقرير", "A"])
