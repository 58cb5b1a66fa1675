"""Driving a server with wrk: one warmed-up run per endpoint, and its figures parsed."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MIN_RATIO, MAX_P99_MS = 0.5, 100.0
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass
class Server:
    """A running server: its base URL and process id."""

    base: str
    pid: int


@dataclass
class Result:
    """One endpoint's figures from one wrk run."""

    endpoint: str
    url: str
    probe: str
    requests: int = 0
    requests_per_sec: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    non_2xx: int = 0
    socket_errors: int = 0
    server_cpu_ms: float | None = None
    load_average: float = 0.0
    ratio: float | None = None
    verdict: str = ""

    def judge(self, bare_rps: float) -> None:
        """Set the ratio to the bare endpoint and PASS/FAIL against the targets."""
        self.ratio = self.requests_per_sec / bare_rps if bare_rps else 0.0
        misses = []
        if self.non_2xx or self.socket_errors or not self.requests:
            misses.append("errors")
        if self.ratio < MIN_RATIO:
            misses.append(f"< {MIN_RATIO:.0%} of bare")
        if self.p99_ms >= MAX_P99_MS:
            misses.append(f"p99 >= {MAX_P99_MS:.0f} ms")
        self.verdict = "FAIL: " + ", ".join(misses) if misses else "PASS"


def parse_wrk(output: str, result: Result) -> Result:
    """Fill ``result`` from wrk's ``--latency`` report."""

    def number(pattern: str) -> str | None:
        found = re.search(pattern, output, re.MULTILINE)
        return found.group(1) if found else None

    def millis(percent: int) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
        return float(found.group(1)) * UNITS_MS[found.group(2)] if found else 0.0

    result.requests = int(number(r"^\s+(\d+) requests in") or 0)
    result.requests_per_sec = float(number(r"^Requests/sec:\s+([\d.]+)") or 0.0)
    result.p50_ms, result.p90_ms, result.p99_ms = millis(50), millis(90), millis(99)
    result.non_2xx = int(number(r"Non-2xx or 3xx responses:\s+(\d+)") or 0)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result.socket_errors = sum(int(n) for n in errors.groups()) if errors else 0
    return result


def probe(url: str, token: str) -> str:
    """Request ``url`` once and say what came back (status, and items for a list)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            status, content = response.status, response.read()
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code} {error.reason}"
    try:
        body = json.loads(content)
    except ValueError:
        return f"HTTP {status}, not JSON"
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return f"HTTP {status}, {len(body['items'])} items of total {body.get('total')}"
    return f"HTTP {status}"


def run_wrk(
    args: argparse.Namespace, url: str, token: str, seconds: int, script: Path | None
) -> str:
    """Run wrk against ``url`` and return its report."""
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency",
        "-H", f"Authorization: Bearer {token}", *(["-s", str(script)] if script else []), url,
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - wrk with our own arguments
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return done.stdout


def cpu_seconds(pid: int) -> float | None:
    """Return the CPU time (user + system) process ``pid`` has used, where /proc tells."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    args: argparse.Namespace,
    endpoint: str,
    server: Server,
    path: str,
    token: str,
    script: Path | None = None,
) -> Result:
    """Warm up, then measure ``path`` on ``server`` with wrk; return the figures."""
    url = server.base + path
    result = Result(endpoint, url, probe(url, token))
    result.load_average = os.getloadavg()[0]
    print(
        f"  {endpoint}: {result.probe}; load average {result.load_average:.1f}; "
        f"warm-up {args.warmup}s, run {args.duration}s",
        flush=True,
    )
    if args.warmup:
        run_wrk(args, url, token, args.warmup, script)
    before = cpu_seconds(server.pid)
    parse_wrk(run_wrk(args, url, token, args.duration, script), result)
    after = cpu_seconds(server.pid)
    if before is not None and after is not None and result.requests:
        result.server_cpu_ms = (after - before) * 1000 / result.requests
    return result
