"""One load client: a keep-alive connection that sends requests as a demo user, and the tally
every client writes its figures to.

Each request is filed under a label (``GET web dashboard``, ``POST api expense``...) and
its answer sorted: the status it should have; an expected refusal (409 or 412, and a 422
where two clients raced for the same room in an award); any other 4xx (unexpected); a 5xx
(server error); or a broken exchange (connection reset, timeout, refused).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from _http import Answer, Connection
from _load_setup import MANAGERS, World

RACES = frozenset({409, 412})


@dataclass
class Tally:
    """What every client saw; latencies (ms) only from requests started after the warm-up."""

    measure_from: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    expected: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: Counter[tuple[str, int]] = field(default_factory=Counter)
    server_errors: Counter[tuple[str, int]] = field(default_factory=Counter)
    broken: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    successes: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    created: dict[str, list[int]] = field(default_factory=dict)
    web_expenses: int = 0
    requests: int = 0
    measured: Counter[str] = field(default_factory=Counter)

    def note(self, text: str) -> None:
        if len(self.samples) < 20:
            self.samples.append(text[:300])

    def made(self, kind: str, ident: int) -> None:
        self.created.setdefault(kind, []).append(ident)


class Client:
    """One simulated user session: its own connection and random stream."""

    def __init__(self, number: int, base: str, world: World, tally: Tally, timeout: float):
        host, port = base.removeprefix("http://").split(":")
        self.base = base
        self.connection = Connection(host, int(port), timeout)
        self.rng = random.Random(number)
        self.world = world
        self.tally = tally
        self.number = number
        self.serial = 0

    def next_ref(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.number:02d}-{self.serial:05d}"

    async def call(
        self,
        label: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        cookie: str | None = None,
        payload: Any = None,
        body: bytes = b"",
        media: str | None = None,
        headers: dict[str, str] | None = None,
        expect: int = 200,
        tolerate: frozenset[int] = RACES,
    ) -> Answer | None:
        """Send one request; return the answer if its status is ``expect``, else None."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if cookie:
            sent["Cookie"] = f"grants_session={cookie}"
            if method != "GET":
                sent["Origin"] = self.base
        if payload is not None:
            body, media = json.dumps(payload).encode(), "application/json"
        if media:
            sent["Content-Type"] = media
        kind = "read" if method == "GET" else "write"
        self.tally.kinds[label] = kind
        started = time.monotonic()
        try:
            answer = await self.connection.request(method, path, sent, body)
        except TimeoutError:
            self._broken(label, "timeout", path)
            return None
        except ConnectionRefusedError:
            self._broken(label, "refused", path)
            return None
        except (ConnectionError, asyncio.IncompleteReadError, EOFError) as error:
            self._broken(label, "reset", f"{path}: {type(error).__name__}")
            return None
        elapsed_ms = (time.monotonic() - started) * 1000
        tally = self.tally
        tally.requests += 1
        if started >= tally.measure_from:
            tally.latencies.setdefault(label, []).append(elapsed_ms)
            tally.measured[kind] += 1
        status = answer.status
        tally.answers[label, status] += 1
        if status == expect:
            return answer
        if status >= 500:
            tally.server_errors[label, status] += 1
            tally.note(f"{label} {path}: {status} {answer.body[:200]!r}")
        elif status in tolerate:
            tally.expected[label, status] += 1
        else:
            tally.unexpected[label, status] += 1
            tally.note(f"{label} {path}: {status} {answer.body[:200]!r}")
        return None

    def _broken(self, label: str, kind: str, detail: str) -> None:
        self.tally.requests += 1
        self.tally.broken[kind] += 1
        self.tally.note(f"{label}: {kind} {detail}")

    async def get_json(self, label: str, path: str, token: str) -> tuple[Any, str] | None:
        """GET ``path`` with a token; return its JSON and ETag, or None."""
        answer = await self.call(label, "GET", path, token=token)
        if answer is None:
            return None
        return json.loads(answer.body), answer.headers.get("etag", "")


def manager_token(c: Client) -> str:
    """The API token of one of the programme's grant managers, picked at random."""
    return c.world.tokens[c.rng.choice(MANAGERS)]
