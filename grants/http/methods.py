"""Which methods a path answers, for pages and API alike: HEAD wherever GET is routed, and
the whole ``Allow`` list when a method is not (405)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_ONLY = frozenset({"GET", "HEAD"})


def served_routes(routes: Iterable[Any]) -> list[Any]:
    """Return ``routes`` as served, with included routers flattened into their routes.

    Each item has the route's ``path_format``, ``methods``, ``matches`` and, for API routes,
    ``dependant`` and ``include_in_schema``.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazily included routers: the list is flat already
        return list(routes)
    return list(iter_route_contexts(list(routes)))


def _methods_of(route: Any) -> set[str]:
    methods = getattr(route, "methods", None)
    if methods:
        return set(methods)
    if isinstance(route, Mount) or isinstance(getattr(route, "original_route", None), Mount):
        return set(READ_ONLY) if isinstance(route.app, StaticFiles) else set()
    return set()


def allowed_methods(routes: Iterable[Any], scope: Scope) -> list[str]:
    """Return every method routed for the request's path, HEAD with GET, in order."""
    probe = {
        "type": "http",
        "path": scope["path"],
        "root_path": scope.get("root_path", ""),
        "method": scope["method"],
    }
    found: set[str] = set()
    for route in served_routes(routes):
        match, _child = route.matches(probe)
        if match is not Match.NONE:
            found |= _methods_of(route)
    if "GET" in found:
        found.add("HEAD")
    return sorted(found)


class HeadAsGet:
    """ASGI middleware answering HEAD wherever GET is routed: the GET's status and headers
    (its ``Content-Length`` and ``ETag`` included), without the body.

    Routes declare GET only, so the OpenAPI document lists each operation once.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
