"""The largest request body each route accepts, enforced while the body arrives.

``BodyLimits`` runs before routing, so before authentication, CSRF checks and parsing. A
body whose Content-Length is over its route's limit is refused (413) without reading a byte
of it; a body sent without a length (chunked) is counted as it arrives and refused as soon
as it passes the limit, so at most one chunk over the limit is ever held. The limits, in
one table (``RouteLimits.of``):

- the routes that take files: their file quota plus ``BODY_MAX`` for the form's other
  fields and the multipart framing;
- every other POST, PUT and PATCH: ``BODY_MAX``, for JSON bodies and plain forms;
- every other method (GET, HEAD, DELETE...): ``NO_BODY_MAX``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grants.config import Settings
from grants.i18n import _
from grants.services import attachments

log = logging.getLogger("grants.access")
KIB = 1024
MIB = 1024 * KIB
BODY_MAX = MIB
"""JSON bodies and plain forms. The largest legitimate one, a progress update with its three
narratives at their 20,000-character limit, stays under 750 KB even when every character is
escaped (a ``\\ud83d\\ude00`` pair in JSON, ``%F0%9F%98%80`` in a form)."""
NO_BODY_MAX = 4 * KIB
"""Requests whose method takes no body."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
Render = Callable[[Request, int, str], Response]
"""Renders an error as the client expects it: ``grants.web.errors.render``."""


def upload_limits(settings: Settings) -> dict[tuple[str, str], int]:
    """Return the routes that take files, as (method, path), with the largest body of each."""
    one_file = attachments.MAX_BYTES + BODY_MAX
    evidence_form = attachments.MAX_BYTES_PER_FORM + BODY_MAX
    workbook = settings.import_max_mb * MIB + BODY_MAX
    return {
        ("POST", "/milestones/{milestone_id}/submit"): evidence_form,
        ("POST", "/projects/{project_id}/updates/new"): evidence_form,
        ("POST", "/progress-updates/{update_id}/edit"): evidence_form,
        ("POST", "/exchange/import"): workbook,
        ("POST", "/api/v1/milestones/{milestone_id}/attachments"): one_file,
        ("POST", "/api/v1/progress-updates/{progress_update_id}/attachments"): one_file,
    }


@dataclass(frozen=True)
class RouteLimits:
    """The body limit of every route: the upload routes' own, else by method."""

    uploads: tuple[tuple[str, re.Pattern[str], int], ...]

    @classmethod
    def of(cls, settings: Settings) -> RouteLimits:
        """Return the limits for an application running with ``settings``."""
        uploads = upload_limits(settings).items()
        return cls(tuple((method, compile_path(path)[0], n) for (method, path), n in uploads))

    def limit(self, method: str, path: str) -> int:
        """Return the largest body, in bytes, accepted by ``method`` on ``path``."""
        for upload_method, pattern, limit in self.uploads:
            if method == upload_method and pattern.match(path):
                return limit
        return BODY_MAX if method in BODY_METHODS else NO_BODY_MAX


def _readable(size: int) -> str:
    """Return ``size`` bytes in MB (or KB below one), as the limit's message states it."""
    return f"{size // MIB} MB" if size >= MIB else f"{size // KIB} KB"


class BodyTooLarge(HTTPException):
    """A request body over its route's limit (413)."""

    def __init__(self, limit: int) -> None:
        message = _("The request is larger than the {size} accepted here.")
        super().__init__(413, message.format(size=_readable(limit)))
        self.limit = limit


def declared_length(scope: Scope) -> int | None:
    """Return the request's Content-Length, or None when it has none (or not a number)."""
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None  # the server refuses such a request; the body is counted meanwhile


def _log_refusal(scope: Scope) -> None:
    log.info(
        "body too large",
        extra={
            "event": "denied",
            "reason": "body_too_large",
            "status": 413,
            "method": scope["method"],
            "path": scope["path"],
        },
    )


class _Counted:
    """One request's receive and send: body bytes counted as they arrive, the answer watched."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        self.scope, self.limit = scope, limit
        self._receive, self._send = receive, send
        self.received = 0
        self.over = False
        self.started = False

    async def receive(self) -> Message:
        if self.over:
            raise BodyTooLarge(self.limit)
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.over = True
                _log_refusal(self.scope)
                raise BodyTooLarge(self.limit)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if self.over:  # the rest of the body is never read: end the connection
                MutableHeaders(scope=message).append("connection", "close")
        await self._send(message)


class BodyLimits:
    """ASGI middleware: refuse a request body over its route's limit with 413."""

    def __init__(self, app: ASGIApp, limits: RouteLimits, render: Render) -> None:
        self.app = app
        self.limits = limits
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.limit(scope["method"], scope["path"])
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            _log_refusal(scope)
            await self._refuse(scope, receive, send, limit)
            return
        counted = _Counted(scope, receive, send, limit)
        try:
            await self.app(scope, counted.receive, counted.send)
        except Exception:
            # Once the status is sent a 413 cannot follow: the server drops the connection.
            if counted.started or not counted.over:
                raise
        if counted.over and not counted.started:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = BodyTooLarge(limit)
        response = self.render(Request(scope, receive), error.status_code, error.detail)
        response.headers["connection"] = "close"
        await response(scope, receive, send)
