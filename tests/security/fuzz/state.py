"""What a refused request must leave as it was: every table's rows, the audit trail, the files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import SQLModel

import grants.models  # noqa: F401  (registers every table)

# Sign-ins and request bookkeeping change on every request by design, and are not records.
IGNORED_TABLES = {"user_session", "login_attempt", "alembic_version", "audit_event"}
IGNORED_COLUMNS = {"last_used_at", "last_login_at", "pdf"}


@dataclass(frozen=True)
class State:
    """A digest of every record table's rows, the audit trail's length and the files kept."""

    tables: dict[str, str]
    audit_events: int
    files: frozenset[str]

    def changes_since(self, before: State) -> list[str]:
        """Name what differs from ``before``."""
        changed = [
            name for name, digest in self.tables.items() if before.tables.get(name) != digest
        ]
        if self.audit_events != before.audit_events:
            changed.append(f"audit_event ({before.audit_events} -> {self.audit_events} events)")
        if self.files != before.files:
            changed.append(f"files ({sorted(self.files ^ before.files)[:3]})")
        return changed


@cache
def _tables() -> list[tuple[str, str, str]]:
    """Each record table's name, its columns but the bookkeeping ones, and its key."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in IGNORED_TABLES:
            columns = ", ".join(
                f'x."{c.name}"' for c in table.columns if c.name not in IGNORED_COLUMNS
            )
            key = ", ".join(f'x."{c.name}"' for c in table.primary_key.columns)
            found.append((table.name, columns, key))
    return found


@cache
def _postgresql_digests() -> str:
    """One statement that digests every table on the server: one round trip, no rows sent."""
    parts = [
        f"(SELECT md5(coalesce(string_agg(ROW({columns})::text, '|' ORDER BY {key}), '')) "
        f'FROM "{name}" x)'
        for name, columns, key in _tables()
    ]
    return "SELECT " + ", ".join(parts)


def _digests(engine: Engine) -> dict[str, str]:
    names = [name for name, _columns, _key in _tables()]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return dict(zip(names, conn.exec_driver_sql(_postgresql_digests()).one(), strict=True))
        digests = {}
        for name, columns, key in _tables():
            # Raw rows: the column types' conversions would cost more than the digest.
            rows = conn.exec_driver_sql(f'SELECT {columns} FROM "{name}" x ORDER BY {key}').all()
            digests[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return digests


def state_of(engine: Engine, folders: tuple[Path, ...]) -> State:
    """Return the state of the database and of the files kept in ``folders`` now."""
    with engine.connect() as conn:
        events = conn.exec_driver_sql("SELECT count(*) FROM audit_event").scalar_one()
    files = frozenset(str(p) for folder in folders for p in folder.rglob("*") if p.is_file())
    return State(_digests(engine), int(events), files)
