"""The demo's cast, read from ``demo.toml``, and the shapes every project shares.

Modelled on MC2CM (the Mediterranean City-to-City Migration project): Phase II ran from
1 July 2018 to 31 March 2021 with an EU contribution of EUR 5.55 M, and its first call, in
January 2019, offered up to EUR 50,000 per city action.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

CAST_FILE = Path(__file__).with_name("demo.toml")

MILESTONES = [  # title, evidence required, share of the project period at which it is due
    ("Inception report and work plan", "Signed work plan", 0.12),
    ("Stakeholder mapping and coordination workshop", "Workshop report and attendance list", 0.35),
    ("Training of front-line municipal staff", "Training agenda and attendance list", 0.6),
    ("Information campaign and service launch", "Campaign material and outreach figures", 0.85),
    ("Final narrative and financial report", "Final report", 1.0),
]
BUDGET_SHARES = [  # code, category, description, percent of the award
    ("1", "staff", "Project coordinator and field staff", 40),
    ("2", "events", "Workshops, trainings and coordination meetings", 25),
    ("3", "services", "Interpretation, legal and social services", 20),
    ("4", "communication", "Information campaign and visibility", 10),
    ("5", "travel", "Local travel and exchange visits", 5),
]
INDICATORS = [  # code, title, unit, target
    ("MIG-REACHED", "Migrants reached by information and referral services", "people", 400),
    ("STAFF-TRAINED", "Front-line staff trained", "people", 40),
    ("COORD-MEETINGS", "Local coordination meetings held", "meetings", 8),
]
RETURN_REASON = "The attendance list is missing signatures and dates; please complete it."
CANCEL_REASON = "Merged into the information campaign milestone after the mid-term review."
UPDATE_RETURN_REASON = "Please add the figures for the trainings held."


@dataclass
class Scenario:
    """How one project's story unfolds; anything dated after "today" has not happened."""

    ref: str
    title: str
    city: str
    country: str
    lead: str
    award: int
    start: int
    end: int
    call: int = 0
    objectives: str = "A"
    summary: str = ""
    partners: list[list[str]] = field(default_factory=list)
    target: str = "active"  # draft, contracting, active, finalising, closed, suspended, cancelled
    status_day: int | None = None
    reason: str | None = None
    outcomes: dict[str, str] = field(default_factory=dict)
    quiet_from: int | None = None
    latest_update: str = "approved"
    latest_overall: str = "on_track"
    burn: float = 1.0
    sectors: dict[str, int] = field(default_factory=lambda: {"15190": 100})

    def outcome(self, index: int) -> tuple[str, int]:
        """Return milestone ``index``'s outcome kind and its day offset."""
        kind, _sep, delta = self.outcomes.get(str(index), "on_time").partition(":")
        return kind, int(delta or 0)


@lru_cache
def cast() -> dict[str, Any]:
    """Return the parsed cast file."""
    with CAST_FILE.open("rb") as handle:
        return tomllib.load(handle)


def scenarios() -> list[Scenario]:
    """Return the demo projects' scenarios."""
    return [Scenario(**row) for row in cast()["scenarios"]]
