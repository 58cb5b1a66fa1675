"""The Jinja2 environment shared by web pages and PDF reports."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal
from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from grants import __version__, i18n
from grants.paths import templates_dir
from grants.web import flash, navigation


def money(amount: Any, currency: str | None = None) -> str:
    """Return ``amount`` written as money in ``currency`` (blank when there is none)."""
    if amount is None or not currency:
        return "" if amount is None else str(amount)
    return i18n.format_money(Decimal(amount), currency)


def percent(value: Any) -> str:
    """Return a share already in percent (``45.3``) written as ``45.3 %``."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), "#,##0.0", locale="en") + "\u00a0%"


def number(value: Any) -> str:
    """Return a quantity without its stored trailing zeros (``400.0000`` as ``400``)."""
    return "" if value is None else format_decimal(Decimal(value), locale="en")


@lru_cache
def environment() -> Environment:
    """Return the autoescaping Jinja2 environment with gettext installed."""
    env = Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["app_version"] = __version__
    env.filters.update(money=money, percent=percent, number=number)
    return env


def _signed_in(request: Request) -> dict[str, Any]:
    """Who is signed in, their menu and pending messages, for the frame of every page."""
    context: dict[str, Any] = {"flashes": flash.pending(request)}
    found = getattr(request.state, "signed_in", None)
    if not found:
        return context | {"signed_in": None, "menu": []}
    user, user_session, principal = found
    return context | {
        "signed_in": {
            "email": user.email,
            "name": user.full_name,
            "csrf_token": user_session.csrf_token,
        },
        "menu": navigation.menu(principal, request.url.path),
    }


@lru_cache
def templates() -> Jinja2Templates:
    """Return the response helper bound to the shared environment."""
    return Jinja2Templates(env=environment(), context_processors=[_signed_in])
