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
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# This script is bench/reports.py: keep ``import reports`` meaning the package, not this file,
# by looking in the bench folder last (it still finds _data, _pg, _probe, _stages and api
# there). Children spawned by _stages.in_child start with this sys.path too.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import _data  # noqa: E402
import _pg  # noqa: E402
from _probe import PROBE_EVERY_S, PROBE_P95_MS, serve_and_probe  # noqa: E402
from _stages import Job, Outcome, in_child, percentile  # noqa: E402
from api import stop_on_sigterm  # noqa: E402

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


# --- reporting -------------------------------------------------------------------------------


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
            "p90": percentile(wall, 0.9),
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
        token = demo_token(demo_url)
        served = serve_and_probe(args, engine, demo_url, token, programme, DEMO_TODAY, work)
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
