"""Import and publication benchmark: 10,000 milestones imported, 1,000 projects as IATI XML.

It loads 1,000 projects (with finances and six milestones each) into a temporary SQLite file,
imports a workbook of 10,000 new milestones spread evenly over the projects still open (a
closed or cancelled project refuses new milestones) through the services as the grant
manager, then times the IATI 2.03 export of the 1,000 projects and checks its rules.
Targets: each under 10 s; the exit status is 0 only when they are met.

    python bench/exchange.py [--projects 1000] [--milestones 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# The repository root first: this folder's reports.py must not hide the reports package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _data
from sqlalchemy import Engine
from sqlmodel import col, select

from grants import db
from grants.config import Settings
from grants.exchange import iati, iati_rules, imports, workbook
from grants.models import Project, ProjectStatus
from grants.services import users
from grants.services.access import SYSTEM, principal_for
from grants.tables import workbook_bytes

HEADER = ["project_reference", "number", "title", "due_date"]
PLANNED = 6  # milestones each project has before the import
TARGET_S = 10


def _milestone_rows(url: str, total: int) -> list[list[object]]:
    """Return ``total`` new milestone rows, as evenly spread as can be over the open projects."""
    engine = db.make_engine(url)
    rows: list[list[object]] = []
    with db.read_session(engine) as session:
        projects = session.exec(
            select(Project)
            .where(col(Project.status).not_in([ProjectStatus.CLOSED, ProjectStatus.CANCELLED]))
            .order_by(col(Project.id))
        ).all()
        each, extra = divmod(total, len(projects))
        for index, project in enumerate(projects):
            count = each + (index < extra)
            span = (project.planned_end - project.planned_start).days
            for step in range(1, count + 1):
                due = project.planned_start + dt.timedelta(days=span * step // (count + 1))
                number = PLANNED + step
                rows.append([project.reference, number, f"Step {number}", due])
    engine.dispose()
    assert len(rows) == total
    return rows


@dataclass
class Timing:
    """How long a step took: wall-clock and CPU seconds of this process."""

    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def timed() -> Iterator[Timing]:
    """Time the block into the yielded ``Timing``."""
    timing = Timing()
    wall, cpu = time.perf_counter(), time.process_time()
    yield timing
    timing.wall, timing.cpu = time.perf_counter() - wall, time.process_time() - cpu


def _import(engine: Engine, content: bytes) -> tuple[int, Timing, Timing]:
    """Import the workbook as the grant manager; return the milestones created and timings."""
    with timed() as whole:
        with timed() as read:
            book = workbook.read_upload("milestones.xlsx", content)
        with db.write_session(engine) as session:
            principal = principal_for(session, users.user_by_email(session, _data.MANAGER_EMAIL))
            result = imports.import_workbook(
                session, principal, book, dry_run=False, source="bench"
            )
    return result.counts()["milestones"]["create"], whole, read


def _publish(engine: Engine) -> tuple[bytes, int, Timing, Timing]:
    """Build the IATI file of every project and check its rules; return it and timings."""
    settings = Settings(iati_reporting_org_ref="XM-EXAMPLE-BENCH")
    today = dt.date.today()  # noqa: DTZ011 - the bench data is laid out around today
    with timed() as built, db.read_session(engine) as session:
        xml = iati.iati_xml(session, SYSTEM, settings, today, dt.datetime.now(dt.UTC))
    with timed() as checked:
        problems = iati_rules.check(xml, today)
    return xml, len(problems), built, checked


def main() -> None:
    """Load the data, time the import and the IATI export, print the figures and the targets."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--milestones", type=int, default=10_000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        _data.load(url, args.projects, milestones=PLANNED, finances=True)
        content = workbook_bytes({"milestones": (HEADER, _milestone_rows(url, args.milestones))})
        engine = db.make_engine(url)
        created, imported, read = _import(engine, content)
        xml, problems, built, checked = _publish(engine)
        engine.dispose()
    print(
        f"import: {created:,} milestones in {imported.wall:.1f} s, CPU {imported.cpu:.1f} s"
        f" (reading the file {read.wall:.1f} s)"
    )
    print(
        f"IATI: {xml.count(b'<iati-activity '):,} activities, {len(xml) / 1e6:.1f} MB"
        f" in {built.wall:.1f} s, CPU {built.cpu:.1f} s;"
        f" rules {checked.wall:.1f} s, {problems} problems"
    )
    targets = [
        (f"import {args.milestones:,} milestones < {TARGET_S} s", imported.wall < TARGET_S),
        (f"IATI file < {TARGET_S} s", built.wall < TARGET_S),
        ("every milestone created", created == args.milestones),
        ("IATI rules hold", problems == 0),
    ]
    for name, met in targets:
        print(f"{'PASS' if met else 'FAIL'}  {name}")
    sys.exit(0 if all(met for _name, met in targets) else 1)


if __name__ == "__main__":
    main()
