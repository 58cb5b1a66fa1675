"""Web page benchmark: the manager's dashboard and the project page on 10,000 projects.

For each engine (SQLite in a temporary file, PostgreSQL in a throwaway cluster) it loads the
API benchmark's data set (10,000 projects with six milestones each) with the money and
results the project page shows (budget lines, expenses, tranches, indicators, progress
updates), signs the grant manager in through the login form, and requests each page in the
application's own process, one request at a time, counting the SQL statements of each:

- **dashboard**: ``GET /`` as the manager of all 10,000 projects;
- **project**: ``GET /projects/{id}``, rotating over 20 active projects;
- **project list**: ``GET /projects?status=active&country=TN``, the first page;
- **dashboard after a change**: ``GET /`` again, each time just after an audited change to
  one project (a milestone's description edited through the services, untimed), so the
  dashboard cannot reuse what it showed before: its lists are queried again and that
  project's figures computed again;
- **health**: ``GET /healthz``, what a request costs with no page behind it.

Server time is the time from the request entering the application to its last byte, measured
around an in-process ASGI client (so no network or load generator shares the CPU). Targets:
the dashboard and the project page each with p95 under 150 ms, and a constant number of SQL
statements (the same for every project, and for 1,000 projects as for 10,000).

    python bench/web.py [--engine sqlite|postgresql|both] [--runs 50] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# ``import reports`` must find the package, not bench/reports.py: look in this folder last.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import _data  # noqa: E402
import _pg  # noqa: E402
from _stages import percentile  # noqa: E402
from sqlalchemy import Engine, event  # noqa: E402

TARGET_MS = 150.0
PAGES = ("dashboard", "dashboard after a change", "project", "project list", "health")


@dataclass
class PageResult:
    """One page's timings (ms) and SQL statements per request."""

    page: str
    runs: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    statements: list[int]
    status: int


@contextmanager
def counting(engine: Engine) -> Iterator[list[int]]:
    """Count the statements ``engine`` runs; the list's one item is the running total."""
    seen = [0]

    def count(*_args: Any) -> None:
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def client_for(url: str, data_dir: Path) -> tuple[Any, Engine]:
    """Return an in-process client of the application on ``url``, and its engine."""
    from fastapi.testclient import TestClient

    from grants.app import create_app
    from grants.config import Settings

    settings = Settings(database_url=url, data_dir=data_dir, secret_key=secrets.token_urlsafe(32))
    app = create_app(settings)
    client = TestClient(app, follow_redirects=False, base_url="http://127.0.0.1")
    return client, app.state.engine


def sign_in(client: Any, email: str, password: str) -> None:
    """Sign in through the login form, as a browser does."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise SystemExit("the login page has no CSRF token")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token[1], "next": "/"},
        headers={"Origin": "http://127.0.0.1"},
    )
    if response.status_code != 303:
        raise SystemExit(f"sign-in failed: HTTP {response.status_code}")


def change_one_project(engine: Engine, milestone_ids: list[int], index: int) -> None:
    """Edit one milestone's description through the services, as a manager would."""
    from grants import db
    from grants.models import Milestone, MilestoneUpdate
    from grants.services import milestones
    from grants.services.access import SYSTEM

    with db.write_session(engine) as session:
        found = session.get(Milestone, milestone_ids[index % len(milestone_ids)])
        assert found is not None
        data = MilestoneUpdate(description=f"Revised plan, version {index}")
        milestones.update_milestone(session, SYSTEM, found, data)


def open_milestones(engine: Engine, count: int) -> list[int]:
    """Return ``count`` planned milestones, spread over the data set."""
    from sqlalchemy import text

    with engine.connect() as conn:
        ids = [
            int(row[0])
            for row in conn.execute(text("SELECT id FROM milestone WHERE status = 'planned'"))
        ]
    step = max(1, len(ids) // count)
    return ids[::step][:count]


def measure(
    client: Any,
    engine: Engine,
    page: str,
    paths: list[str],
    runs: int,
    before_each: Callable[[int], None] | None = None,
) -> PageResult:
    """Request ``paths`` in turn, ``runs`` times after a warm-up round; time and count each."""
    for path in paths:  # warm-up: templates compiled, caches filled
        client.get(path)
    times: list[float] = []
    statements: list[int] = []
    status = 0
    for index in range(runs):
        path = paths[index % len(paths)]
        if before_each is not None:
            before_each(index)
        with counting(engine) as seen:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        statements.append(seen[0])
        status = response.status_code
        if status != 200:
            raise SystemExit(f"{page}: HTTP {status} for {path}")
    return PageResult(
        page=page,
        runs=runs,
        p50_ms=statistics.median(times),
        p95_ms=percentile(times, 0.95),
        max_ms=max(times),
        statements=sorted(set(statements)),
        status=status,
    )


def project_ids(engine: Engine, count: int) -> list[int]:
    """Return ``count`` active projects, spread over the data set."""
    from sqlalchemy import text

    with engine.connect() as conn:
        ids = [
            int(row[0])
            for row in conn.execute(
                text("SELECT id FROM project WHERE status = 'active' ORDER BY id")
            )
        ]
    step = max(1, len(ids) // count)
    return ids[::step][:count]


def bench_engine(url: str, projects: int, runs: int, work: Path) -> list[PageResult]:
    """Load the data set at ``url`` and measure every page."""
    password = secrets.token_urlsafe(18)
    loaded = _data.load(url, projects, finances=True, password=password)
    counts = ", ".join(f"{n:,} {name}" for name, n in loaded.counts.items())
    print(f"  loaded {counts} in {loaded.seconds:.1f} s", flush=True)
    client, engine = client_for(url, work)
    try:
        sign_in(client, _data.MANAGER_EMAIL, password)
        plan: list[tuple[str, list[str]]] = [
            ("dashboard", ["/"]),
            ("project", [f"/projects/{pid}" for pid in project_ids(engine, 20)]),
            ("project list", ["/projects?status=active&country=TN"]),
            ("health", ["/healthz"]),
        ]
        results = [measure(client, engine, page, paths, runs) for page, paths in plan]
        changing = open_milestones(engine, 50)
        after = measure(
            client,
            engine,
            "dashboard after a change",
            ["/"],
            runs,
            lambda index: change_one_project(engine, changing, index),
        )
        return [results[0], after, *results[1:]]
    finally:
        client.close()
        engine.dispose()


def print_results(label: str, results: list[PageResult]) -> None:
    print(f"\n{label}")
    print(f"{'page':<26}{'runs':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  statements")
    for r in results:
        shown = "/".join(str(n) for n in r.statements)
        print(f"{r.page:<26}{r.runs:>6}{r.p50_ms:>9.1f}{r.p95_ms:>9.1f}{r.max_ms:>9.1f}  {shown}")


def verdicts(
    engine: str, results: list[PageResult], small: list[PageResult] | None
) -> list[tuple[str, str, bool]]:
    """Each target, the figure measured, and whether it is met."""
    found: list[tuple[str, str, bool]] = []
    smaller = {r.page: r for r in small or []}
    for r in results:
        if r.page not in ("dashboard", "dashboard after a change", "project"):
            continue
        target = f"{engine} {r.page} p95 < {TARGET_MS:.0f} ms"
        found.append((target, f"{r.p95_ms:.1f} ms", r.p95_ms < TARGET_MS))
        same = len(r.statements) == 1
        if r.page in smaller:
            same = same and smaller[r.page].statements == r.statements
        figure = "/".join(str(n) for n in r.statements)
        if r.page in smaller:
            figure += " (" + "/".join(str(n) for n in smaller[r.page].statements) + " on fewer)"
        found.append((f"{engine} {r.page} constant statements", figure, same))
    return found


def databases(engine: str, stack: ExitStack, work: Path, names: list[str]) -> list[str]:
    """Return the URLs of empty databases on ``engine``, removed at the end."""
    if engine == "sqlite":
        return [f"sqlite:///{work / f'{name}.db'}" for name in names]
    import psycopg
    from psycopg import sql

    cluster = _pg.start_cluster()
    stack.callback(cluster.stop)
    dsn = f"host=127.0.0.1 port={cluster.port} user=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return [cluster.url(name) for name in names]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000, help="projects in the smaller set")
    parser.add_argument("--runs", type=int, default=50, help="requests per page")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args()


def run(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    report: dict[str, Any] = {"load_average": os.getloadavg(), "engines": {}}
    found: list[tuple[str, str, bool]] = []
    for engine in engines:
        with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="grants-web-") as tmp:
            work = Path(tmp)
            small_url, large_url = databases(engine, stack, work, ["small", "large"])
            say(f"{engine}: {args.small:,} projects ...")
            small = bench_engine(small_url, args.small, args.runs, work)
            print_results(f"{engine}: {args.small:,} projects", small)
            say(f"{engine}: {args.projects:,} projects ...")
            large = bench_engine(large_url, args.projects, args.runs, work)
            print_results(f"{engine}: {args.projects:,} projects", large)
            found += verdicts(engine, large, small)
            report["engines"][engine] = {
                "small": [asdict(r) for r in small],
                "large": [asdict(r) for r in large],
            }
    print()
    for target, figure, met in found:
        print(f"{target:<56}{figure:<28}{'PASS' if met else 'FAIL'}")
    if args.json:
        report["verdicts"] = found
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if all(met for _t, _f, met in found) else 1


def main() -> int:
    args = parse_args()
    print(f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return run(args, lambda text: print(text, flush=True))


if __name__ == "__main__":
    sys.exit(main())
