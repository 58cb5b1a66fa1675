"""The projects as IATI 2.03 activities: one ``iati-activity`` per project past its draft.

Roles of participating organisations: the programme's donors fund (1), the organisation
managing the programme is accountable (2) and extends the grants (3), the lead grantee and
co-implementing partners implement (4). Organisation refs are given only where an
organisation has a published identifier. Transactions: the award as a commitment when the
project started (its agreement), each paid tranche as a disbursement, expenses as one
expenditure per month. The award is budgeted in periods of at most one year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree
from sqlmodel import Session

from grants.config import Settings
from grants.exchange.publish_data import ProjectFacts, project_facts
from grants.i18n import _
from grants.models import OrganisationKind, PartnerRole, ProjectStatus
from grants.services.access import Principal
from grants.services.errors import Invalid

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ACTIVITY_STATUS = {
    ProjectStatus.DRAFT: "1",
    ProjectStatus.CONTRACTING: "1",
    ProjectStatus.ACTIVE: "2",
    ProjectStatus.FINALISING: "3",
    ProjectStatus.CLOSED: "4",
    ProjectStatus.CANCELLED: "5",
    ProjectStatus.SUSPENDED: "6",
}
ORGANISATION_TYPE = {
    OrganisationKind.MUNICIPALITY: "11",
    OrganisationKind.REGIONAL_AUTHORITY: "11",
    OrganisationKind.NATIONAL_GOVERNMENT: "10",
    OrganisationKind.CSO: "22",
    OrganisationKind.INTERNATIONAL_ORGANISATION: "40",
    OrganisationKind.ACADEMIC: "80",
    OrganisationKind.PRIVATE_SECTOR: "70",
}
FUNDING, ACCOUNTABLE, EXTENDING, IMPLEMENTING = "1", "2", "3", "4"
COMMITMENT, DISBURSEMENT, EXPENDITURE = "2", "3", "4"
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"
IMPLEMENTERS = (PartnerRole.LEAD, PartnerRole.CO_IMPLEMENTING)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        etree.SubElement(element, "narrative").text = text
    return element


def _org(parent: etree._Element, tag: str, org: object, **attrs: str) -> None:
    ref = getattr(org, "org_identifier", None)
    kind = ORGANISATION_TYPE.get(getattr(org, "kind", None))  # type: ignore[arg-type]
    extra = {**({"ref": ref} if ref else {}), **({"type": kind} if kind else {})}
    _sub(parent, tag, getattr(org, "name", ""), **attrs, **extra)


def _money(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01"), ROUND_HALF_UP), "f")


def _value(parent: etree._Element, tag: str, amount: Decimal, currency: str, day: dt.date) -> None:
    element = etree.SubElement(parent, tag, {"currency": currency, "value-date": day.isoformat()})
    element.text = _money(amount)


def budget_periods(
    start: dt.date, end: dt.date, total: Decimal
) -> Iterator[tuple[dt.date, dt.date, Decimal]]:
    """Split ``total`` over ``start``..``end`` in periods of at most one year, pro rata by days."""
    days = (end - start).days + 1
    periods = []
    cursor = start
    while cursor <= end:
        try:
            next_start = cursor.replace(year=cursor.year + 1)
        except ValueError:  # 29 February
            next_start = cursor.replace(year=cursor.year + 1, day=28)
        period_end = min(end, next_start - dt.timedelta(days=1))
        periods.append((cursor, period_end))
        cursor = period_end + dt.timedelta(days=1)
    allotted = Decimal(0)
    for number, (first, last) in enumerate(periods, start=1):
        share = (
            total - allotted
            if number == len(periods)
            else (total * ((last - first).days + 1) / days).quantize(Decimal("0.01"), ROUND_HALF_UP)
        )
        allotted += share
        yield first, last, share


def _participants(activity: etree._Element, facts: ProjectFacts) -> None:
    for funder in facts.funders:
        _org(activity, "participating-org", funder, role=FUNDING)
    for org, role in facts.partners:
        if role == PartnerRole.FUNDER:
            _org(activity, "participating-org", org, role=FUNDING)
    _org(activity, "participating-org", facts.manager, role=ACCOUNTABLE)
    _org(activity, "participating-org", facts.manager, role=EXTENDING)
    for org, role in facts.partners:
        if role in IMPLEMENTERS:
            _org(activity, "participating-org", org, role=IMPLEMENTING)


def _dates(activity: etree._Element, facts: ProjectFacts, as_of: dt.date) -> None:
    project = facts.project
    _sub(activity, "activity-date", type=PLANNED_START, iso_date=project.planned_start.isoformat())
    if start := facts.actual_start(as_of):
        _sub(activity, "activity-date", type=ACTUAL_START, iso_date=start.isoformat())
    _sub(activity, "activity-date", type=PLANNED_END, iso_date=project.planned_end.isoformat())
    if end := facts.actual_end(as_of):
        _sub(activity, "activity-date", type=ACTUAL_END, iso_date=end.isoformat())


def _sectors(activity: etree._Element, facts: ProjectFacts, default_sector: str) -> None:
    sectors = facts.sectors or {"1": {default_sector: Decimal(100)}}
    for vocabulary, shares in sorted(sectors.items()):
        for code, share in shares.items():
            _sub(
                activity,
                "sector",
                vocabulary=vocabulary,
                code=code,
                percentage=format(share.normalize(), "f"),
            )


def _transactions(activity: etree._Element, facts: ProjectFacts, as_of: dt.date) -> None:
    currency = facts.project.currency
    lead = facts.lead

    def transaction(kind: str, day: dt.date, amount: Decimal, text: str) -> None:
        element = etree.SubElement(activity, "transaction")
        _sub(element, "transaction-type", code=kind)
        _sub(element, "transaction-date", iso_date=day.isoformat())
        _value(element, "value", amount, currency, day)
        _sub(element, "description", text)
        _org(element, "provider-org", facts.manager)
        if lead is not None:
            _org(element, "receiver-org", lead)

    if (start := facts.actual_start(as_of)) and facts.figures is not None:
        # The award as every total counts it: a cancelled grant's commitment is what was paid.
        transaction(COMMITMENT, start, facts.figures.awarded, _("Grant agreement"))
    for tranche in facts.payments:
        assert tranche.paid_on is not None
        assert tranche.paid_amount is not None
        transaction(
            DISBURSEMENT,
            tranche.paid_on,
            tranche.paid_amount,
            _("Tranche {n}").format(n=tranche.position),
        )
    for day, total in facts.monthly_spending:
        transaction(
            EXPENDITURE, day, total, _("Expenses of {month}").format(month=day.strftime("%Y-%m"))
        )


def _results(activity: etree._Element, facts: ProjectFacts) -> None:
    for item in facts.indicators:
        indicator = item.indicator
        result = _sub(activity, "result", type="1")
        _sub(result, "title", indicator.title)
        element = _sub(result, "indicator", measure="2" if indicator.unit.strip() == "%" else "1")
        _sub(element, "title", f"{indicator.title} ({indicator.unit})")
        year = str(facts.project.planned_start.year)
        _sub(element, "baseline", year=year, value=format(indicator.baseline.normalize(), "f"))
        for value in item.values:
            period = _sub(element, "period")
            _sub(period, "period-start", iso_date=value.period_start.isoformat())
            _sub(period, "period-end", iso_date=value.period_end.isoformat())
            _sub(period, "target", value=format(indicator.target.normalize(), "f"))
            _sub(period, "actual", value=format(value.value.normalize(), "f"))


def activity(
    facts: ProjectFacts, publisher: tuple[str, str, str], as_of: dt.date, default_sector: str
) -> etree._Element:
    """Return one project as an ``iati-activity`` element."""
    ref, kind, name = publisher
    project = facts.project
    element = etree.Element(
        "iati-activity",
        {
            "last-updated-datetime": project.updated_at.replace(microsecond=0).isoformat(),
            XML_LANG: "en",
            "default-currency": project.currency,
        },
    )
    etree.SubElement(element, "iati-identifier").text = f"{ref}-{project.reference}"
    _sub(element, "reporting-org", name, ref=ref, type=kind)
    _sub(element, "title", project.title)
    _sub(element, "description", project.summary.strip() or project.title, type="1")
    _participants(element, facts)
    _sub(element, "activity-status", code=ACTIVITY_STATUS[project.status])
    _dates(element, facts, as_of)
    _sub(element, "recipient-country", code=project.country, percentage="100")
    _sectors(element, facts, default_sector)
    for first, last, share in budget_periods(
        project.planned_start, project.planned_end, project.awarded_amount
    ):
        budget = _sub(element, "budget", type="1", status="2")
        _sub(budget, "period-start", iso_date=first.isoformat())
        _sub(budget, "period-end", iso_date=last.isoformat())
        _value(budget, "value", share, project.currency, first)
    _transactions(element, facts, as_of)
    _results(element, facts)
    return element


def publisher(settings: Settings, facts: list[ProjectFacts]) -> tuple[str, str, str]:
    """Return the reporting organisation's ref, type and name; raise ``Invalid`` if unset."""
    ref = settings.iati_reporting_org_ref.strip()
    managers = {f.manager.id: f.manager for f in facts}
    if not ref and len(managers) == 1:
        ref = next(iter(managers.values())).org_identifier or ""
    if not ref:
        raise Invalid(
            "GRANTS_IATI_REPORTING_ORG_REF",
            "",
            _("set the publisher's IATI organisation identifier"),
        )
    named = next((m.name for m in managers.values() if m.org_identifier == ref), ref)
    return ref, settings.iati_reporting_org_type, settings.iati_reporting_org_name or named


def iati_xml(
    session: Session,
    principal: Principal,
    settings: Settings,
    as_of: dt.date,
    generated: dt.datetime,
) -> bytes:
    """Return the principal's projects (past their draft) as an IATI 2.03 activities file."""
    facts = project_facts(session, principal, as_of)
    if not facts:
        raise Invalid("projects", 0, _("there is no project past its draft to publish"))
    who = publisher(settings, facts)
    root = etree.Element(
        "iati-activities",
        {
            "version": IATI_VERSION,
            "generated-datetime": generated.replace(microsecond=0).isoformat(),
        },
    )
    for fact in facts:
        root.append(activity(fact, who, as_of, settings.iati_default_sector))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
