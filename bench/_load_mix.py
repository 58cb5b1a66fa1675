"""The load benchmark's mix: what each client does, one operation after another.

An operation is picked at random by weight; it runs as the user who would do it:

- **expense** (API or the web form): a partner editor records an expense on a budget line
  of one of their projects open for reporting;
- **correction**: a partner editor corrects the description of one of their organisation's
  recent expenses, with the ETag of a GET in ``If-Match`` (``PATCH`` needs it);
- **submit**: a partner editor uploads evidence to an open milestone of their organisation
  and submits it with the ETag of a GET (the manager adds a milestone when a project has no
  open one left);
- **review**: a grant manager accepts (three in four) or returns with a reason a submitted
  milestone, with the ETag of a GET;
- **tranche**: a grant manager pays an approved tranche, or else approves a releasable one
  (its gate milestones accepted), or else schedules a new one of 50.00 (cancelling, with a
  reason, a scheduled tranche that waits for milestones when the award has no room left);
- **reads**: API lists, details and figures; the dashboard, project list, project, portal
  and donor pages; and downloads (evidence files, the project list as CSV and XLSX, the
  manager's full export as XLSX, the donor's and the portal's CSV lists). No PDF.

Two clients often pick the same milestone or tranche: the second gets 409 or 412, which is
what the API promises, and is counted as an expected refusal.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable

from _load_client import Client, Tally
from _load_reads import api_read, download, web_read
from _load_setup import World
from _load_writes import correct_expense, expense_api, expense_web, review, submit, tranche

Operation = Callable[[Client], Awaitable[None]]
MIX: list[tuple[Operation, int]] = [
    (expense_api, 8),
    (expense_web, 2),
    (correct_expense, 2),
    (submit, 4),
    (review, 4),
    (tranche, 3),
    (api_read, 30),
    (web_read, 20),
    (download, 8),
]


async def run_client(c: Client, deadline: float, think: float) -> None:
    """Run operations until ``deadline``, pausing ``think`` seconds on average between them."""
    operations, weights = zip(*MIX, strict=True)
    await asyncio.sleep(c.rng.random() * 0.5)  # do not all start in the same millisecond
    try:
        while time.monotonic() < deadline:
            operation = c.rng.choices(operations, weights)[0]
            try:
                await operation(c)
            except Exception as error:  # a fault of this client, not of the server
                c.tally.broken["client"] += 1
                c.tally.note(f"client {operation.__name__}: {error!r} {traceback.format_exc()}")
            if think:
                await asyncio.sleep(c.rng.expovariate(1 / think))
    finally:
        await c.connection.close()


async def run_clients(
    base: str,
    world: World,
    clients: int,
    warmup: float,
    duration: float,
    think: float,
    on_measure: Callable[[], None],
) -> tuple[Tally, float, list[float]]:
    """Run ``clients`` clients; return the tally, the measured seconds and the loop's lags.

    ``on_measure`` is called when the warm-up ends and the measured part begins.
    """
    tally = Tally()
    started = time.monotonic()
    tally.measure_from = started + warmup
    deadline = tally.measure_from + duration
    lags: list[float] = []
    watch = asyncio.create_task(_watch_loop(lags, tally.measure_from, on_measure))
    try:
        await asyncio.gather(
            *(
                run_client(Client(n, base, world, tally, timeout=30.0), deadline, think)
                for n in range(clients)
            )
        )
    finally:
        watch.cancel()
    return tally, time.monotonic() - tally.measure_from, lags


async def _watch_loop(
    lags: list[float], measure_from: float, on_measure: Callable[[], None], every: float = 0.05
) -> None:
    """Call ``on_measure`` once the warm-up is over, and record how late the client's event
    loop wakes up (ms) while measuring: its own share of every latency."""
    await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
    on_measure()
    while True:
        before = time.monotonic()
        await asyncio.sleep(every)
        lags.append((time.monotonic() - before - every) * 1000)
