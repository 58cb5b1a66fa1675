"""The audit trail: every flushed change to a domain row becomes an append-only event.

Changes are captured from SQLAlchemy's attribute history in ``after_flush``, so no write
path can forget to record itself; the actor is the principal the service is acting for.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, inspect
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import attributes

from grants.models import AuditAction, AuditEvent, LoginAttempt, Project, UserSession, utcnow

ACTOR_KEY = "grants_actor"
REASON_KEY = "grants_audit_reason"
PROJECTS_KEY = "grants_audit_projects"
SKIPPED_FIELDS = frozenset({"version", "created_at", "updated_at", "last_used_at", "last_login_at"})
SECRET_FIELDS = frozenset({"password_hash", "token_hash", "stored_name"})
BINARY_FIELDS = frozenset({"pdf"})
# Sign-ins are logged, not audited: they are not changes to the programme's records.
UNAUDITED = (AuditEvent, UserSession, LoginAttempt)


class MissingActor(RuntimeError):
    """A domain row was written outside a service, with nobody to answer for it."""


def note_reason(session: OrmSession, reason: str | None) -> None:
    """Attach ``reason`` to the changes flushed until the current service call ends."""
    session.info[REASON_KEY] = reason


def note_projects(session: OrmSession, obj: Any, project_ids: Iterable[int]) -> None:
    """Record the next flushed change of ``obj``, a row several projects share (an
    organisation), in the history of each of ``project_ids``: one event per project."""
    shared = session.info.get(PROJECTS_KEY) or {}
    shared[_shared_key(obj)] = sorted(set(project_ids))
    session.info[PROJECTS_KEY] = shared


def _shared_key(obj: Any) -> tuple[str, Any]:
    return obj.__tablename__, inspect(obj).identity


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _shown(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in SECRET_FIELDS:
        return "<redacted>"
    if key in BINARY_FIELDS:
        return f"<{len(value)} bytes>"
    return _plain(value)


def _changes(obj: Any, action: AuditAction) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for column in inspect(obj).mapper.column_attrs:
        key = column.key
        if key in SKIPPED_FIELDS:
            continue
        if action is AuditAction.UPDATE:
            history = attributes.get_history(obj, key)
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if _plain(before) == _plain(after):
                continue
            changes[key] = {"before": _shown(key, before), "after": _shown(key, after)}
        else:
            value = getattr(obj, key)
            if value is not None:
                changes[key] = _shown(key, value)
    return changes


def _event_row(
    obj: Any, action: AuditAction, actor: Any, reason: str | None
) -> dict[str, Any] | None:
    changes = _changes(obj, action)
    if action is AuditAction.UPDATE and not changes:
        return None
    identity = inspect(obj).identity or inspect(obj).mapper.primary_key_from_instance(obj)
    return {
        "at": utcnow(),
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "entity": obj.__tablename__,
        "entity_id": "/".join(str(part) for part in identity),
        "action": action.value,
        "changes": changes,
        "reason": reason,
        "project_id": obj.id if isinstance(obj, Project) else getattr(obj, "project_id", None),
    }


@event.listens_for(OrmSession, "after_flush")
def _record(session: OrmSession, _context: Any) -> None:
    pending = [
        *((obj, AuditAction.CREATE) for obj in session.new),
        *((obj, AuditAction.UPDATE) for obj in session.dirty if session.is_modified(obj)),
        *((obj, AuditAction.DELETE) for obj in session.deleted),
    ]
    pending = [(obj, action) for obj, action in pending if not isinstance(obj, UNAUDITED)]
    changed = [
        (obj, action)
        for obj, action in pending
        if action is not AuditAction.UPDATE or _changes(obj, action)
    ]
    if not changed:
        return
    actor = session.info.get(ACTOR_KEY)
    if actor is None:
        raise MissingActor("domain rows may only be written through the services")
    reason = session.info.get(REASON_KEY)
    shared: dict[tuple[str, Any], list[int]] = session.info.get(PROJECTS_KEY) or {}
    rows = []
    for obj, action in changed:
        row = _event_row(obj, action, actor, reason)
        if row is None:
            continue
        projects = shared.pop(_shared_key(obj), None) if shared else None
        rows.extend([{**row, "project_id": p} for p in projects] if projects else [row])
    if rows:
        session.connection().execute(AuditEvent.__table__.insert(), rows)  # type: ignore[attr-defined]


HIGH_WATER_MARK = sa_select(func.max(AuditEvent.id))
"""The id of the latest audit event: it moves with every audited change."""

ACCESS_ENTITIES = ("api_token", "user_account", "membership")
"""The rows that say who may act as whom: tokens, users (active or not) and their roles."""

MARKS = sa_select(
    func.max(AuditEvent.id),
    sa_select(func.max(AuditEvent.id))
    .where(AuditEvent.entity.in_(ACCESS_ENTITIES))  # type: ignore[attr-defined]
    .scalar_subquery(),
)
"""The high-water mark and the access mark, the latest change to a row of
``ACCESS_ENTITIES``, in one read (``ix_audit_event_entity_id`` serves the second).

What a token stands for changes only when the access mark moves, so a token check is not
repeated for every write of expenses or milestones, as it would be under the high-water
mark; a cached response still needs the high-water mark."""
