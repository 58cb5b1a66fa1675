"""The web pages' own request rules: CSRF protection of forms and safe redirects."""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from grants.http.deps import current

log = logging.getLogger("grants.access")
LOGIN_CSRF_COOKIE = "grants_login_csrf"


class CsrfRefused(Exception):
    """A state-changing request without a valid CSRF token or from another origin."""


def safe_next(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else the home page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return False
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


def login_csrf_token(request: Request) -> str:
    """Return the pre-sign-in CSRF token of this browser, making one if needed."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    request.state.login_csrf = token
    return token


async def csrf_protect(request: Request) -> None:
    """Refuse a form POST from another origin or without this session's CSRF token."""
    found = await run_in_threadpool(current, request)
    expected = found[1].csrf_token if found else request.cookies.get(LOGIN_CSRF_COOKIE)
    form = await request.form()
    given = form.get("csrf_token")
    if (
        not _same_origin(request)
        or not expected
        or not isinstance(given, str)
        or not hmac.compare_digest(given, expected)
    ):
        log.warning(
            "csrf refused", extra={"event": "denied", "reason": "csrf", "path": request.url.path}
        )
        raise CsrfRefused


CsrfProtected = Depends(csrf_protect)
