"""Rendering that would hold the interpreter for long (big workbooks, PDFs), done by a helper
process so that the other requests of the process go on meanwhile.

Python runs one thread at a time per process. A request thread that writes a workbook of ten
thousand cells or prints a PDF keeps the interpreter for a fifth of a second to several
seconds, and every other request of the process waits for turns behind it: under load, one
export lengthens dozens of answers. ``render(function, *args)`` hands such work to a pool of
``GRANTS_RENDER_PROCESSES`` helper processes (1 by default; 0 renders in the calling thread)
and waits for the result without holding the interpreter. The function and its arguments
travel by pickling, so they must be module-level functions and plain data.

The helpers start with the server process (``start``) or on first use, as new interpreters
(``spawn``), never as a copy of a process with threads and open database connections; they
hold no connection and read no settings. A helper watches the process that started it and
exits within a second of its end, however it ended (even ``kill -9``).

A helper that dies (killed, out of memory) breaks the pool: the pool is replaced and
the work tried once more; should that helper die too, the work is done in the calling thread
(and logged), so a download never fails for want of a helper. Each server worker process has
its own pool; the helpers stop when their process exits.

As always with helper processes, a script that renders must keep its own work under
``if __name__ == "__main__":``, since a helper imports the script that started it.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from grants.config import get_settings

log = logging.getLogger("grants.offload")
T = TypeVar("T")
# Imported by each helper as it starts, so the first render does not wait for them.
PRELOAD = ("grants.tables", "reports.pdf")
WATCH_SECONDS = 1.0

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


def _begin_helper(parent: int) -> None:
    """Start a helper: mark it, load what it renders with, and watch its parent."""
    global _in_helper
    _in_helper = True
    for name in PRELOAD:
        importlib.import_module(name)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    """Exit once the process that started this helper has ended (its orphan is adopted)."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(0)


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _guard:
        if _pool is None or _pool[0] != os.getpid():
            pool = ProcessPoolExecutor(
                max_workers=helpers(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_begin_helper,
                initargs=(os.getpid(),),
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
