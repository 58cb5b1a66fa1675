"""Benchmark projects' money and results as rows: budgets, expenses, tranches, indicators."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from _rows import pick

from grants.models import (
    BudgetCategory,
    OverallStatus,
    ProjectStatus,
    ReviewStatus,
    TrancheStatus,
)

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
