"""What every fuzzed request must keep to.

Every answer is below 500; a refused request (4xx) leaves every record, the audit trail and
the kept files as they were; a web form reached its handler (the CSRF token was valid); the
page an accepted form leads to, or the object an accepted API write changed, still opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CSRF_REFUSAL = "The form expired or came from another site"
SHOWN = 160  # characters of each value and of the answer shown in a failure


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}... ({len(text)} characters)"


@dataclass
class Sent:
    """One fuzzed request and its answer, as a failure reports it."""

    engine: str
    role: str
    method: str
    path: str
    fields: Any
    status: int = 0
    answer: str = ""
    hostile: set[str] = field(default_factory=set)

    @property
    def is_web(self) -> bool:
        return not self.path.startswith("/api/")

    def values(self) -> dict[str, Any]:
        return self.fields if isinstance(self.fields, dict) else {}

    def repro(self, seed: int) -> str:
        body = {k: shown(v) for k, v in self.values().items() if k != "csrf_token"}
        if not isinstance(self.fields, dict):
            body = {"body": shown(self.fields)}
        return (
            f"{self.method} {self.path} as {self.role} on {self.engine} -> {self.status}\n"
            f"  body: {body}\n  hostile: {sorted(self.hostile)}\n"
            f"  answer: {shown(self.answer)}\n  GRANTS_TEST_SEED={seed} repeats the run"
        )


DATABASE_WORDS = re.compile(
    r"sqlalchemy|psycopg|sqlite3|IntegrityError|OperationalError|DataError|UNIQUE constraint"
    r"|CHECK constraint|FOREIGN KEY constraint|duplicate key value|violates \w+ constraint"
    r"|Traceback \(most recent",
)
"""What the database or Python says, which no answer may show (SECURITY.md, 20)."""


def leaks(answer: str) -> str | None:
    """Return what of the database's own words ``answer`` shows, if any."""
    found = DATABASE_WORDS.search(answer)
    return found.group(0) if found else None
