"""Report generation benchmark: each stage of a report, from the queries to the PDF.

For each engine (SQLite in a temporary file, PostgreSQL in a throwaway cluster) it times the
stages of a report separately: (1) queries and pandas (``reports.figures``), (2) the charts
(``reports.charts``), (3) the HTML (``reports.render`` given the charts already drawn), the
spreadsheet the PDF carries (``reports.xlsx``), and (4) WeasyPrint (``reports.pdf``), for

1. one project's progress report on the demo data (``--runs`` runs): p50 under 1.5 s;
2. the demo programme's portfolio report (``--portfolio-runs`` runs): p50 under 5 s;
3. the portfolio of a bulk-loaded programme of ``--projects`` projects with ``--milestones``
   milestones each and their money and results: under 30 s within 1 GB peak RSS, with the
   queries and pandas under 10% of the total;
4. ``grants serve`` (one worker) on the demo data drawing portfolio PDFs through the API
   while ``/healthz`` and ``/api/v1/me`` are sampled every 50 ms: both keep answering
   (p95 under 250 ms, max under 1 s, no errors).

Each report scenario runs in a fresh child process, which reports its own peak RSS.

    python bench/reports.py [--engine sqlite|postgresql|both] [--runs 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import multiprocessing
import os
import resource
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

# This script is bench/reports.py: keep ``import reports`` meaning the package, not this file,
# by looking in the bench folder last (it still finds _data, _pg and api there).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import _data  # noqa: E402
import _pg  # noqa: E402
from api import serving, stop_on_sigterm  # noqa: E402

DEMO_TODAY = dt.date(2026, 11, 28)
DEMO_PROGRAMME = "MC2CM"
DEMO_MANAGER = "manager@example.org"
BENCH_PROGRAMME = "BENCH"
STAGES = ("queries", "charts", "html", "xlsx", "pdf")
STAGE_NAMES = {
    "queries": "(1) queries + pandas",
    "charts": "(2) charts",
    "html": "(3) HTML (charts given)",
    "xlsx": "    xlsx attached",
    "pdf": "(4) WeasyPrint",
    "total": "total",
}
PROJECT_P50_S, DEMO_PORTFOLIO_S, LARGE_PORTFOLIO_S = 1.5, 5.0, 30.0
PEAK_RSS_MB, QUERY_SHARE = 1024.0, 0.10
PROBE_P95_MS, PROBE_MAX_MS, PROBE_EVERY_S = 250.0, 1000.0, 0.05


# --- one report, stage by stage (in a child process) -----------------------------------------


@dataclass
class Job:
    """Which report to time, where, and how often."""

    label: str
    url: str
    kind: str  # "project" or "portfolio"
    scope_id: int
    as_of: dt.date
    runs: int
    warmup_project: int  # a project whose report warms the process up first


@dataclass
class Run:
    """One report's stage times (wall and CPU seconds) and what came out."""

    wall: dict[str, float]
    cpu: dict[str, float]
    pages: int
    pdf_bytes: int
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.wall.values())


@dataclass
class Outcome:
    """A job's runs, its warm-up, and the child process's memory."""

    label: str
    runs: list[Run]
    warmup_seconds: float
    baseline_rss_mb: float
    peak_rss_mb: float
    split_html_identical: bool


@contextmanager
def _precomputed(svgs: dict[str, str]) -> Iterator[None]:
    """Make ``reports.render`` use charts already drawn, so the HTML stage excludes them."""
    from reports import charts

    with ExitStack() as stack:
        for name, svg in svgs.items():
            stack.enter_context(mock.patch.object(charts, name, lambda *_args, _svg=svg: _svg))
        yield


def _charts(data: Any) -> dict[str, str]:
    """Draw the report's charts as ``reports.render`` would (none for an empty frame)."""
    from reports import charts
    from reports.figures import ProjectReportData

    if isinstance(data, ProjectReportData):
        plan: list[tuple[str, Any, tuple[Any, ...]]] = [
            ("budget_chart", data.budget, (data.project["currency"],)),
            ("indicator_chart", data.indicators, ()),
        ]
    else:
        plan = [
            ("money_by_country_chart", data.by_country, (data.currency,)),
            ("milestones_by_country_chart", data.by_country, ()),
        ]
    return {
        name: getattr(charts, name)(frame, *args) for name, frame, args in plan if not frame.empty
    }


def _html(data: Any) -> str:
    from reports import render
    from reports.figures import ProjectReportData

    html: str = (
        render.project_html(data)
        if isinstance(data, ProjectReportData)
        else render.portfolio_html(data)
    )
    return html


def _rows(data: Any) -> dict[str, int]:
    """How many rows the report's tables have (what drives its length)."""
    return {name: len(frame) for name, frame in data.sheets().items()}


def time_report(session: Any, kind: str, scope_id: int, as_of: dt.date) -> Run:
    """Build one report stage by stage, as ``reports.archive.build`` does for a PDF."""
    from pypdf import PdfReader

    from reports import figures, pdf, xlsx

    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def stage(name: str, work: Callable[[], Any]) -> Any:
        started, used = time.perf_counter(), time.process_time()
        result = work()
        wall[name], cpu[name] = time.perf_counter() - started, time.process_time() - used
        return result

    data = stage(
        "queries",
        lambda: (
            figures.project_report(session, scope_id, as_of)
            if kind == "project"
            else figures.portfolio_report(session, as_of, programme_id=scope_id)
        ),
    )
    svgs: dict[str, str] = stage("charts", lambda: _charts(data))
    with _precomputed(svgs):
        html: str = stage("html", lambda: _html(data))
    sheets: bytes = stage("xlsx", lambda: xlsx.to_xlsx(data.sheets()))
    document: bytes = stage(
        "pdf", lambda: pdf.to_pdf(html, attachments=[("report-data.xlsx", sheets)])
    )
    pages = len(PdfReader(io.BytesIO(document)).pages)
    return Run(wall, cpu, pages, len(document), _rows(data))


def _rss_mb() -> float:
    """The process's resident set size now, from /proc (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_job(job: Job) -> Outcome:
    """Warm up, check the stage split changes nothing, then time ``job.runs`` reports."""
    from grants import db
    from reports import figures

    engine = db.make_engine(job.url)
    try:
        started = time.perf_counter()
        with db.read_session(engine) as session:
            time_report(session, "project", job.warmup_project, job.as_of)
            if job.kind == "project":
                data: Any = figures.project_report(session, job.scope_id, job.as_of)
            else:
                data = figures.portfolio_report(session, job.as_of, programme_id=job.scope_id)
            # Small reports: check the HTML drawn in stages is the HTML render makes by itself.
            identical = True
            if job.kind == "project" or len(data.annex) < 100:
                with _precomputed(_charts(data)):
                    split = _html(data)
                identical = split == _html(data)
        warmup = time.perf_counter() - started
        baseline = _rss_mb()
        runs = []
        for _n in range(job.runs):
            with db.read_session(engine) as session:  # one session per report, as a request
                runs.append(time_report(session, job.kind, job.scope_id, job.as_of))
    finally:
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return Outcome(job.label, runs, warmup, baseline, peak, identical)


def in_child(job: Job) -> Outcome:
    """Run ``job`` in a fresh process (spawned, so nothing is inherited); stop it after."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(run_job, (job,))


# --- the data sets ---------------------------------------------------------------------------


def _id(url: str, sql: str, **params: str) -> int:
    """Return the one integer ``sql`` selects at ``url``."""
    from sqlalchemy import text

    from grants import db

    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


def load_demo(url: str) -> dict[str, int]:
    """Create the schema at ``url`` and load the demo as of ``DEMO_TODAY``."""
    from grants import db
    from grants.demo import load_demo as load

    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        counts: dict[str, int] = load(engine, DEMO_TODAY)
        return counts
    finally:
        engine.dispose()


def demo_token(url: str) -> str:
    """Create an API token for the demo's grant manager, as ``grants token create`` does."""
    from sqlmodel import select

    from grants import db
    from grants.models import User, utcnow
    from grants.services import tokens
    from grants.services.access import SYSTEM

    engine = db.make_engine(url)
    try:
        with db.write_session(engine) as session:
            user = session.exec(select(User).where(User.email == DEMO_MANAGER)).one()
            raw, _token = tokens.create_token(session, SYSTEM, user, "bench-reports", utcnow())
            return str(raw)
    finally:
        engine.dispose()


def databases(engine: str, stack: ExitStack, work: Path) -> tuple[str, str]:
    """Return the URLs of two empty databases (demo, bulk) on ``engine``, removed after."""
    if engine == "sqlite":
        return f"sqlite:///{work / 'demo.db'}", f"sqlite:///{work / 'bulk.db'}"
    import psycopg
    from psycopg import sql

    cluster = _pg.start_cluster()
    stack.callback(cluster.stop)
    dsn = f"host=127.0.0.1 port={cluster.port} user=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in ("demo", "bulk"):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return cluster.url("demo"), cluster.url("bulk")


# --- the server keeps answering --------------------------------------------------------------


@dataclass
class Probe:
    """Latencies of one endpoint, sampled every 50 ms, while idle and during renders."""

    path: str
    idle_ms: list[float] = field(default_factory=list)
    busy_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float | int]:
        def pct(values: list[float], share: float) -> float:
            return _pct(values, share) if values else 0.0

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
    args: argparse.Namespace, engine: str, url: str, programme_id: int, work: Path
) -> dict[str, Any]:
    """Serve the demo, sample two endpoints idle, then while portfolio PDFs are drawn."""
    token = demo_token(url)
    port = _pg.free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRANTS_")}
    env |= {
        "GRANTS_DATABASE_URL": url,
        "GRANTS_SECRET_KEY": secrets.token_urlsafe(48),
        "GRANTS_ENVIRONMENT": "production",
        "GRANTS_DATA_DIR": str(work / "var"),
        "GRANTS_TODAY": DEMO_TODAY.isoformat(),
    }
    serve = [sys.executable, "-m", "grants", "serve", "--port", str(port), "--workers", "1"]
    report = f"/api/v1/programmes/{programme_id}/report?format=pdf&as_of={DEMO_TODAY}"
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


# --- reporting -------------------------------------------------------------------------------


def _pct(values: list[float], share: float) -> float:
    """The nearest-rank percentile: p90 of 10 runs is the 9th fastest, p95 of 100 the 95th."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered) - 1e-9) - 1)]


def stage_table(outcome: Outcome) -> dict[str, dict[str, float]]:
    """p50, p90 and max of each stage's wall time, and p50 of its CPU time."""
    table = {}
    for stage in (*STAGES, "total"):
        wall = [run.total if stage == "total" else run.wall[stage] for run in outcome.runs]
        cpu = [
            sum(run.cpu.values()) if stage == "total" else run.cpu[stage] for run in outcome.runs
        ]
        table[stage] = {
            "p50": statistics.median(wall),
            "p90": _pct(wall, 0.9),
            "max": max(wall),
            "cpu_p50": statistics.median(cpu),
        }
    return table


def print_outcome(title: str, outcome: Outcome) -> dict[str, dict[str, float]]:
    table = stage_table(outcome)
    last = outcome.runs[-1]
    print(f"\n{title}: {len(outcome.runs)} run(s), load average {os.getloadavg()[0]:.1f}")
    print(f"{'stage':<24} {'p50 s':>7} {'p90 s':>7} {'max s':>7} {'CPU p50 s':>10} {'share':>6}")
    total = table["total"]["p50"]
    for stage, row in table.items():
        share = row["p50"] / total if total else 0.0
        print(
            f"{STAGE_NAMES[stage]:<24} {row['p50']:>7.3f} {row['p90']:>7.3f} {row['max']:>7.3f} "
            f"{row['cpu_p50']:>10.3f} {share:>6.1%}"
        )
    rows = ", ".join(f"{n:,} {name.lower()}" for name, n in last.rows.items() if n > 1)
    print(
        f"PDF: {last.pages} pages, {last.pdf_bytes:,} bytes; tables: {rows}\n"
        f"child process: RSS {outcome.baseline_rss_mb:.0f} MB after warm-up "
        f"({outcome.warmup_seconds:.1f} s), peak RSS {outcome.peak_rss_mb:.0f} MB; "
        f"HTML from precomputed charts identical to render's own: "
        f"{'yes' if outcome.split_html_identical else 'NO'}",
        flush=True,
    )
    return table


@dataclass
class Verdict:
    engine: str
    target: str
    figure: str
    passed: bool


def bench_engine(
    args: argparse.Namespace, engine: str, work: Path
) -> tuple[dict[str, Any], list[Verdict]]:
    """Load both data sets on ``engine`` and run the four scenarios."""
    work.mkdir()
    verdicts: list[Verdict] = []
    found: dict[str, Any] = {}
    with ExitStack() as stack:
        demo_url, bulk_url = databases(engine, stack, work)
        started = time.perf_counter()
        counts = load_demo(demo_url)
        print(f"{engine}: demo loaded in {time.perf_counter() - started:.1f} s: {counts}")
        programme = _id(demo_url, "SELECT id FROM programme WHERE code = :c", c=DEMO_PROGRAMME)
        project = _id(demo_url, "SELECT id FROM project WHERE reference = :r", r=args.project)
        print(f"{engine}: loading {args.projects:,} projects x {args.milestones} milestones ...")
        loaded = _data.load(bulk_url, args.projects, milestones=args.milestones, finances=True)
        bulk_counts = ", ".join(f"{n:,} {name}" for name, n in loaded.counts.items())
        print(f"{engine}: loaded {bulk_counts} in {loaded.seconds:.1f} s", flush=True)
        bulk_programme = _id(
            bulk_url, "SELECT id FROM programme WHERE code = :c", c=BENCH_PROGRAMME
        )
        bulk_project = _id(bulk_url, "SELECT min(id) FROM project")
        found["bulk_counts"] = loaded.counts

        jobs = {
            "project": Job(f"{engine} project", demo_url, "project", project, DEMO_TODAY,
                           args.runs, project),
            "demo_portfolio": Job(f"{engine} demo portfolio", demo_url, "portfolio", programme,
                                  DEMO_TODAY, args.portfolio_runs, project),
            "large_portfolio": Job(f"{engine} large portfolio", bulk_url, "portfolio",
                                   bulk_programme, loaded.today, 1, bulk_project),
        }  # fmt: skip
        titles = {
            "project": f"{engine}: project report {args.project} as of {DEMO_TODAY}",
            "demo_portfolio": f"{engine}: portfolio report {DEMO_PROGRAMME} (demo data)",
            "large_portfolio": f"{engine}: portfolio report of {args.projects:,} projects, "
            f"{loaded.counts['milestones']:,} milestones, as of {loaded.today}",
        }
        for name, job in jobs.items():
            outcome = in_child(job)
            table = print_outcome(titles[name], outcome)
            found[name] = {
                "outcome": asdict(outcome), "stages": table, "load_average": os.getloadavg()
            }  # fmt: skip
            total = table["total"]
            if name == "project":
                verdicts.append(
                    Verdict(
                        engine,
                        f"project report p50 < {PROJECT_P50_S} s",
                        f"{total['p50']:.2f} s",
                        total["p50"] < PROJECT_P50_S,
                    )
                )
            elif name == "demo_portfolio":
                verdicts.append(
                    Verdict(
                        engine,
                        f"demo portfolio p50 < {DEMO_PORTFOLIO_S:.0f} s",
                        f"{total['p50']:.2f} s",
                        total["p50"] < DEMO_PORTFOLIO_S,
                    )
                )
            else:
                share = table["queries"]["p50"] / total["p50"]
                size = f"{args.projects:,}-project portfolio"
                verdicts += [
                    Verdict(engine, f"{size} < {LARGE_PORTFOLIO_S:.0f} s",
                            f"{total['p50']:.1f} s", total["p50"] < LARGE_PORTFOLIO_S),
                    Verdict(engine, f"  peak RSS < {PEAK_RSS_MB:.0f} MB",
                            f"{outcome.peak_rss_mb:.0f} MB", outcome.peak_rss_mb < PEAK_RSS_MB),
                    Verdict(engine, f"  queries + pandas < {QUERY_SHARE:.0%} of total",
                            f"{share:.1%}", share < QUERY_SHARE),
                ]  # fmt: skip

        print(
            f"\n{engine}: serving the demo; sampling every {PROBE_EVERY_S * 1000:.0f} ms, "
            f"{args.idle:.0f} s idle, then during {args.renders} portfolio PDF(s)",
            flush=True,
        )
        served = serve_and_probe(args, engine, demo_url, programme, work)
        found["serve"] = served
        heads = ("samples", "p50 ms", "p95 ms", "max ms")
        print(f"{'endpoint':<12} {'phase':<7} " + " ".join(f"{head:>7}" for head in heads))
        for path, probe in served["probes"].items():
            for phase in ("idle", "busy"):
                print(
                    f"{path:<12} {phase:<7} {probe[f'{phase}_samples']:>7} "
                    f"{probe[f'{phase}_p50_ms']:>7.1f} {probe[f'{phase}_p95_ms']:>7.1f} "
                    f"{probe[f'{phase}_max_ms']:>7.1f}"
                )
        seconds = ", ".join(f"{r['seconds']:.1f} s" for r in served["renders"])
        print(
            f"portfolio PDF through the API: {served['render_alone_seconds']:.1f} s alone, "
            f"{seconds} while sampled; errors: {served['render_errors']}"
        )
        for path, probe in served["probes"].items():
            verdicts.append(Verdict(
                engine, f"{path} during a render: p95 < {PROBE_P95_MS:.0f} ms, max < 1 s",
                f"p95 {probe['busy_p95_ms']:.0f} ms, max {probe['busy_max_ms']:.0f} ms",
                probe["verdict"] == "PASS" and not served["render_errors"],
            ))  # fmt: skip
    return found, verdicts


def print_verdicts(verdicts: list[Verdict]) -> None:
    print(f"\n{'engine':<10} {'target':<52} {'figure':<24} verdict")
    for v in verdicts:
        print(f"{v.engine:<10} {v.target:<52} {v.figure:<24} {'PASS' if v.passed else 'FAIL'}")
    print(flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--runs", type=int, default=10, help="project report runs")
    parser.add_argument("--portfolio-runs", type=int, default=3, help="demo portfolio runs")
    parser.add_argument("--projects", type=int, default=1000, help="projects in the bulk data")
    parser.add_argument("--milestones", type=int, default=10, help="milestones per project")
    parser.add_argument("--project", default="I-MIGR", help="demo project to report on")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds sampled before")
    parser.add_argument("--renders", type=int, default=2, help="portfolio PDFs to request")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    if args.runs < 1 or args.portfolio_runs < 1 or args.renders < 1 or args.projects < 20:
        parser.error("--runs, --portfolio-runs and --renders must be >= 1, --projects >= 20")
    if not 6 <= args.milestones <= 12:
        parser.error("--milestones must be between 6 and 12")
    return args


def environment() -> dict[str, Any]:
    """What the figures depend on besides the code: CPUs, load, HarfBuzz subsetting."""
    from weasyprint.text.ffi import harfbuzz_subset

    return {
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "harfbuzz_subset": bool(harfbuzz_subset),
        "python": sys.version.split()[0],
    }


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    context = environment()
    load = " ".join(f"{x:.2f}" for x in context["load_average"])
    subsetter = "HarfBuzz" if context["harfbuzz_subset"] else "fontTools (slower)"
    print(f"{context['cpus']} CPUs, load average {load}; fonts subset by {subsetter}", flush=True)
    report: dict[str, Any] = {
        "settings": {key: str(value) for key, value in vars(args).items()},
        "environment": context,
    }
    verdicts: list[Verdict] = []
    with tempfile.TemporaryDirectory(prefix="grants-bench-reports-") as work:
        for engine in engines:
            found, engine_verdicts = bench_engine(args, engine, Path(work) / engine)
            report[engine] = found
            verdicts += engine_verdicts
            print_verdicts(engine_verdicts)
    report["verdicts"] = [asdict(v) for v in verdicts]
    report["load_average_after"] = os.getloadavg()
    if len(engines) > 1:
        print_verdicts(verdicts)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"results written to {args.json}")
    return 0 if verdicts and all(v.passed for v in verdicts) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted; every process started was stopped")
