"""What the benchmark data set holds, as plain rows: organisations, projects, milestones.

Dates are laid out around today: the first call's projects are mostly over, the second
call's mostly active, and some milestones are overdue. For the reports benchmark a project
can also have its money and results: budget lines, monthly expenses, tranches (the last two
released by milestones), indicators with quarterly values and quarterly progress updates.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from grants.models import (
    BudgetCategory,
    MilestoneStatus,
    OrganisationKind,
    OverallStatus,
    ProjectStatus,
    ReviewStatus,
    TrancheStatus,
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


BUDGET_SHARES = [  # code, category, description, percent of the award
    ("1", BudgetCategory.STAFF, "Project coordinator and field staff", 40),
    ("2", BudgetCategory.EVENTS, "Workshops, trainings and coordination meetings", 25),
    ("3", BudgetCategory.SERVICES, "Interpretation, legal and social services", 20),
    ("4", BudgetCategory.COMMUNICATION, "Information campaign and visibility", 10),
    ("5", BudgetCategory.TRAVEL, "Local travel and exchange visits", 5),
]
INDICATORS = [  # code, title, unit, target range
    ("MIG-REACHED", "Migrants reached by information and referral services", "people", 400),
    ("STAFF-TRAINED", "Front-line staff trained", "people", 40),
    ("COORD-MEETINGS", "Local coordination meetings held", "meetings", 8),
]
TRANCHE_SPLIT = (60, 30, 10)
_OVERALL = {"on_track": 70, "at_risk": 20, "off_track": 10}
CENT = Decimal("0.01")


def started(project: dict[str, Any]) -> bool:
    return project["actual_start"] is not None


def _reported_until(project: dict[str, Any], today: dt.date) -> dt.date:
    """The last day the project reported on: today, its end, or its cancellation."""
    end: dt.date = min(project["actual_end"] or project["planned_end"], today)
    if project["status"] == ProjectStatus.CANCELLED:  # stopped half-way
        end = project["actual_start"] + (end - project["actual_start"]) // 2
    return end


def _quarters(start: dt.date, until: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The three-month periods from ``start`` that ended by ``until``."""
    periods: list[tuple[dt.date, dt.date]] = []
    first = start
    while True:
        month = first.month + 2
        last = dt.date(first.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        next_first = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
        last = next_first - dt.timedelta(days=1)
        if last > until:
            return periods
        periods.append((first, last))
        first = next_first


def budget_lines(project_id: int, project: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the project's budget lines: the award split into five categories."""
    awarded: Decimal = project["awarded_amount"]
    return [
        {
            "project_id": project_id, "code": code, "category": category,
            "description": description, "currency": "EUR",
            "amount": (awarded * share / 100).quantize(CENT),
        }
        for code, category, description, share in BUDGET_SHARES
    ]  # fmt: skip


def expenses(
    project_id: int,
    project: dict[str, Any],
    line_ids: dict[str, int],
    organisation_id: int,
    today: dt.date,
) -> list[dict[str, Any]]:
    """Return one expense a month per budget line (some skipped) while the project ran."""
    if not started(project):
        return []
    start, until = project["actual_start"], _reported_until(project, today)
    months = max(1, (project["planned_end"] - project["planned_start"]).days // 30)
    pace = random.uniform(0.6, 1.1)  # how fast the project spends its budget
    rows = []
    day = start + dt.timedelta(days=27)
    while day <= until:
        for code, _category, description, share in BUDGET_SHARES:
            if random.random() < 0.25:
                continue
            monthly = project["awarded_amount"] * share / 100 / months
            amount = (monthly * Decimal(random.uniform(0.5, 1.5) * pace)).quantize(CENT)
            rows.append({
                "project_id": project_id, "budget_line_id": line_ids[code],
                "organisation_id": organisation_id, "spent_on": day, "amount": amount,
                "currency": "EUR", "description": f"{description}: {day:%B %Y}",
                "reference": f"INV-{project_id}-{day:%Y%m}-{code}",
            })  # fmt: skip
        day += dt.timedelta(days=30)
    return rows


def tranches(
    project_id: int, project: dict[str, Any], milestone_rows: list[dict[str, Any]], today: dt.date
) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """Return the 60/30/10 tranches and their gates as (tranche, milestone) positions.

    The first is paid on signature; the second waits for the middle milestone and the last
    for the final report, each paid a few weeks after its gate was accepted.
    """
    awarded: Decimal = project["awarded_amount"]
    middle = milestone_rows[len(milestone_rows) // 2 - 1]
    gates = {2: middle, 3: milestone_rows[-1]}
    rows = []
    for position, share in enumerate(TRANCHE_SPLIT, start=1):
        amount = (awarded * share / 100).quantize(CENT)
        gate = gates.get(position)
        planned = gate["due_date"] if gate else project["planned_start"]
        released = project["actual_start"] if gate is None else gate["accepted_on"]
        # Every row has every key, so the rows go in with one executemany.
        row: dict[str, Any] = {
            "project_id": project_id, "position": position, "amount": amount,
            "currency": "EUR", "planned_date": planned, "status": TrancheStatus.SCHEDULED,
            "approved_on": None, "paid_on": None, "paid_amount": None,
            "payment_reference": None, "cancel_reason": None,
        }  # fmt: skip
        if released is not None:
            approved = released + dt.timedelta(days=random.randint(2, 10))
            paid = approved + dt.timedelta(days=random.randint(5, 25))
            if paid <= today:
                row |= {
                    "status": TrancheStatus.PAID, "approved_on": approved, "paid_on": paid,
                    "paid_amount": amount, "payment_reference": f"PAY-{project_id}-{position}",
                }  # fmt: skip
            elif approved <= today:
                row |= {"status": TrancheStatus.APPROVED, "approved_on": approved}
        cancelled = project["status"] == ProjectStatus.CANCELLED
        if cancelled and row["status"] == TrancheStatus.SCHEDULED:
            row |= {"status": TrancheStatus.CANCELLED, "cancel_reason": "Project cancelled"}
        rows.append(row)
    return rows, [(2, middle["position"]), (3, milestone_rows[-1]["position"])]


def indicators(project_id: int) -> list[dict[str, Any]]:
    """Return the project's three indicators, shared by title and unit across projects."""
    rows = []
    for code, title, unit, target in INDICATORS:
        rows.append({
            "project_id": project_id, "code": code, "title": title, "unit": unit,
            "baseline": Decimal(random.randint(0, target // 10)),
            "target": Decimal(random.randint(target // 2, target * 3 // 2)),
        })  # fmt: skip
    return rows


def indicator_values(
    project_id: int,
    project: dict[str, Any],
    indicator_rows: list[dict[str, Any]],
    indicator_ids: dict[str, int],
    organisation_id: int,
    today: dt.date,
) -> list[dict[str, Any]]:
    """Return each indicator's cumulative value per quarter the project ran."""
    if not started(project):
        return []
    periods = _quarters(project["actual_start"], _reported_until(project, today))
    planned = max(1, len(_quarters(project["planned_start"], project["planned_end"])))
    rows = []
    for indicator in indicator_rows:
        reach = random.uniform(0.5, 1.2)
        for n, (first, last) in enumerate(periods, start=1):
            gained = (indicator["target"] - indicator["baseline"]) * Decimal(reach * n / planned)
            rows.append({
                "project_id": project_id, "indicator_id": indicator_ids[indicator["code"]],
                "organisation_id": organisation_id, "period_start": first, "period_end": last,
                "value": (indicator["baseline"] + gained).quantize(Decimal(1)),
                "note": "",
            })  # fmt: skip
    return rows


def progress_updates(
    project_id: int, project: dict[str, Any], organisation_id: int, today: dt.date
) -> list[dict[str, Any]]:
    """Return a narrative per quarter: submitted ten days after it, most approved a week on."""
    if not started(project):
        return []
    periods = _quarters(project["actual_start"], _reported_until(project, today))
    planned = max(1, len(_quarters(project["planned_start"], project["planned_end"])))
    city, title = project["city"], project["title"]
    rows = []
    for n, (first, last) in enumerate(periods, start=1):
        submitted = last + dt.timedelta(days=random.randint(5, 20))
        if submitted > today:
            continue
        reviewed = submitted + dt.timedelta(days=random.randint(3, 15))
        approved = reviewed <= today and random.random() < 0.9
        rows.append({
            "project_id": project_id, "organisation_id": organisation_id,
            "period_start": first, "period_end": last,
            "overall_status": OverallStatus(pick(_OVERALL)),
            "percent_complete": min(100, 100 * n // planned),
            "achievements": f"In {city}, the partners carried on with '{title}': "
            f"{random.randint(20, 200)} people reached this quarter, "
            f"{random.randint(1, 6)} coordination meetings held with local services, and "
            "referral procedures agreed with the health and social departments.",
            "challenges": "Staff turnover at the municipality and delays in the "
            "procurement of interpretation services slowed the outreach work.",
            "next_steps": "Extend the opening hours of the service desk, train the new "
            "staff, and prepare the next information campaign with the partner.",
            "status": ReviewStatus.APPROVED if approved else ReviewStatus.SUBMITTED,
            "submitted_on": submitted, "reviewed_on": reviewed if approved else None,
        })  # fmt: skip
    return rows
