"""What every fuzzed request must keep to, and the failures already being fixed elsewhere.

Every answer is below 500; a refused request (4xx) leaves every record, the audit trail and
the kept files as they were; a web form reached its handler (the CSRF token was valid); the
page an accepted form leads to, or the object an accepted API write changed, still opens.

A failure whose cause is known and fixed on another branch is noted, not raised, and the
test is then marked as an expected failure naming it; any other failure fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


@dataclass(frozen=True)
class Known:
    """A failure fixed on another branch: what it is, and how to recognise it."""

    name: str
    matches: Callable[[Sent, str], bool]


DATABASE_WORDS = re.compile(
    r"sqlalchemy|psycopg|sqlite3|IntegrityError|OperationalError|DataError|UNIQUE constraint"
    r"|CHECK constraint|FOREIGN KEY constraint|duplicate key value|violates \w+ constraint"
    r"|Traceback \(most recent",
)
"""What the database or Python says, which no answer may show (SECURITY.md, 20)."""
WIDE_IDS = {"manager_id", "call_id", "responsible_organisation_id", "organisation_id",
            "budget_line_id"}
MAX_ID = 2**31 - 1
OTHER_DIGITS = re.compile(r"[^\x00-\x7f]")


def _texts(sent: Sent) -> list[str]:
    return [v for v in sent.values().values() if isinstance(v, str)]


def leaks(answer: str) -> str | None:
    """Return what of the database's own words ``answer`` shows, if any."""
    found = DATABASE_WORDS.search(answer)
    return found.group(0) if found else None


def _long_or_nul(sent: Sent) -> bool:
    return any("\x00" in v or len(v) > 100 for v in _texts(sent))


def _web_step(sent: Sent) -> bool:
    return sent.is_web and bool(
        re.search(r"/(workflow/\w+|accept|return|cancel|pay|approve)$", sent.path)
    )


def _wide_id(sent: Sent) -> bool:
    return any(
        isinstance(v, int) and not isinstance(v, bool) and not -MAX_ID - 1 <= v <= MAX_ID
        for k, v in sent.values().items()
        if k in WIDE_IDS
    )


def _odd_amount(problem: str) -> bool:
    return bool(re.match(r"accepted (amount|budget|max_amount|awarded_amount|baseline|target"
                         r"|value|paid_amount)=", problem))


def _datetime_or_zero(sent: Sent, problem: str) -> bool:
    found = re.match(r"accepted (\w+)=", problem)
    value = sent.values().get(found.group(1)) if found else None
    return (value == 0 or isinstance(value, str) and "T" in value) and not isinstance(value, bool)


KNOWN: list[Known] = [
    Known(
        "web workflow form text (a reason or payment reference with NUL or too long) "
        "reaching PostgreSQL",
        lambda sent, problem: _web_step(sent) and sent.status == 500 and _long_or_nul(sent)
        and sent.engine == "postgresql",
    ),
    Known(
        "integer ids beyond 32 bits in API bodies",
        lambda sent, _problem: not sent.is_web and _wide_id(sent),
    ),
    Known(
        "raw database messages in 409s",
        lambda sent, problem: sent.status == 409 and problem.startswith("shows the database"),
    ),
    Known(
        "amounts the schema refuses (1_000, +5, 1E+2, Arabic-Indic digits) accepted by the API",
        lambda sent, problem: not sent.is_web and _odd_amount(problem),
    ),
    Known(
        "datetimes and 0 accepted as dates",
        lambda sent, problem: not sent.is_web and _datetime_or_zero(sent, problem),
    ),
    Known(
        "space-only titles",
        lambda sent, problem: problem.startswith("accepted blank title"),
    ),
]


def known_cause(sent: Sent, problem: str) -> str | None:
    """Return the name of the known failure ``sent`` shows, if it is one."""
    return next((k.name for k in KNOWN if k.matches(sent, problem)), None)
