"""Security headers on every response, error pages and downloads included."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages load scripts and styles from this site only: no inline script, no style attribute.
# Images may also be data: URIs, which the vendored stylesheet uses for its form icons.
CSP = (
    "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; img-src 'self' data:"
)
# Swagger UI sets inline styles and data: icons; its page runs no inline script either.
DOCS_CSP = CSP + "; style-src 'self' 'unsafe-inline'"


# Report previews embed charts whose SVG carries style attributes.
REPORT_CSP = CSP + "; style-src 'self' 'unsafe-inline'"


# Stylesheets, scripts and the API docs' assets: the same for everyone, and not personal.
PUBLIC_ASSETS = ("/static/", "/api/docs/assets/")
ASSET_CACHE = "public, no-cache"
"""Any cache may keep an asset, but asks each time whether it changed (its ``ETag`` and
``Last-Modified`` answer 304 when not), so a new release shows at once although the
assets' addresses do not change."""


def secure(headers: MutableHeaders, path: str, scheme: str, status: int = 200) -> None:
    """Set the security headers for a ``status`` response to ``path`` over ``scheme``."""
    if path.startswith("/api/docs"):
        headers["Content-Security-Policy"] = DOCS_CSP
    elif path.endswith("/report.html"):
        headers["Content-Security-Policy"] = REPORT_CSP
    else:
        headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    if path.startswith(PUBLIC_ASSETS) and status in {200, 206, 304}:
        headers["Cache-Control"] = ASSET_CACHE
    else:
        headers["Cache-Control"] = "no-store"
    if scheme == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"


def apply(request: Request, response: Response) -> Response:
    """Add the security headers to ``response`` and return it."""
    secure(response.headers, request.url.path, request.url.scheme, response.status_code)
    return response


class SecurityHeaders:
    """ASGI middleware that applies the headers to every response of the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                secure(
                    MutableHeaders(scope=message),
                    scope["path"],
                    scope.get("scheme", "http"),
                    message["status"],
                )
            await send(message)

        await self.app(scope, receive, send_secured)
