"""Requests sent straight through ASGI, for tests that must see how much of a body was read.

``call`` feeds the body chunk by chunk, as a server does, and counts what the application
asked for; ``temporary_files`` names the files this process holds open in a folder, deleted
ones included (an upload spilled to disk has no name in the folder while it is open).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Scope

from tests.helpers import run_async

CHUNK = 64 * 1024
BOUNDARY = "limits-test-boundary"


@dataclass
class Answer:
    """What the application sent back, and how many body bytes it took."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    read: int = 0

    def problem(self) -> dict[str, Any]:
        assert self.headers["content-type"] == "application/problem+json", self.headers
        document: dict[str, Any] = json.loads(self.body)
        return document


def filler(total: int, size: int = CHUNK) -> Iterator[bytes]:
    """``total`` bytes in chunks of ``size``, made as they are asked for."""
    for start in range(0, total, size):
        yield b"a" * min(size, total - start)


def multipart_file(total: int, name: str = "file", filename: str = "big.csv") -> Iterator[bytes]:
    """A multipart body holding one file of ``total`` bytes."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    yield from filler(total)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _messages(chunks: Iterable[bytes]) -> Iterator[Message]:
    previous: bytes | None = None
    for chunk in chunks:
        if previous is not None:
            yield {"type": "http.request", "body": previous, "more_body": True}
        previous = chunk
    yield {"type": "http.request", "body": previous or b"", "more_body": False}


def call(
    app: ASGIApp,
    method: str,
    path: str,
    chunks: Iterable[bytes] = (),
    headers: dict[str, str] | None = None,
    on_read: Callable[[Answer], None] | None = None,
) -> Answer:
    """Send one request to ``app`` through ASGI; ``on_read(answer)`` runs after each chunk."""
    answer = Answer()
    pending = _messages(chunks)

    async def receive() -> Message:
        message = next(pending, None)
        if message is None:
            return {"type": "http.disconnect"}
        answer.read += len(message["body"])
        if on_read is not None:
            on_read(answer)
        return message

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            assert answer.status == 0, "a second response started"
            answer.status = message["status"]
            answer.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *raw],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    run_async(app, scope, receive, send)
    return answer


def temporary_files(folder: Path) -> list[str]:
    """The files of this process open under ``folder`` (deleted ones included)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found
