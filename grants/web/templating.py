"""The Jinja2 environment shared by web pages and PDF reports."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from grants import __version__, i18n
from grants.paths import templates_dir


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
    return env


def _signed_in(request: Request) -> dict[str, Any]:
    """Who is signed in, for the page header (only when the request already resolved it)."""
    found = getattr(request.state, "signed_in", None)
    if not found:
        return {"signed_in": None}
    user, user_session, _principal = found
    return {"signed_in": {"email": user.email, "csrf_token": user_session.csrf_token}}


@lru_cache
def templates() -> Jinja2Templates:
    """Return the response helper bound to the shared environment."""
    return Jinja2Templates(env=environment(), context_processors=[_signed_in])
