"""What the benchmark data set holds, as plain rows: organisations, projects, milestones.

Dates are laid out around today: the first call's projects are mostly over, the second
call's mostly active, and some milestones are overdue. Their money and results (for the
reports benchmark) come from ``_finance_rows``.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from grants.models import (
    MilestoneStatus,
    OrganisationKind,
    ProjectStatus,
)

CITIES = {
    "TN": ["Sfax", "Sousse", "Kairouan", "La Marsa"],
    "MA": ["Tangier", "Oujda", "Rabat", "Fes"],
    "JO": ["Amman", "Irbid", "Zarqa", "Mafraq"],
    "LB": ["Tripoli", "Saida", "Byblos", "Tyre"],
    "EG": ["Alexandria", "Cairo", "Giza", "Aswan"],
}
COUNTRY_WEIGHTS = {"TN": 25, "MA": 25, "JO": 20, "LB": 15, "EG": 15}
CSO_NAMES = ["Horizons Solidaires", "Droits et Accueil", "Passerelles", "Youth for Inclusion"]
TOPICS = [
    "Migrant welcome desk",
    "Access to health services",
    "Housing and social cohesion",
    "Vocational training and employment",
    "Legal aid and access to rights",
    "Language courses and intercultural dialogue",
    "Local migration data observatory",
    "Inclusion through sport",
    "Economic empowerment",
    "Training municipal staff on migrants' rights",
]
GROUPS = ["migrants", "refugees", "young people", "women", "returnees", "host communities"]
MILESTONES = [
    "Inception report and work plan",
    "Baseline survey of needs",
    "Partner coordination workshop",
    "Service desk opened to the public",
    "Awareness campaign delivered",
    "Final narrative and financial report",
]
# More milestones, placed before the final report when a project has more than six.
MORE_MILESTONES = [
    "Referral network agreement signed",
    "Front-line staff training delivered",
    "Mid-term review with the partners",
    "Exchange visit with a peer city",
    "Sustainability plan adopted by the council",
    "Public closing event",
]
# (status, weight) per call: the first call's projects have mostly ended.
STATUSES = [
    {"closed": 55, "finalising": 25, "active": 15, "cancelled": 5},
    {"active": 85, "contracting": 5, "draft": 2, "suspended": 5, "cancelled": 3},
]


def pick(weights: dict[str, int]) -> str:
    return random.choices(list(weights), weights=list(weights.values()))[0]


def organisations() -> list[dict[str, Any]]:
    """Return the organisations: the programme office, a donor, and per country four
    municipalities and four civil-society organisations."""
    rows: list[dict[str, Any]] = [
        _org("PROG-OFFICE", "City Migration Programme Office", "implementing_agency", None, None),
        _org("EU-NEAR", "European Union, DG NEAR", "donor", None, "Brussels"),
    ]
    for country, cities in CITIES.items():
        for n, city in enumerate(cities):
            ref = f"{country}-{city.upper().replace(' ', '-')}"
            rows.append(_org(ref, f"Municipality of {city}", "municipality", country, city))
            name = f"Association {CSO_NAMES[n]} {country}"
            rows.append(_org(f"{country}-CSO-{n + 1}", name, "cso", country, city))
    return rows


def _org(ref: str, name: str, kind: str, country: str | None, city: str | None) -> dict[str, Any]:
    return {
        "ref": ref,
        "name": f"{name} (fictional)",
        "kind": OrganisationKind(kind),
        "country": country,
        "city": city,
        "is_fictional": True,
    }


def project(
    n: int,
    calls: list[dict[str, Any]],
    call_ids: list[int],
    org_ids: dict[str, int],
    manager_id: int,
    today: dt.date,
) -> tuple[dict[str, Any], int, int]:
    """Return a project's row, its lead municipality's id and its CSO partner's id."""
    index = 0 if random.random() < 0.4 else 1
    country = pick(COUNTRY_WEIGHTS)
    slot = random.randrange(4)
    city = CITIES[country][slot]
    lead = org_ids[f"{country}-{city.upper().replace(' ', '-')}"]
    cso = org_ids[f"{country}-CSO-{random.randrange(4) + 1}"]
    status = ProjectStatus(pick(STATUSES[index]))
    start = calls[index]["closes_on"] + dt.timedelta(days=random.randint(30, 150))
    end = start + dt.timedelta(days=random.randint(365, 730))
    started = status not in (ProjectStatus.DRAFT, ProjectStatus.CONTRACTING)
    actual_start = min(start + dt.timedelta(days=random.randint(0, 20)), today)
    actual_end = max(min(end + dt.timedelta(days=random.randint(-10, 30)), today), actual_start)
    topic, group = random.choice(TOPICS), random.choice(GROUPS)
    row = {
        "reference": f"BN{index + 1}-{n + 1:05d}",
        "call_id": call_ids[index],
        "title": f"{topic} for {group} in {city}",
        "summary": f"{topic} with and for {group} in {city}, run by the municipality "
        "and a local civil-society partner.",
        "city": city,
        "country": country,
        "currency": "EUR",
        "awarded_amount": Decimal(random.randrange(15_000, 50_001, 100)),
        "planned_start": start,
        "planned_end": end,
        "manager_id": manager_id,
        "status": status,
        "status_reason": "Partner restructuring; activities on hold"
        if status in (ProjectStatus.SUSPENDED, ProjectStatus.CANCELLED)
        else None,
        "actual_start": actual_start if started else None,
        "actual_end": actual_end if status == ProjectStatus.CLOSED else None,
    }
    return row, lead, cso


DONE = (MilestoneStatus.ACCEPTED, MilestoneStatus.CANCELLED)
_PAST = {"accepted": 80, "submitted": 5, "returned": 5, "in_progress": 5, "planned": 5}
_RECENT = {"accepted": 40, "submitted": 30, "in_progress": 20, "planned": 10}


def milestone_titles(count: int) -> list[str]:
    """Return ``count`` milestone titles (6 to 12), the final report last."""
    if not len(MILESTONES) <= count <= len(MILESTONES) + len(MORE_MILESTONES):
        raise ValueError(f"milestones per project must be between 6 and 12, not {count}")
    return [*MILESTONES[:-1], *MORE_MILESTONES[: count - len(MILESTONES)], MILESTONES[-1]]


def milestones(
    project_id: int,
    project: dict[str, Any],
    lead: int,
    cso: int,
    today: dt.date,
    count: int = len(MILESTONES),
) -> list[dict[str, Any]]:
    start, end, status = project["planned_start"], project["planned_end"], project["status"]
    titles = milestone_titles(count)
    rows = []
    for position, title in enumerate(titles, start=1):
        due = start + (end - start) * position // len(titles)
        if status in (ProjectStatus.DRAFT, ProjectStatus.CONTRACTING):
            state = "planned"
        elif status == ProjectStatus.CLOSED:
            state = "accepted"
        elif status == ProjectStatus.CANCELLED:
            state = "accepted" if due < today and random.random() < 0.5 else "cancelled"
        elif due < today - dt.timedelta(days=30):
            state = pick(_PAST)
        elif due < today:
            state = pick(_RECENT)
        else:
            state = "in_progress" if due < today + dt.timedelta(days=60) else "planned"
        milestone = MilestoneStatus(state)
        submitted = min(due + dt.timedelta(days=random.randint(-10, 15)), today)
        reviewed = milestone in (MilestoneStatus.ACCEPTED, MilestoneStatus.RETURNED)
        has_evidence = reviewed or milestone == MilestoneStatus.SUBMITTED
        rows.append({
            "project_id": project_id, "position": position, "title": title,
            "description": "", "evidence_required": "Signed report (PDF)",
            "due_date": due, "baseline_due_date": due, "status": milestone,
            "responsible_organisation_id": cso if position in (3, 4) else lead,
            "submitted_on": submitted if has_evidence else None,
            "accepted_on": min(submitted + dt.timedelta(days=random.randint(1, 20)), today)
            if milestone == MilestoneStatus.ACCEPTED else None,
            "review_note": "Evidence incomplete: attach the signed attendance list"
            if milestone == MilestoneStatus.RETURNED else None,
        })  # fmt: skip
    return rows
