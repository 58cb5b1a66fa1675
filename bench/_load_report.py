"""The load benchmark's figures: CPU time of each side, /healthz samples, and the printout."""

from __future__ import annotations

import http.client
import os
import resource
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _load_checks import Check
from _load_client import Tally
from _stages import percentile

READ_P99_MS = 250.0
HEALTH_EVERY_S = 0.1


def _proc_stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _ticks(fields: list[str], children: bool = False) -> int:
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if children else 0)


def server_cpu(session_id: int) -> float:
    """CPU seconds used by every process of the server's session (its workers included)."""
    total = 0
    for pid in _pids():
        fields = _proc_stat(pid)
        if fields and int(fields[3]) == session_id:
            total += _ticks(fields, children=pid == session_id)
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu(data_dir: Path | None) -> float:
    """CPU seconds used by a PostgreSQL cluster: the postmaster, its backends and the exited."""
    if data_dir is None:
        return 0.0
    try:
        master = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    total = 0
    for pid in _pids():
        fields = _proc_stat(pid)
        if fields and (pid == master or int(fields[1]) == master):
            total += _ticks(fields, children=pid == master)
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuMeter:
    """CPU seconds of each side between ``start`` and ``stop``."""

    server_session: int
    pg_data: Path | None
    marks: list[dict[str, float]] = field(default_factory=list)

    def mark(self) -> None:
        self.marks.append(
            {
                "wall": time.monotonic(),
                "server": server_cpu(self.server_session),
                "postgresql": postgres_cpu(self.pg_data),
                "client": own_cpu(),
                "machine": machine_busy(),
            }
        )

    def used(self) -> dict[str, float]:
        """Each side's CPU seconds over the measured time (and that time, as ``wall``)."""
        first, last = self.marks[0], self.marks[-1]
        return {key: last[key] - first[key] for key in first}

    def shares(self) -> dict[str, float]:
        """Each side's CPU time as a share of one core over the measured time."""
        seconds = self.used()
        used = {key: value / seconds["wall"] for key, value in seconds.items() if key != "wall"}
        used["others"] = max(
            0.0, used["machine"] - used["server"] - used["postgresql"] - used["client"]
        )
        return used


@dataclass
class Health:
    """``GET /healthz`` every 100 ms on its own keep-alive connection, in a thread."""

    host: str
    port: int
    samples: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    self.errors.append(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as error:
                self.errors.append(repr(error))
                connection.close()
            elapsed = time.monotonic() - started
            self.samples.append((started, elapsed * 1000))
            self.stop.wait(max(0.0, HEALTH_EVERY_S - elapsed))
        connection.close()

    def summary(self, since: float) -> dict[str, float]:
        values = [ms for at, ms in self.samples if at >= since] or [0.0]
        return {
            "samples": len(values),
            "p50_ms": percentile(values, 0.5),
            "p99_ms": percentile(values, 0.99),
            "max_ms": max(values),
            "errors": len(self.errors),
        }


def latency(values: list[float]) -> dict[str, float]:
    values = values or [0.0]
    return {
        "p50_ms": percentile(values, 0.5),
        "p99_ms": percentile(values, 0.99),
        "max_ms": max(values),
    }


def figures(tally: Tally, seconds: float) -> dict[str, Any]:
    """The run's headline figures from the clients' tally."""
    by_kind: dict[str, list[float]] = {"read": [], "write": []}
    for label, values in tally.latencies.items():
        by_kind[tally.kinds[label]].extend(values)
    return {
        "requests": tally.requests,
        "measured_seconds": seconds,
        "reads": len(by_kind["read"]),
        "writes": len(by_kind["write"]),
        "reads_per_s": len(by_kind["read"]) / seconds,
        "writes_per_s": len(by_kind["write"]) / seconds,
        "read": latency(by_kind["read"]),
        "write": latency(by_kind["write"]),
        "server_errors": sum(tally.server_errors.values()),
        "resets": tally.broken["reset"],
        "timeouts": tally.broken["timeout"],
        "refused": tally.broken["refused"],
        "client_faults": tally.broken["client"],
        "unexpected_4xx": sum(tally.unexpected.values()),
        "expected_refusals": sum(tally.expected.values()),
    }


def verdict(head: dict[str, Any], checks: list[Check]) -> list[str]:
    """Return the targets missed (empty: PASS)."""
    missed = []
    if head["server_errors"]:
        missed.append(f"{head['server_errors']} server errors")
    if head["resets"] or head["timeouts"] or head["refused"]:
        missed.append(
            f"{head['resets']} resets, {head['timeouts']} timeouts, {head['refused']} refused"
        )
    if head["unexpected_4xx"] or head["client_faults"]:
        missed.append(
            f"{head['unexpected_4xx']} unexpected 4xx, {head['client_faults']} client faults"
        )
    if not all(c.ok for c in checks):
        missed.append(f"{sum(not c.ok for c in checks)} invariants broken")
    if head["read"]["p99_ms"] >= READ_P99_MS:
        missed.append(f"read p99 {head['read']['p99_ms']:.0f} ms >= {READ_P99_MS:.0f} ms")
    return missed


def print_run(title: str, result: dict[str, Any], tally: Tally, checks: list[Check]) -> None:
    """Print one run's figures, its invariants and its verdict."""
    h = result["figures"]
    print(f"\n== {title}")
    print(
        f"  requests {h['requests']:,} ({h['reads']:,} reads and {h['writes']:,} writes measured"
        f" over {h['measured_seconds']:.1f} s): {h['reads_per_s']:.1f} reads/s,"
        f" {h['writes_per_s']:.1f} writes/s"
    )
    for kind in ("read", "write"):
        f = h[kind]
        print(
            f"  {kind + 's':<6} p50 {f['p50_ms']:7.1f} ms   p99 {f['p99_ms']:7.1f} ms"
            f"   max {f['max_ms']:7.1f} ms"
        )
    print(
        f"  errors: {h['server_errors']} server (5xx), {h['resets']} resets,"
        f" {h['timeouts']} timeouts, {h['refused']} refused; {h['unexpected_4xx']} unexpected 4xx;"
        f" {h['client_faults']} client faults"
    )
    for (label, status), n in sorted((tally.server_errors + tally.unexpected).items()):
        print(f"    {label}: HTTP {status} x {n}")
    expected = ", ".join(
        f"{label} {status} x {n}" for (label, status), n in sorted(tally.expected.items())
    )
    print(f"  expected refusals: {h['expected_refusals']}" + (f" ({expected})" if expected else ""))
    health, cpu = result["healthz"], result["cpu"]
    print(
        f"  /healthz: {health['samples']} samples, p50 {health['p50_ms']:.1f} ms, p99"
        f" {health['p99_ms']:.1f} ms, max {health['max_ms']:.1f} ms, {health['errors']} errors"
    )
    print(
        "  CPU, share of one core: "
        + ", ".join(f"{key} {value:.0%}" for key, value in cpu.items() if key != "machine")
        + f" (machine {cpu['machine']:.0%} of {os.cpu_count()} cores);"
        f" client loop lag p99 {result['client_lag']['p99_ms']:.1f} ms"
    )
    print(f"  {'request':<30} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for label in sorted(tally.latencies, key=lambda k: (tally.kinds[k], k)):
        f = latency(tally.latencies[label])
        print(
            f"  {label:<30} {len(tally.latencies[label]):>6} {f['p50_ms']:>8.1f}"
            f" {f['p99_ms']:>8.1f} {f['max_ms']:>8.1f}"
        )
    for c in checks:
        print(f"  {'PASS' if c.ok else 'FAIL'}  {c.name}: {c.detail}")
    for sample in tally.samples[:10]:
        print(f"    sample: {sample}")
    missed = result["missed"]
    print(f"  => {'PASS' if not missed else 'FAIL: ' + '; '.join(missed)}", flush=True)


def print_summary(results: list[dict[str, Any]]) -> None:
    print(
        f"\n{'engine':<11} {'workers':>7} {'reads/s':>8} {'writes/s':>8} {'read p50/p99 ms':>16}"
        f" {'write p50/p99 ms':>17} {'errors':>6} {'invariants':>10} {'healthz max':>11}  verdict"
    )
    for r in results:
        h = r["figures"]
        errors = h["server_errors"] + h["resets"] + h["timeouts"] + h["refused"]
        held = sum(c["ok"] for c in r["checks"])
        print(
            f"{r['engine']:<11} {r['workers']:>7}"
            f" {h['reads_per_s']:>8.1f} {h['writes_per_s']:>8.1f}"
            f" {h['read']['p50_ms']:>7.0f} / {h['read']['p99_ms']:<6.0f}"
            f" {h['write']['p50_ms']:>8.0f} / {h['write']['p99_ms']:<6.0f}"
            f" {errors:>6} {held:>4} of {len(r['checks']):<3} {r['healthz']['max_ms']:>8.0f} ms"
            f"  {'PASS' if not r['missed'] else 'FAIL'}"
        )
