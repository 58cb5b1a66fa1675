"""Every project's figures and risks, kept per process and kept current from the audit trail.

Computing the figures of ten thousand projects takes a second or more; a dashboard must not
wait for that on every view. So each process keeps a snapshot: the figures and risk reasons
of every project as of a day, and the id of the latest audit event they reflect (the
high-water mark). Each read costs one indexed query for the mark; when it has moved, one
more query names the projects that the new audit events touched, and only those are
computed again. A new day recomputes everything, once.

This relies on two guarantees: every write to a project's rows goes through the services and
leaves an audit event naming the project (``grants.audit``), and write transactions are
serialised (``grants.db``), so audit event ids become visible in increasing order and
"events after the mark" never misses one committed late.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, true
from sqlalchemy import select as sa_select
from sqlalchemy.pool import Pool
from sqlmodel import Session, col

from grants.audit import HIGH_WATER_MARK
from grants.models import AuditEvent, Project, ProjectStatus
from grants.services import facts, worklist


@dataclass(frozen=True)
class ProjectFacts:
    """What the dashboard and the lists need of one project: identity, money, figures, risks."""

    project_id: int
    reference: str
    title: str
    call_id: int
    status: ProjectStatus
    currency: str
    figures: facts.ProjectFigures
    reasons: tuple[str, ...]
    worklist: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """Every project's facts as of ``day``, reflecting audit events up to ``mark``."""

    day: dt.date
    mark: int
    projects: dict[int, ProjectFacts] = field(default_factory=dict)


_guard = threading.Lock()
_locks: weakref.WeakKeyDictionary[Pool, threading.Lock] = weakref.WeakKeyDictionary()
# Keyed by the engine's connection pool, which every engine made from it with other
# execution options (the write sessions' engines, say) shares.
_snapshots: weakref.WeakKeyDictionary[Pool, Snapshot] = weakref.WeakKeyDictionary()


def _worklists(
    session: Session, today: dt.date, ids: list[int] | None
) -> dict[int, dict[str, tuple[dict[str, Any], ...]]]:
    """Return each project's waiting items by kind (see ``worklist``): one query a kind."""
    where = true() if ids is None else col(Project.id).in_(ids)
    lists: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for kind in worklist.KINDS:
        for row in session.execute(worklist.query(kind, today, where)):
            item = worklist.annotate(kind, dict(row._mapping), today)
            lists.setdefault(item["project_id"], {}).setdefault(kind, []).append(item)
    return {
        pid: {kind: tuple(items) for kind, items in kinds.items()} for pid, kinds in lists.items()
    }


def _compute(session: Session, today: dt.date, ids: list[int] | None) -> dict[int, ProjectFacts]:
    """Return the facts of the projects ``ids`` (all when None), with their risk reasons."""
    figures = facts.project_figures(session, today, ids)
    waiting = _worklists(session, today, ids)
    return {
        pid: ProjectFacts(
            project_id=pid,
            reference=found.reference,
            title=found.title,
            call_id=found.call_id,
            status=found.status,
            currency=found.currency,
            figures=found,
            reasons=found.reasons,
            worklist=waiting.get(pid, {}),
        )
        for pid, found in figures.items()
    }


# Audit events of rows the snapshot shows without a project of their own: an organisation's
# name appears in the waiting items, so renaming one refreshes every project.
SHOWN_ELSEWHERE = ("organisation",)
# More changed projects than this, and computing them all again is simpler and no slower.
MAX_CHANGED = 2_000


def _changed_projects(session: Session, since: int) -> list[int] | None:
    """Return the projects named by audit events after ``since``; None means all of them."""
    query = (
        sa_select(col(AuditEvent.project_id), col(AuditEvent.entity))
        .where(col(AuditEvent.id) > since)
        .where(
            col(AuditEvent.project_id).is_not(None) | col(AuditEvent.entity).in_(SHOWN_ELSEWHERE)
        )
        .distinct()
    )
    changed: set[int] = set()
    for project_id, entity in session.execute(query):
        if project_id is None and entity in SHOWN_ELSEWHERE:
            return None
        changed.add(int(project_id))
    return None if len(changed) > MAX_CHANGED else sorted(changed)


def _refreshed(session: Session, known: Snapshot | None, today: dt.date, mark: int) -> Snapshot:
    """Return ``known`` brought up to ``mark`` and ``today``, computing as little as it can."""
    if known is None or known.day != today:
        return Snapshot(today, mark, _compute(session, today, None))
    changed = _changed_projects(session, known.mark)
    if changed is None:
        return Snapshot(today, mark, _compute(session, today, None))
    projects = dict(known.projects)
    for pid in changed:
        projects.pop(pid, None)
    projects.update(_compute(session, today, changed) if changed else {})
    return replace(known, mark=mark, projects=projects)


def current(session: Session, today: dt.date) -> Snapshot:
    """Return the facts of every project as of ``today``, up to date with every write.

    Call it in a read session: in a transaction that has written, the mark and the figures
    would include changes that a rollback could still undo. While another thread brings the
    snapshot of the same day up to date, it answers with the one it has rather than wait
    (holding a database connection) for the newer one. A database emptied and restored under
    a running process is only seen whole the next day: restart the app after a restore.
    """
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    pool = engine.pool
    mark = int(session.execute(HIGH_WATER_MARK).scalar() or 0)
    known = _snapshots.get(pool)
    if known is not None and known.day == today and known.mark >= mark:
        return known  # current, or newer than this transaction's view: never go back
    with _guard:
        lock = _locks.setdefault(pool, threading.Lock())
    if known is not None and known.day == today:
        if not lock.acquire(blocking=False):
            return known
    else:
        lock.acquire()
    try:
        known = _snapshots.get(pool)
        if known is not None and known.day == today and known.mark >= mark:
            return known
        fresh = _refreshed(session, known, today, mark)
        _snapshots[pool] = fresh
        return fresh
    finally:
        lock.release()


_remembered: weakref.WeakKeyDictionary[Pool, dict[Hashable, tuple[int, dt.date, Any]]] = (
    weakref.WeakKeyDictionary()
)
REMEMBERED_MAX = 256


def remembered(session: Session, known: Snapshot, key: Hashable, compute: Callable[[], Any]) -> Any:
    """Return ``compute()``, reused while no audited write and no new day has come since.

    For answers that depend only on the data and the day (a dashboard's lists for one
    scope, say): ``known`` is the snapshot just read, whose mark says whether anything
    changed. At most ``REMEMBERED_MAX`` answers are kept per database, the oldest dropped.
    """
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _guard:
        answers = _remembered.setdefault(engine.pool, {})
        found = answers.get(key)
    if found is not None and found[0] == known.mark and found[1] == known.day:
        return found[2]
    value = compute()
    with _guard:
        answers.pop(key, None)
        answers[key] = (known.mark, known.day, value)
        while len(answers) > REMEMBERED_MAX:
            answers.pop(next(iter(answers)))
    return value
