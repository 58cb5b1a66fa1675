"""API throughput benchmark: the project list and detail against a bare FastAPI endpoint.

For each engine (SQLite in a temporary file, PostgreSQL in a throwaway cluster) it loads
10,000 projects and 60,000 milestones, starts ``grants serve`` with one worker, and drives
it with wrk at 10 connections on the filtered project list (50 per page) and on a project's
detail; in the same run it drives ``bench/bare_app.py`` (a fixed 50-project list) the same
way. Targets: the list and the detail each reach at least half the bare endpoint's requests
per second, with a 99th percentile latency under 100 ms and no errors.

    python bench/api.py [--engine sqlite|postgresql|both] [--duration 15] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from types import FrameType

import _data
import _pg
from _wrk import Result, Server, measure

HERE = Path(__file__).resolve().parent
LIST_PATH = "/api/v1/projects?status=active&country=TN&limit=50"
ROTATE_IDS = """\
local ids = {%s}
local i = 0
request = function()
  i = i %% #ids + 1
  return wrk.format("GET", "/api/v1/projects/" .. ids[i])
end
"""


@contextmanager
def serving(
    name: str, command: list[str], env: dict[str, str], port: int, logs: Path
) -> Iterator[Server]:
    """Run a server until the block ends (whatever happens); yield it once healthy."""
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, f"{base}/healthz", log_path)
        yield Server(base, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_healthy(
    process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60
) -> None:
    """Wait until ``url`` answers 200; raise with the server's log if it dies or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}:\n{log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s:\n{log.read_text()[-2000:]}")


def database(engine: str, stack: ExitStack, work: Path) -> str:
    """Return the URL of an empty database for ``engine``, removed when ``stack`` closes."""
    if engine == "sqlite":
        return f"sqlite:///{work / 'grants.db'}"
    cluster = _pg.start_cluster()
    stack.callback(cluster.stop)
    return cluster.url()


def bench_engine(
    args: argparse.Namespace, engine: str, bare: Server, work: Path
) -> tuple[_data.Loaded, list[Result]]:
    """Load the data set on ``engine``, serve it, and measure bare, list and detail."""
    work.mkdir()
    with ExitStack() as stack:
        url = database(engine, stack, work)
        print(f"{engine}: loading {args.projects:,} projects ...", flush=True)
        loaded = _data.load(url, args.projects)
        counts = ", ".join(f"{n:,} {name}" for name, n in loaded.counts.items())
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in loaded.steps.items())
        print(f"{engine}: loaded {counts} in {loaded.seconds:.1f} s ({steps})", flush=True)
        port = _pg.free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("GRANTS_")}
        env |= {
            "GRANTS_DATABASE_URL": url,
            "GRANTS_SECRET_KEY": secrets.token_urlsafe(48),
            "GRANTS_ENVIRONMENT": "production",
            "GRANTS_DATA_DIR": str(work / "var"),
        }
        serve = [sys.executable, "-m", "grants", "serve", "--port", str(port), "--workers", "1"]
        app = stack.enter_context(serving(f"grants-{engine}", serve, env, port, work))
        script = work / "detail.lua"
        script.write_text(ROTATE_IDS % ", ".join(map(str, loaded.detail_ids)))
        detail = f"/api/v1/projects/{loaded.detail_ids[0]}"
        bare_result = measure(args, "bare", bare, "/api/v1/projects", loaded.token)
        results = [
            bare_result,
            measure(args, "list", app, LIST_PATH, loaded.token),
            measure(args, "detail", app, detail, loaded.token, script),
        ]
    for result in results[1:]:
        result.judge(bare_result.requests_per_sec)
    bare_result.ratio = 1.0
    print_table(engine, loaded, results)
    return loaded, results


def print_table(engine: str, loaded: _data.Loaded, results: list[Result]) -> None:
    """Print one engine's figures; CPU is the server process's CPU time per request."""
    print(f"\n{engine}: data set loaded in {loaded.seconds:.1f} s; {loaded.active_tn} active TN")
    print(
        f"{'endpoint':<8} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'errors':>7} "
        f"{'vs bare':>7} {'CPU ms':>7} {'load':>5}  target"
    )
    for r in results:
        errors = r.non_2xx + r.socket_errors
        ratio = f"{r.ratio:.0%}" if r.ratio is not None else "-"
        cpu = f"{r.server_cpu_ms:.2f}" if r.server_cpu_ms is not None else "-"
        print(
            f"{r.endpoint:<8} {r.requests_per_sec:>8.1f} {r.p50_ms:>7.1f} {r.p90_ms:>7.1f} "
            f"{r.p99_ms:>7.1f} {errors:>7} {ratio:>7} {cpu:>7} {r.load_average:>5.1f}  "
            f"{r.verdict or 'reference'}"
        )
        if errors:
            print(f"{'':<8} {r.non_2xx} non-2xx, {r.socket_errors} socket errors; {r.probe}")
    print(flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    if not 1 <= args.threads <= args.connections:
        parser.error("--threads must be between 1 and --connections")
    if args.duration < 1 or args.warmup < 0 or args.projects < 20:
        parser.error("--duration must be >= 1, --warmup >= 0 and --projects >= 20")
    return args


def stop_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    report: dict[str, object] = {"settings": {k: str(v) for k, v in vars(args).items()}}
    verdicts = []
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="grants-bench-")))
        port = _pg.free_port()
        bare_cmd = [sys.executable, str(HERE / "bare_app.py"), "--port", str(port)]
        bare = stack.enter_context(serving("bare", bare_cmd, dict(os.environ), port, work))
        for engine in engines:
            loaded, results = bench_engine(args, engine, bare, work / engine)
            report[engine] = {
                "load_seconds": loaded.seconds,
                "load_steps": loaded.steps,
                "counts": loaded.counts,
                "results": [asdict(result) for result in results],
            }
            verdicts += [result.verdict for result in results[1:]]
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"results written to {args.json}")
    return 0 if all(verdict == "PASS" for verdict in verdicts) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted; every process started was stopped")
