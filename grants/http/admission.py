"""How many requests one process works on at once, and what a request that waits too long
is told.

Every request that may touch the database takes a turn first, in one of two lines: at
most ``GRANTS_CONCURRENT_REQUESTS`` reads (GET, HEAD, OPTIONS) and
``GRANTS_CONCURRENT_WRITES`` writes (every other method) are at work at once, and the
database pool keeps a connection for each (``grants.db``), so an admitted request never
waits for one. Both databases let one write transaction through at a time, so more writers
at work would only hold connections and worker threads while they wait for the lock, and
make readers wait behind them; in their own line they wait on the event loop, in order,
which costs nothing. A request that waits longer than ``GRANTS_QUEUE_TIMEOUT_SECONDS`` is
answered 503 with ``Retry-After``, never left hanging. The health check and static files
take no turn, so they answer at once under any load.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from grants.i18n import _

log = logging.getLogger("grants.http")
RETRY_AFTER_SECONDS = 2
THREADS_BESIDES = 8
EXEMPT_PATHS = ("/healthz",)
EXEMPT_PREFIXES = ("/static/",)


READING = frozenset({"GET", "HEAD", "OPTIONS"})
Lines = tuple[asyncio.AbstractEventLoop, asyncio.Semaphore, asyncio.Semaphore]


class Admission:
    """Pure ASGI middleware: a request waits for a turn in its line, up to ``wait`` seconds."""

    def __init__(self, app: ASGIApp, reads: int, writes: int, wait: float) -> None:
        self.app = app
        self.reads = reads
        self.writes = writes
        self.wait = wait
        self._lines: Lines | None = None

    def turns(self, method: str) -> asyncio.Semaphore:
        """The line of ``method`` on the running event loop (tests run several in turn)."""
        loop = asyncio.get_running_loop()
        if self._lines is None or self._lines[0] is not loop:
            self._lines = (loop, asyncio.Semaphore(self.reads), asyncio.Semaphore(self.writes))
            # Worker threads for every admitted request and the exempt ones besides.
            threads = anyio.to_thread.current_default_thread_limiter()
            wanted = self.reads + self.writes + THREADS_BESIDES
            threads.total_tokens = max(threads.total_tokens, wanted)
        return self._lines[1] if method in READING else self._lines[2]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        turns = self.turns(scope["method"])
        try:
            await asyncio.wait_for(turns.acquire(), self.wait)
        except TimeoutError:
            log.warning(
                "busy", extra={"event": "busy", "path": scope["path"], "waited_s": self.wait}
            )
            await send_busy(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            turns.release()


def _exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


def busy_message() -> str:
    return _("The server is busy; please try again in a few seconds.")


def busy_headers(retry_after: float = RETRY_AFTER_SECONDS) -> dict[str, str]:
    """The headers of every 503 that asks the client to come back."""
    return {"Retry-After": str(max(1, math.ceil(retry_after))), "Cache-Control": "no-store"}


async def send_busy(scope: Scope, send: Send) -> None:
    """Answer 503: problem+json under ``/api``, a short page elsewhere."""
    if scope["path"].startswith("/api/"):
        document = {
            "type": "about:blank",
            "title": _("Service unavailable"),
            "status": 503,
            "detail": busy_message(),
        }
        body = json.dumps(document).encode()
        media_type = "application/problem+json"
    else:
        body = (
            "<!doctype html><html lang='en'><meta charset='utf-8'>"
            f"<title>{_('Service unavailable')}</title><main><h1>{_('Service unavailable')}</h1>"
            f"<p>{busy_message()}</p></main></html>"
        ).encode()
        media_type = "text/html; charset=utf-8"
    headers = [(name.lower().encode(), value.encode()) for name, value in busy_headers().items()]
    headers += [
        (b"content-type", media_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
