"""A small HTTP/1.1 client on asyncio streams, for load generators that must cost little CPU.

One ``Connection`` is one keep-alive TCP connection, used by one task at a time. It sends a
request, reads the status line, the headers and a body framed by ``Content-Length`` or
chunked encoding, and nothing more: no cookie jar, no redirects, no decompression. On this
kind of loop it costs about a tenth of the CPU per request that httpx does, so the load
generator leaves the machine's cores to the server it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

# The server closes a keep-alive connection after 5 s idle (uvicorn's default): reconnect
# before that, so a request never goes out on a connection the server is closing.
IDLE_RECONNECT_S = 4.0


@dataclass
class Answer:
    """A response: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)


class Connection:
    """One keep-alive connection to ``host:port``, opened on first use and after a close."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Answer:
        """Send one request and return its answer; raise on a timeout or a broken connection."""
        if self._writer is not None and time.monotonic() - self._last_used > IDLE_RECONNECT_S:
            await self.close()
        if self._writer is None:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout
            )
        try:
            async with asyncio.timeout(self.timeout):
                answer = await self._exchange(method, target, headers or {}, body)
        except BaseException:
            await self.close()
            raise
        self._last_used = time.monotonic()
        if answer.headers.get("connection", "").lower() == "close":
            await self.close()
        return answer

    async def _exchange(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        assert self._reader is not None
        assert self._writer is not None
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method not in {"GET", "HEAD"}:
            lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        found: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for line in head[1:]:
            name, _colon, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _eq, rest = value.partition("=")
                cookies[cookie.strip()] = rest.split(";", 1)[0]
            elif name:
                found[name] = value
        return Answer(status, found, await self._body(method, status, found), cookies)

    async def _body(self, method: str, status: int, headers: dict[str, str]) -> bytes:
        assert self._reader is not None
        if method == "HEAD" or status in {204, 304} or 100 <= status < 200:
            return b""
        if "content-length" in headers:
            return await self._reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                chunk = await self._reader.readexactly(size + 2)
                if size == 0:
                    return b"".join(parts)
                parts.append(chunk[:-2])
        headers["connection"] = "close"  # the body runs to the end of the connection
        return await self._reader.read()

    async def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):  # already reset by the peer: closed either way
                await writer.wait_closed()


def form_body(fields: dict[str, str]) -> tuple[bytes, str]:
    """Return a URL-encoded form body and its content type."""
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def multipart_body(field_name: str, filename: str, content: bytes, media: str) -> tuple[bytes, str]:
    """Return a multipart/form-data body holding one file, and its content type."""
    boundary = "bench" + secrets.token_hex(12)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
            f'filename="{filename}"\r\nContent-Type: {media}\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"
