"""Rendering that would hold the interpreter for long (big workbooks, PDFs), done by a helper
process so that the other requests of the process go on meanwhile.

Python runs one thread at a time per process. A request thread that writes a workbook of ten
thousand cells or prints a PDF keeps the interpreter for a fifth of a second to several
seconds, and every other request of the process waits for turns behind it: under load, one
export lengthens dozens of answers. ``render(function, *args)`` hands such work to a pool of
``GRANTS_RENDER_PROCESSES`` helper processes (1 by default; 0 renders in the calling thread)
and waits for the result without holding the interpreter. The function and its arguments
travel by pickling, so they must be module-level functions and plain data.

The helpers start on first use, from a clean server process (``forkserver``), never as a copy
of a process with threads and open database connections; they hold no connection and read no
settings. A helper that dies (killed, out of memory) breaks the pool: the pool is replaced and
the work tried once more; should that helper die too, the work is done in the calling thread
(and logged), so a download never fails for want of a helper. Each server worker process has
its own pool; the helpers stop when their process exits.

As always with helper processes, a script that renders must keep its own work under
``if __name__ == "__main__":``, since a helper imports the script that started it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from grants.config import get_settings

log = logging.getLogger("grants.offload")
T = TypeVar("T")
# Imported once by the fork server, so a new helper starts with them loaded.
PRELOAD = ["grants.tables", "reports.pdf"]

_guard = threading.Lock()
_pool: tuple[int, ProcessPoolExecutor] | None = None  # the process that made it, the pool
_in_helper = False


def helpers() -> int:
    """Return how many helper processes render (``GRANTS_RENDER_PROCESSES``; 0: none)."""
    return get_settings().render_processes


def render(function: Callable[..., T], *args: object) -> T:
    """Return ``function(*args)``, computed by a helper process when there are helpers."""
    if _in_helper or helpers() == 0:
        return function(*args)
    for _attempt in (1, 2):
        pool = _executor()
        try:
            return pool.submit(function, *args).result()
        except BrokenProcessPool:
            _discard(pool)
    log.warning("render_helpers_broken", extra={"event": "render_helpers_broken"})
    return function(*args)


def start() -> None:
    """Start the helper processes now rather than on the first big download."""
    if helpers() and not _in_helper:
        render(os.getpid)


def _mark_helper() -> None:
    global _in_helper
    _in_helper = True


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _guard:
        if _pool is None or _pool[0] != os.getpid():
            pool = ProcessPoolExecutor(
                max_workers=helpers(), mp_context=_context(), initializer=_mark_helper
            )
            _pool = (os.getpid(), pool)
        return _pool[1]


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _guard:
        if _pool is not None and _pool[1] is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the helper processes of this process (a new ``render`` starts them again)."""
    global _pool
    with _guard:
        found, _pool = _pool, None
    if found is not None and found[0] == os.getpid():
        found[1].shutdown(wait=True, cancel_futures=True)
