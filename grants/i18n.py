"""Gettext plumbing: the active translation for the current request or command."""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel.numbers import format_currency

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
SUPPORTED_LOCALES = ("en",)

_active: ContextVar[_gettext.NullTranslations | None] = ContextVar("translations", default=None)
_locale: ContextVar[str] = ContextVar("locale", default="en")


@lru_cache
def translations(locale: str) -> _gettext.NullTranslations:
    """Return the compiled catalogue for ``locale``, or untranslated English."""
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


def activate(locale: str) -> None:
    """Make ``locale`` the language of messages produced in this context."""
    _active.set(translations(locale))
    _locale.set(locale)


def gettext(message: str) -> str:
    """Translate ``message`` into the active language."""
    active = _active.get() or translations("en")
    return active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on the number ``n``."""
    active = _active.get() or translations("en")
    return active.ngettext(singular, plural, n)


_ = gettext


def format_money(amount: Decimal, currency: str) -> str:
    """Return ``amount`` written as money in ``currency`` for the active language."""
    return format_currency(amount, currency, locale=_locale.get())
