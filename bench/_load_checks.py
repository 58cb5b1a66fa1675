"""What must hold in the database after a load run, checked with SQL on the database itself.

``baseline`` notes where the run starts (the latest audit event, the highest row ids, every
row's version); ``check`` then compares what the clients were told with what was stored:
no lost and no phantom write, every successful step in the audit trail, the audit trail's
status changes chaining up to each row's status, payments within the award, approvals only
of releasable tranches, evidence before every submission, versions that count the audited
updates, and audit event ids in the order of their times.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _load_client import Tally
from _load_setup import MANAGERS
from sqlalchemy import Engine, bindparam, text

CREATED = ("expense", "milestone", "tranche", "attachment")
VERSIONED = ("milestone", "tranche", "expense", "budget_line", "project")
STEP_ENTITIES = ("milestone", "tranche")


@dataclass
class Baseline:
    """Where a run starts: the latest audit event, each table's last id, every version."""

    audit: int
    last_ids: dict[str, int]
    versions: dict[str, dict[int, int]]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    statement = text(sql).bindparams(
        *(
            bindparam(name, expanding=True)
            for name, value in params.items()
            if isinstance(value, list)
        )
    )
    with engine.connect() as connection:
        return list(connection.execute(statement, params))


def _versions(engine: Engine) -> dict[str, dict[int, int]]:
    return {
        table: dict(_rows(engine, f"SELECT id, version FROM {table}"))  # noqa: S608 - fixed names
        for table in VERSIONED
    }


def baseline(engine: Engine) -> Baseline:
    """Note where a run starts."""
    last = {
        table: int(_rows(engine, f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0][0])  # noqa: S608
        for table in CREATED
    }
    audit = int(_rows(engine, "SELECT COALESCE(MAX(id), 0) FROM audit_event")[0][0])
    return Baseline(audit, last, _versions(engine))


def _changes(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def _events(engine: Engine) -> list[tuple[int, str, int, str, dict[str, Any], Any, Any, Any]]:
    """Every audit event of the step entities, attachments and versioned rows, in id order."""
    rows = _rows(
        engine,
        "SELECT id, entity, entity_id, action, changes, reason, actor_id, at FROM audit_event"
        " WHERE entity IN :names ORDER BY id",
        names=sorted({*STEP_ENTITIES, *VERSIONED, "attachment"}),
    )
    return [(r[0], r[1], int(r[2]), r[3], _changes(r[4]), r[5], r[6], r[7]) for r in rows]


def check(
    engine: Engine, base: Baseline, tally: Tally, today: dt.date, data_dir: Path
) -> list[Check]:
    """Return every invariant's verdict for the run that started at ``base``."""
    events = _events(engine)
    checks = [
        *_created_rows(engine, base, tally, events),
        _expense_rules(engine, base, today),
        _steps_audited(base, tally, events),
        *_status_chains(engine, events),
        _review_fields(engine),
        *_money(engine),
        _approvals(engine, base, events),
        _evidence_first(engine, base, events),
        _versions_count_updates(engine, base, events),
        _audit_order(base, events),
        _actors(engine, base, events),
        _files(engine, base, data_dir),
    ]
    return checks


def _created_rows(engine: Engine, base: Baseline, tally: Tally, events: list[Any]) -> list[Check]:
    checks = []
    for table in CREATED:
        stored = {
            r[0]
            for r in _rows(engine, f"SELECT id FROM {table} WHERE id > :b", b=base.last_ids[table])  # noqa: S608
        }
        told = tally.created.get(table, [])
        web = tally.web_expenses if table == "expense" else 0
        audited = sum(1 for e in events if e[0] > base.audit and e[1] == table and e[3] == "create")
        ok = len(stored) == len(told) + web == audited and set(told) <= stored
        detail = (
            f"{len(stored)} stored, {len(told)} answered 201"
            + (f" + {web} web forms answered 303" if table == "expense" else "")
            + f", {audited} audited"
        )
        checks.append(Check(f"{table}s created = successes told", ok, detail))
    return checks


def _expense_rules(engine: Engine, base: Baseline, today: dt.date) -> Check:
    bad = _rows(
        engine,
        "SELECT e.id FROM expense e JOIN project p ON p.id = e.project_id"
        " JOIN budget_line b ON b.id = e.budget_line_id WHERE e.id > :b AND ("
        " p.status NOT IN ('active', 'finalising') OR e.spent_on > :today"
        " OR e.spent_on < COALESCE(p.actual_start, p.planned_start)"
        " OR e.currency <> p.currency OR b.project_id <> e.project_id)",
        b=base.last_ids["expense"],
        today=today,
    )
    return Check(
        "expenses only on projects open for reporting, dated and in their currency",
        not bad,
        f"{len(bad)} not" if bad else "all new expenses",
    )


def _steps_audited(base: Baseline, tally: Tally, events: list[Any]) -> Check:
    audited: Counter[tuple[str, int, str]] = Counter()
    for ident, entity, row, action, changes, *_rest in events:
        if ident <= base.audit or action != "update":
            continue
        status = changes.get("status")
        if entity in STEP_ENTITIES and status:
            audited[entity, row, status["after"]] += 1
        elif entity == "expense":
            audited[entity, row, "corrected"] += 1
    lost = tally.successes - audited
    phantom = audited - tally.successes
    detail = (
        f"{sum(tally.successes.values())} steps and corrections answered 200,"
        f" {sum(audited.values())} audited"
    )
    if lost or phantom:
        detail += f"; not audited {list(lost.items())[:3]}, not told {list(phantom.items())[:3]}"
    return Check(
        "every successful step and correction is in the audit trail, and no other",
        not (lost or phantom),
        detail,
    )


def _status_chains(engine: Engine, events: list[Any]) -> list[Check]:
    checks = []
    for entity in STEP_ENTITIES:
        replayed: dict[int, str] = {}
        broken = []
        for _ident, name, row, action, changes, *_rest in events:
            if name != entity or "status" not in changes:
                continue
            status = changes["status"]
            if action == "create":
                replayed[row] = status
            elif replayed.get(row) != status["before"]:
                broken.append(row)
                replayed[row] = status["after"]
            else:
                replayed[row] = status["after"]
        stored = dict(_rows(engine, f"SELECT id, status FROM {entity}"))  # noqa: S608
        differ = [row for row, status in stored.items() if replayed.get(row) != status]
        checks.append(
            Check(
                f"{entity} statuses agree with their audited steps",
                not broken and not differ,
                f"{len(stored)} {entity}s replayed"
                + (
                    f"; chain broken at {broken[:5]}, differ {differ[:5]}"
                    if broken or differ
                    else ""
                ),
            )
        )
    return checks


def _review_fields(engine: Engine) -> Check:
    bad = _rows(
        engine,
        "SELECT id FROM milestone WHERE (status = 'accepted' AND (accepted_on IS NULL"
        " OR submitted_on IS NULL OR accepted_on < submitted_on))"
        " OR (status = 'returned' AND (review_note IS NULL OR review_note = ''))"
        " OR (status = 'submitted' AND submitted_on IS NULL)",
    )
    return Check(
        "accepted, returned and submitted milestones carry their dates and reasons",
        not bad,
        f"{len(bad)} do not: {[r[0] for r in bad[:5]]}" if bad else "all do",
    )


def _money(engine: Engine) -> list[Check]:
    overpaid = _rows(
        engine,
        "SELECT p.reference FROM project p WHERE p.awarded_amount < (SELECT"
        " COALESCE(SUM(t.paid_amount), 0) FROM tranche t WHERE t.project_id = p.id"
        " AND t.status = 'paid')",
    )
    overplanned = _rows(
        engine,
        "SELECT p.reference FROM project p WHERE p.status <> 'cancelled' AND p.awarded_amount <"
        " (SELECT COALESCE(SUM(t.amount), 0) FROM tranche t WHERE t.project_id = p.id"
        " AND t.status <> 'cancelled')",
    )
    undated = _rows(
        engine,
        "SELECT id FROM tranche WHERE status = 'paid' AND (approved_on IS NULL"
        " OR paid_on < approved_on)",
    )
    return [
        Check(
            "payments never exceed the award",
            not overpaid,
            f"over: {[r[0] for r in overpaid]}" if overpaid else "every project",
        ),
        Check(
            "tranches never total more than the award; paid after approval",
            not overplanned and not undated,
            f"over: {[r[0] for r in overplanned]}, undated: {[r[0] for r in undated[:5]]}"
            if overplanned or undated
            else "every project",
        ),
    ]


def _approvals(engine: Engine, base: Baseline, events: list[Any]) -> Check:
    """Every tranche approved in the run had each gate milestone accepted before."""
    gates: dict[int, list[int]] = {}
    for tranche, milestone in _rows(engine, "SELECT tranche_id, milestone_id FROM tranche_gate"):
        gates.setdefault(tranche, []).append(milestone)
    accepted_at: dict[int, int] = {}
    bad = []
    approvals = 0
    for ident, entity, row, action, changes, *_rest in events:
        after = (changes.get("status") or {}).get("after") if action == "update" else None
        if entity == "milestone" and after == "accepted":
            accepted_at.setdefault(row, ident)
        if entity == "tranche" and after == "approved" and ident > base.audit:
            approvals += 1
            if any(accepted_at.get(m, ident + 1) > ident for m in gates.get(row, [])):
                bad.append(row)
    return Check(
        "tranches approved only once their gate milestones were accepted",
        not bad,
        f"{approvals} approvals" + (f"; too early: {bad[:5]}" if bad else ""),
    )


def _evidence_first(engine: Engine, base: Baseline, events: list[Any]) -> Check:
    owner = dict(_rows(engine, "SELECT id, milestone_id FROM attachment"))
    needs = {r[0] for r in _rows(engine, "SELECT id FROM milestone WHERE evidence_required <> ''")}
    first: dict[int, int] = {}
    bad = []
    submits = 0
    for ident, entity, row, action, changes, *_rest in events:
        if entity == "attachment" and action == "create" and owner.get(row):
            first.setdefault(owner[row], ident)
        after = (changes.get("status") or {}).get("after") if action == "update" else None
        if entity == "milestone" and after == "submitted" and ident > base.audit:
            submits += 1
            if row in needs and first.get(row, ident + 1) > ident:
                bad.append(row)
    return Check(
        "every milestone submitted had its evidence attached first",
        not bad,
        f"{submits} submissions" + (f"; without evidence: {bad[:5]}" if bad else ""),
    )


def _versions_count_updates(engine: Engine, base: Baseline, events: list[Any]) -> Check:
    updates: Counter[tuple[str, int]] = Counter(
        (e[1], e[2]) for e in events if e[0] > base.audit and e[3] == "update"
    )
    bad = []
    now = _versions(engine)
    for table in VERSIONED:
        for row, version in now[table].items():
            before = base.versions[table].get(row, 1)
            if version - before != updates[table, row] or version < before:
                bad.append(f"{table} {row}: v{before} -> v{version}, {updates[table, row]} updates")
    return Check(
        "versions rise by one for each audited update",
        not bad,
        f"{sum(len(v) for v in now.values())} rows"
        + (f"; {len(bad)} not: {bad[:3]}" if bad else ""),
    )


def _audit_order(base: Baseline, events: list[Any]) -> Check:
    run = [(e[0], e[7]) for e in events if e[0] > base.audit]
    bad = [ident for (ident, at), (_prev, before) in zip(run[1:], run, strict=False) if at < before]
    return Check(
        "audit event ids follow their times",
        not bad,
        f"{len(run)} events in the run" + (f"; out of order: {bad[:5]}" if bad else ""),
    )


def _actors(engine: Engine, base: Baseline, events: list[Any]) -> Check:
    roles = dict(
        _rows(
            engine, "SELECT u.id, m.role FROM user_account u JOIN membership m ON m.user_id = u.id"
        )
    )
    managers = {
        r[0]
        for r in _rows(
            engine, "SELECT id FROM user_account WHERE email IN :emails", emails=list(MANAGERS)
        )
    }
    bad = []
    for ident, entity, row, action, changes, _reason, actor, _at in events:
        if ident <= base.audit:
            continue
        after = (changes.get("status") or {}).get("after") if action == "update" else None
        partner_step = (
            (entity == "milestone" and after == "submitted")
            or entity == "expense"
            or (entity == "attachment" and action == "create")
        )
        manager_step = after is not None and not partner_step
        if (partner_step and roles.get(actor) != "partner_editor") or (
            manager_step and actor not in managers
        ):
            bad.append(f"{entity} {row} {after or action} by {actor}")
    return Check(
        "partners submitted and recorded, managers reviewed and paid",
        not bad,
        "every step by its role" if not bad else f"{len(bad)} not: {bad[:3]}",
    )


def _files(engine: Engine, base: Baseline, data_dir: Path) -> Check:
    rows = _rows(
        engine,
        "SELECT id, stored_name, size_bytes, sha256 FROM attachment WHERE id > :b",
        b=base.last_ids["attachment"],
    )
    bad = []
    for ident, stored, size, digest in rows:
        path = data_dir / "attachments" / stored
        content = path.read_bytes() if path.exists() else None
        if content is None or len(content) != size or hashlib.sha256(content).hexdigest() != digest:
            bad.append(ident)
    return Check(
        "every evidence file uploaded is stored, whole",
        not bad,
        f"{len(rows)} files" + (f"; missing or damaged: {bad[:5]}" if bad else ""),
    )
