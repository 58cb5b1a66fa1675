"""Import and publication benchmark: 10,000 milestones imported, 1,000 projects as IATI XML.

It loads 1,000 projects (with finances and six milestones each) into a temporary SQLite file,
imports a workbook of 10,000 new milestones spread evenly over the projects still open (a
closed or cancelled project refuses new milestones) through the services as the grant
manager, then times the IATI 2.03 export of the 1,000 projects and checks its rules.
Targets: each under 10 s.

    python bench/exchange.py [--projects 1000] [--milestones 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

# The repository root first: this folder's reports.py must not hide the reports package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _data
from sqlmodel import col, select

from grants import db
from grants.config import Settings
from grants.exchange import iati, iati_rules, imports, workbook
from grants.exchange.tables import workbook_bytes
from grants.models import Project, ProjectStatus
from grants.services import users
from grants.services.access import SYSTEM, principal_for

HEADER = ["project_reference", "number", "title", "due_date"]
PLANNED = 6  # milestones each project has before the import


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


def main() -> None:
    """Load the data, time the import and the IATI export, and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--milestones", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        _data.load(url, args.projects, milestones=PLANNED, finances=True)
        rows = _milestone_rows(url, args.milestones)
        content = workbook_bytes({"milestones": (HEADER, rows)})
        engine = db.make_engine(url)
        started = time.perf_counter()
        book = workbook.read_upload("milestones.xlsx", content)
        read = time.perf_counter() - started
        with db.write_session(engine) as session:
            principal = principal_for(session, users.user_by_email(session, _data.MANAGER_EMAIL))
            result = imports.import_workbook(
                session, principal, book, dry_run=False, source="bench"
            )
        imported = time.perf_counter() - started
        created = result.counts()["milestones"]["create"]
        print(f"import: {created:,} milestones in {imported:.1f} s (reading the file {read:.1f} s)")
        settings = Settings(iati_reporting_org_ref="XM-EXAMPLE-BENCH")
        today = dt.date.today()  # noqa: DTZ011 - the bench data is laid out around today
        started = time.perf_counter()
        with db.read_session(engine) as session:
            xml = iati.iati_xml(session, SYSTEM, settings, today, dt.datetime.now(dt.UTC))
        built = time.perf_counter() - started
        problems = iati_rules.check(xml, today)
        checked = time.perf_counter() - started - built
        count = xml.count(b"<iati-activity ")
        print(
            f"IATI: {count:,} activities, {len(xml) / 1e6:.1f} MB in {built:.1f} s;"
            f" rules {checked:.1f} s, {len(problems)} problems"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
