"""Check an IATI activities file: against the XSD when given, and the rules the XSD cannot say.

The rules: the identifier starts with the reporting organisation's ref; sector percentages
add up to 100 per vocabulary; a budget period lasts at most one year and ends after it
starts; no actual date (activity or transaction) lies after the as-of date; and codes come
from the embedded IATI codelists (read from the standard's folder when given one, else the
copies below, which a test keeps equal to the published lists).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from grants.i18n import _

CODELISTS: dict[str, frozenset[str]] = {
    "ActivityStatus": frozenset({"1", "2", "3", "4", "5", "6"}),
    "ActivityDateType": frozenset({"1", "2", "3", "4"}),
    "BudgetType": frozenset({"1", "2"}),
    "OrganisationRole": frozenset({"1", "2", "3", "4"}),
    "TransactionType": frozenset({str(code) for code in range(1, 14)}),
}
CODED = (
    ("activity-status", "code", "ActivityStatus"),
    ("activity-date", "type", "ActivityDateType"),
    ("budget", "type", "BudgetType"),
    ("participating-org", "role", "OrganisationRole"),
    ("transaction/transaction-type", "code", "TransactionType"),
)
ACTUAL_DATE_TYPES = {"2", "4"}
SCHEMA_FILE = "iati-activities-schema.xsd"


def read_codelists(folder: Path) -> dict[str, frozenset[str]]:
    """Return the codes of each embedded codelist in ``folder`` (``<Name>.xml`` files)."""
    lists = {}
    for name in CODELISTS:
        tree = etree.parse(str(folder / f"{name}.xml"))
        lists[name] = frozenset(code.strip() for code in tree.xpath("//codelist-item/code/text()"))
    return lists


def schema_problems(document: etree._ElementTree, schema_dir: Path) -> list[str]:
    """Return the XSD's complaints about ``document`` (empty when it is valid)."""
    schema = etree.XMLSchema(etree.parse(str(schema_dir / SCHEMA_FILE)))
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _rules_of(
    activity: etree._Element, as_of: dt.date, codelists: dict[str, frozenset[str]]
) -> list[str]:
    problems = []
    identifier = (activity.findtext("iati-identifier") or "").strip()
    reporting = activity.find("reporting-org")
    ref = reporting.get("ref", "") if reporting is not None else ""
    if not ref or not identifier.startswith(f"{ref}-"):
        problems.append(
            _("the identifier does not start with the reporting organisation's ref {ref}").format(
                ref=ref
            )
        )
    totals: dict[str, Decimal] = {}
    for sector in activity.findall("sector"):
        try:
            share = Decimal(sector.get("percentage", "100"))
        except InvalidOperation:
            share = Decimal(0)
        vocabulary = sector.get("vocabulary", "1")
        totals[vocabulary] = totals.get(vocabulary, Decimal(0)) + share
    problems += [
        _("sector percentages of vocabulary {v} add up to {total}, not 100").format(v=v, total=t)
        for v, t in sorted(totals.items())
        if t != 100
    ]
    for budget in activity.findall("budget"):
        start = _day(budget.find("period-start").get("iso-date"))
        end = _day(budget.find("period-end").get("iso-date"))
        if start is None or end is None or end < start:
            problems.append(_("a budget period ends before it starts"))
        elif end > _one_year_after(start):
            problems.append(
                _("a budget period from {start} to {end} is longer than a year").format(
                    start=start, end=end
                )
            )
    for date in activity.findall("activity-date"):
        day = _day(date.get("iso-date"))
        if date.get("type") in ACTUAL_DATE_TYPES and day is not None and day > as_of:
            problems.append(
                _("the actual date {day} is after the as-of date {as_of}").format(
                    day=day, as_of=as_of
                )
            )
    for moment in activity.findall("transaction/transaction-date"):
        day = _day(moment.get("iso-date"))
        if day is not None and day > as_of:
            problems.append(
                _("a transaction dated {day} is after the as-of date {as_of}").format(
                    day=day, as_of=as_of
                )
            )
    for path, attribute, codelist in CODED:
        for element in activity.findall(path):
            if element.get(attribute) not in codelists[codelist]:
                problems.append(
                    _("{path}/@{attribute} {code!r} is not in the {codelist} codelist").format(
                        path=path,
                        attribute=attribute,
                        code=element.get(attribute),
                        codelist=codelist,
                    )
                )
    return [f"{identifier or '?'}: {problem}" for problem in problems]


def _one_year_after(start: dt.date) -> dt.date:
    try:
        return start.replace(year=start.year + 1) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def check(content: bytes, as_of: dt.date, schema_dir: Path | None = None) -> list[str]:
    """Return every problem of an IATI activities file (empty when it passes)."""
    try:
        document = etree.ElementTree(
            etree.fromstring(content, etree.XMLParser(resolve_entities=False))
        )
    except etree.XMLSyntaxError as error:
        return [_("not well-formed XML: {error}").format(error=error)]
    problems = schema_problems(document, schema_dir) if schema_dir is not None else []
    codelists = CODELISTS
    if schema_dir is not None and (schema_dir / "codelists").is_dir():
        codelists = read_codelists(schema_dir / "codelists")
    for activity in document.getroot().findall("iati-activity"):
        problems += _rules_of(activity, as_of, codelists)
    return problems
