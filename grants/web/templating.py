"""Web pages' responses: the shared Jinja2 environment with the frame every page shows."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from grants.templating import environment
from grants.web import flash, navigation


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
