"""The projects as a 360Giving 1.4 data package: one grant per project past its draft.

The funder is the organisation managing the programme (it awards the grants), the recipient
the lead grantee. An organisation without a published identifier gets one under the
publisher's 360Giving prefix (``<prefix>-<ref>``), as 360Giving asks; grant identifiers are
``<prefix>-<project reference>``. Amounts are JSON numbers, as the standard requires.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from grants.config import Settings
from grants.exchange.publish_data import ProjectFacts, project_facts
from grants.i18n import _
from grants.models import Organisation
from grants.services.access import Principal
from grants.services.errors import Invalid

SCHEMA_VERSION = "1.4"


def _number(amount: Decimal) -> float | int:
    exact = amount.normalize()
    return int(exact) if exact == exact.to_integral() else float(exact)


def _organisation(org: Organisation, prefix: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": org.org_identifier or f"{prefix}-{org.ref}", "name": org.name}
    if org.city:
        entry["addressLocality"] = org.city
    if org.country:
        entry["addressCountry"] = org.country
    if org.website:
        entry["url"] = org.website
    return entry


def _months(start: dt.date, end: dt.date) -> int:
    return max(1, (end.year - start.year) * 12 + end.month - start.month + (end.day >= start.day))


def grant(facts: ProjectFacts, prefix: str, as_of: dt.date) -> dict[str, Any]:
    """Return one project as a 360Giving grant."""
    project, figures = facts.project, facts.figures
    assert figures is not None
    record: dict[str, Any] = {
        "id": f"{prefix}-{project.reference}",
        "title": project.title,
        "description": project.summary.strip() or project.title,
        "currency": project.currency,
        "amountAwarded": _number(figures.awarded),
        "amountDisbursed": _number(figures.disbursed),
        "awardDate": (facts.actual_start(as_of) or project.planned_start).isoformat(),
        "plannedDates": [
            {
                "startDate": project.planned_start.isoformat(),
                "endDate": project.planned_end.isoformat(),
                "duration": _months(project.planned_start, project.planned_end),
            }
        ],
        "fundingOrganization": [_organisation(facts.manager, prefix)],
        "beneficiaryLocation": [{"name": project.city, "countryCode": project.country}],
        "grantProgramme": [{"code": facts.call.code, "title": facts.call.title}],
        "dateModified": project.updated_at.replace(microsecond=0).isoformat(),
    }
    if start := facts.actual_start(as_of):
        actual = {"startDate": start.isoformat()}
        if end := facts.actual_end(as_of):
            actual["endDate"] = end.isoformat()
        record["actualDates"] = [actual]
    lead = facts.lead
    if lead is not None:
        record["recipientOrganization"] = [_organisation(lead, prefix)]
    sectors = facts.sectors.get("1", {})
    if sectors:
        record["classifications"] = [
            {"vocabulary": "OECD DAC CRS purpose code", "code": code} for code in sectors
        ]
    return record


def package(
    session: Session, principal: Principal, settings: Settings, as_of: dt.date
) -> dict[str, Any]:
    """Return the principal's projects (past their draft) as a 360Giving data package."""
    prefix = settings.giving360_prefix.strip()
    if not prefix.startswith("360G-"):
        raise Invalid(
            "GRANTS_GIVING360_PREFIX", prefix, _("set the publisher's 360Giving prefix (360G-...)")
        )
    facts = project_facts(session, principal, as_of)
    if not facts:
        raise Invalid("projects", 0, _("there is no project past its draft to publish"))
    missing = [f.project.reference for f in facts if f.lead is None]
    if missing:
        raise Invalid(
            "lead_organisation", missing, _("every grant needs a recipient (a lead grantee)")
        )
    return {
        "version": SCHEMA_VERSION,
        "grants": [grant(fact, prefix, as_of) for fact in facts],
    }


def package_json(
    session: Session, principal: Principal, settings: Settings, as_of: dt.date
) -> bytes:
    """Return the 360Giving package as UTF-8 JSON."""
    document = package(session, principal, settings, as_of)
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
