"""One-time messages that survive a redirect: a signed cookie read by the next page shown.

A route that redirects after a change calls ``add(request, response, message)``; the page the
browser lands on shows the messages (the templates' context reads them) and the
``FlashCleanup`` middleware then deletes the cookie, so each message is shown once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Literal

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "grants_flash"
MAX_MESSAGES = 5
MAX_LENGTH = 400
Level = Literal["success", "info", "warning", "error"]
LEVELS = ("success", "info", "warning", "error")
_CONSUMED = "flash_consumed"


@dataclass(frozen=True)
class Flash:
    """A message for the next page, and how it reads: success, info, warning or error."""

    level: str
    message: str


def _key(request: Request) -> bytes:
    secret: str = request.app.state.settings.secret_key
    return hashlib.sha256(b"flash:" + secret.encode()).digest()


def _sign(request: Request, payload: bytes) -> str:
    mac = hmac.new(_key(request), payload, hashlib.sha256).digest()
    encode = base64.urlsafe_b64encode
    return f"{encode(payload).decode()}.{encode(mac).decode()}"


def _verified(request: Request, value: str) -> list[Flash]:
    try:
        data, mac = value.split(".", 1)
        payload = base64.urlsafe_b64decode(data.encode())
        expected = hmac.new(_key(request), payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, base64.urlsafe_b64decode(mac.encode())):
            return []
        items = json.loads(payload)
        return [Flash(str(level), str(text)) for level, text in items if level in LEVELS]
    except (ValueError, TypeError):
        return []


def _stored(request: Request) -> list[Flash]:
    value = request.cookies.get(COOKIE)
    return _verified(request, value) if value else []


def pending(request: Request) -> list[Flash]:
    """Return the messages waiting for this page; they are deleted once it is sent."""
    found = _stored(request)
    if found:
        request.state.flash_consumed = True
    return found


def add(request: Request, response: Response, message: str, level: Level = "success") -> None:
    """Queue ``message`` for the next page this browser shows (after ``response``'s redirect)."""
    items = [*_stored(request), Flash(level, message[:MAX_LENGTH])][-MAX_MESSAGES:]
    payload = json.dumps([[item.level, item.message] for item in items]).encode()
    secure = request.url.scheme == "https"
    configured = request.app.state.settings.cookie_secure
    response.set_cookie(
        COOKIE,
        _sign(request, payload),
        httponly=True,
        samesite="lax",
        secure=secure if configured is None else configured,
        path="/",
    )


class FlashCleanup:
    """ASGI middleware: once a page has shown the messages, tell the browser to forget them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_cleaned(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                redirect = 300 <= message["status"] < 400
                if state.get(_CONSUMED) and not redirect:
                    headers = MutableHeaders(scope=message)
                    headers.append(
                        "set-cookie", f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=lax"
                    )
            await send(message)

        await self.app(scope, receive, send_cleaned)
