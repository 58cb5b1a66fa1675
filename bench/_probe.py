"""Whether ``grants serve`` keeps answering while it draws PDFs: endpoints sampled every 50 ms."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _pg
from _stages import percentile
from api import serving

PROBE_P95_MS, PROBE_MAX_MS, PROBE_EVERY_S = 250.0, 1000.0, 0.05


@dataclass
class Probe:
    """Latencies of one endpoint, sampled every 50 ms, while idle and during renders."""

    path: str
    idle_ms: list[float] = field(default_factory=list)
    busy_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float | int]:
        def pct(values: list[float], share: float) -> float:
            return percentile(values, share) if values else 0.0

        return {
            "idle_samples": len(self.idle_ms),
            "idle_p50_ms": pct(self.idle_ms, 0.5),
            "idle_p95_ms": pct(self.idle_ms, 0.95),
            "idle_max_ms": max(self.idle_ms, default=0.0),
            "busy_samples": len(self.busy_ms),
            "busy_p50_ms": pct(self.busy_ms, 0.5),
            "busy_p95_ms": pct(self.busy_ms, 0.95),
            "busy_max_ms": max(self.busy_ms, default=0.0),
            "errors": len(self.errors),
        }

    def verdict(self) -> str:
        figures = self.summary()
        misses = []
        if self.errors or not self.busy_ms:
            misses.append(f"{len(self.errors)} errors, {len(self.busy_ms)} samples")
        if figures["busy_p95_ms"] >= PROBE_P95_MS:
            misses.append(f"p95 >= {PROBE_P95_MS:.0f} ms")
        if figures["busy_max_ms"] >= PROBE_MAX_MS:
            misses.append(f"max >= {PROBE_MAX_MS:.0f} ms")
        return "FAIL: " + ", ".join(misses) if misses else "PASS"


def _get(url: str, token: str, timeout: float = 120) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _sample(
    base: str, token: str, probe: Probe, busy: threading.Event, stop: threading.Event
) -> None:
    """Time a GET of ``probe.path`` every 50 ms until ``stop``; file it as idle or busy."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status, _body = _get(base + probe.path, token, timeout=30)
            if status != 200:
                probe.errors.append(f"HTTP {status}")
        except OSError as error:
            probe.errors.append(str(error))
        elapsed = time.perf_counter() - started
        (probe.busy_ms if busy.is_set() else probe.idle_ms).append(elapsed * 1000)
        stop.wait(max(0.0, PROBE_EVERY_S - elapsed))


def serve_and_probe(
    args: argparse.Namespace,
    engine: str,
    url: str,
    token: str,
    programme_id: int,
    today: dt.date,
    work: Path,
) -> dict[str, Any]:
    """Serve the demo as of ``today``, sample two endpoints idle, then while PDFs are drawn."""
    port = _pg.free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRANTS_")}
    env |= {
        "GRANTS_DATABASE_URL": url,
        "GRANTS_SECRET_KEY": secrets.token_urlsafe(48),
        "GRANTS_ENVIRONMENT": "production",
        "GRANTS_DATA_DIR": str(work / "var"),
        "GRANTS_TODAY": today.isoformat(),
    }
    serve = [sys.executable, "-m", "grants", "serve", "--port", str(port), "--workers", "1"]
    report = f"/api/v1/programmes/{programme_id}/report?format=pdf&as_of={today}"
    probes = [Probe("/healthz"), Probe("/api/v1/me")]
    renders: list[dict[str, Any]] = []
    with serving(f"grants-{engine}", serve, env, port, work) as server:
        for _n in range(2):  # warm the worker up, then time a render with nothing else on
            started = time.perf_counter()
            status, body = _get(server.base + report, token)
            if status != 200 or not body.startswith(b"%PDF"):
                raise RuntimeError(f"report request failed: HTTP {status} {body[:200]!r}")
        alone = time.perf_counter() - started
        busy, stop = threading.Event(), threading.Event()
        samplers = [
            threading.Thread(target=_sample, args=(server.base, token, probe, busy, stop))
            for probe in probes
        ]
        for sampler in samplers:
            sampler.start()
        try:
            time.sleep(args.idle)
            busy.set()
            for _n in range(args.renders):
                started = time.perf_counter()
                status, body = _get(server.base + report, token)
                renders.append({
                    "status": status, "pdf": body.startswith(b"%PDF"), "bytes": len(body),
                    "seconds": time.perf_counter() - started,
                })  # fmt: skip
        finally:
            stop.set()
            for sampler in samplers:
                sampler.join()
    return {
        "render_alone_seconds": alone,
        "renders": renders,
        "probes": {probe.path: probe.summary() | {"verdict": probe.verdict()} for probe in probes},
        "render_errors": sum(not (r["status"] == 200 and r["pdf"]) for r in renders),
    }
