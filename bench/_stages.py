"""One report timed stage by stage (queries, charts, HTML, xlsx, PDF) in a child process."""

from __future__ import annotations

import datetime as dt
import io
import math
import multiprocessing
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

# ``reports`` below is the package: the runner, bench/reports.py, puts the bench folder last
# on sys.path, and a spawned child inherits that sys.path before it imports this module.


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: p90 of 10 runs is the 9th fastest, p95 of 100 the 95th."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered) - 1e-9) - 1)]


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
