"""Language and locale: gettext for messages, and Babel for every locale-dependent format.

Messages, money, shares and quantities are written in one place, here, for pages, the API's
messages, reports, exports and e-mails alike. Only English is offered today
(``SUPPORTED_LOCALES``); ``locale()`` is where the language of a request or command will be
chosen when more are.
"""

from __future__ import annotations

import gettext as _gettext
import math
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.numbers import format_currency, format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES = (DEFAULT_LOCALE,)


@lru_cache
def translations(locale: str) -> _gettext.NullTranslations:
    """Return the compiled catalogue for ``locale``, or untranslated English."""
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


def locale() -> str:
    """Return the language messages and formats are produced in."""
    return DEFAULT_LOCALE


def gettext(message: str) -> str:
    """Translate ``message`` into the active language."""
    return translations(locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on the number ``n``."""
    return translations(locale()).ngettext(singular, plural, n)


_ = gettext


def missing(value: Any) -> bool:
    """Return whether ``value`` is absent: ``None``, NaN, or pandas' missing markers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return type(value).__name__ in {"NaTType", "NAType"}


def format_money(amount: Any, currency: str | None) -> str:
    """Return ``amount`` written as money in ``currency`` (blank when missing; the bare
    number when there is no currency)."""
    if missing(amount):
        return ""
    if not currency:
        return str(amount)
    return _money(Decimal(str(amount)), currency, locale())


@lru_cache(maxsize=8192)
def _money(amount: Decimal, currency: str, language: str) -> str:
    # Babel takes a tenth of a millisecond a call, and pages repeat the same amounts; equal
    # decimals (``1.5``, ``1.50``) read alike, in the currency's own number of decimals.
    return format_currency(amount, currency, locale=language)


def format_place(city: str, country: str) -> str:
    """Return where a project is, as its pages, lists and reports write it: ``Sfax (TN)``."""
    return f"{city} ({country})"


def format_percent(value: Any) -> str:
    """Return a share already in percent (``45.3``) written as ``45.3 %``."""
    if missing(value):
        return ""
    return format_decimal(Decimal(str(value)), "#,##0.0", locale=locale()) + "\u00a0%"


def format_number(value: Any) -> str:
    """Return a quantity without its stored trailing zeros (``400.0000`` as ``400``)."""
    return "" if missing(value) else format_decimal(Decimal(str(value)), locale=locale())
