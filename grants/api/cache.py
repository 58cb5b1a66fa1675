"""A per-process cache of API reads, valid only while nothing has changed in the database.

Every audited change adds an audit event, so the id of the latest one (the high-water mark)
moves with every write, from any process; the latest change to a token, a user or a role
(the access mark) moves only with those. Each API request reads both marks with its token
check (``grants.audit.MARKS``): a cached principal is used while the access mark stands, a
cached response only when it was stored under the same high-water mark, for the same user,
URL and "today". One indexed read replaces the token look-up, the roles, the scoped query
and the serialization of a repeated read.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from grants.http.deps import today_of
from grants.services.access import Principal

K = TypeVar("K")
ENTRIES = 2048
BUDGET = 32 * 1024 * 1024  # bytes of cached bodies per process


class Lru:
    """A small thread-safe LRU mapping of keys to (mark, value), bounded in entries and bytes."""

    def __init__(self, size: int = ENTRIES, budget: int = BUDGET) -> None:
        self.size = size
        self.budget = budget
        self.used = 0
        self.entries: OrderedDict[Any, tuple[int, Any, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any, mark: int) -> Any | None:
        """Return the value stored under ``key`` at ``mark``; None if absent or older."""
        with self.lock:
            found = self.entries.get(key)
            if found is None or found[0] != mark:
                return None
            self.entries.move_to_end(key)
            return found[1]

    def put(self, key: Any, mark: int, value: Any, weight: int = 0) -> None:
        """Store ``value`` (``weight`` bytes) under ``key`` at ``mark``, evicting the oldest."""
        if weight > self.budget // 8:
            return
        with self.lock:
            previous = self.entries.pop(key, None)
            if previous is not None:
                self.used -= previous[2]
            self.entries[key] = (mark, value, weight)
            self.used += weight
            while len(self.entries) > self.size or self.used > self.budget:
                _key, (_mark, _value, dropped) = self.entries.popitem(last=False)
                self.used -= dropped


@dataclass(frozen=True)
class CachedToken:
    """What a valid token stands for, as of an access mark."""

    principal: Principal
    token_id: int
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None


@dataclass(frozen=True)
class CachedBody:
    body: bytes
    etag: str | None


def caches(request: Request) -> tuple[Lru, Lru]:
    """The app's token and response caches, made on first use."""
    state = request.app.state
    if not hasattr(state, "api_caches"):
        state.api_caches = (Lru(), Lru())
    found: tuple[Lru, Lru] = state.api_caches
    return found


def cached_read(route: Callable[..., Response]) -> Callable[..., Awaitable[Response]]:
    """Serve a repeated GET from the cache while the database has not changed.

    The key is the user, the full URL and the app's "today" (overdue filters depend on it);
    the value is the JSON body and its ETag. Only 200 answers are kept. A hit is answered
    on the event loop; a miss runs the route in a worker thread, as FastAPI would.
    """

    @functools.wraps(route)
    async def read(**kwargs: Any) -> Response:
        request: Request = kwargs["request"]
        principal: Principal = kwargs["principal"]
        mark = getattr(request.state, "high_water_mark", None)
        if mark is None or principal.user_id is None:
            return await run_in_threadpool(route, **kwargs)
        key = (principal.user_id, str(request.url), today_of(request))
        _tokens, bodies = caches(request)
        hit: CachedBody | None = bodies.get(key, mark)
        if hit is None:
            response = await run_in_threadpool(route, **kwargs)
            if response.status_code != 200:
                return response
            hit = CachedBody(bytes(response.body), response.headers.get("etag"))
            bodies.put(key, mark, hit, len(hit.body))
        headers = {"ETag": hit.etag} if hit.etag else {}
        if hit.etag and hit.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(hit.body, media_type="application/json", headers=headers)

    return read
