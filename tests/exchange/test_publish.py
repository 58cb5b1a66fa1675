"""IATI 2.03 and 360Giving 1.4: valid against the published schemas, and the IATI rules hold."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from lxml import etree
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from grants import db
from grants.config import Settings
from grants.exchange import giving360, iati, iati_rules
from grants.services.access import SYSTEM
from grants.services.errors import Invalid
from tests.conftest import Demo
from tests.helpers import TODAY

GENERATED = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
PUBLISHER = Settings(iati_reporting_org_ref="XM-EXAMPLE-PROG", giving360_prefix="360G-example")


@pytest.fixture(scope="module")
def iati_file(demo: Demo) -> bytes:
    with db.read_session(demo.engine) as session:
        return iati.iati_xml(session, SYSTEM, PUBLISHER, TODAY, GENERATED)


def test_the_iati_file_is_valid_against_the_xsd_and_the_rules(
    iati_file: bytes, standards: Path
) -> None:
    assert iati_rules.check(iati_file, TODAY, standards / "iati-2.03") == []
    root = etree.fromstring(iati_file)
    activities = root.findall("iati-activity")
    assert len(activities) >= 13
    acmals = next(
        a for a in activities if a.findtext("iati-identifier") == "XM-EXAMPLE-PROG-ACMALS"
    )
    assert acmals.find("activity-status").get("code") == "4"  # closed
    roles = {org.get("role") for org in acmals.findall("participating-org")}
    assert roles == {"1", "2", "3", "4"}
    assert acmals.find("participating-org[@ref='XI-IATI-EC_NEAR']").get("role") == "1"
    budgets = acmals.findall("budget")
    assert sum(Decimal(b.findtext("value")) for b in budgets) == Decimal("48500.00")
    kinds = [t.find("transaction-type").get("code") for t in acmals.findall("transaction")]
    assert kinds[0] == "2"
    assert {"3", "4"} <= set(kinds)


def test_the_embedded_codelists_match_the_published_ones(standards: Path) -> None:
    assert iati_rules.read_codelists(standards / "iati-2.03" / "codelists") == iati_rules.CODELISTS


def test_the_rules_catch_what_the_xsd_cannot(iati_file: bytes) -> None:
    text = iati_file.decode()
    broken = (
        text.replace('percentage="100"/>\n    <budget', 'percentage="90"/>\n    <budget', 1)
        .replace("<iati-identifier>XM-EXAMPLE-PROG-", "<iati-identifier>OTHER-", 1)
        .replace('<activity-status code="4"/>', '<activity-status code="9"/>', 1)
    )
    problems = " | ".join(iati_rules.check(broken.encode(), TODAY))
    assert "add up to 90" in problems
    assert "does not start with the reporting organisation's ref" in problems
    assert "not in the ActivityStatus codelist" in problems
    assert "after the as-of date" in " ".join(iati_rules.check(iati_file, dt.date(2024, 1, 1)))


def test_budgets_are_split_into_periods_of_at_most_a_year() -> None:
    periods = list(iati.budget_periods(dt.date(2024, 3, 1), dt.date(2026, 8, 31), Decimal("50000")))
    assert [(a.isoformat(), b.isoformat()) for a, b, _ in periods] == [
        ("2024-03-01", "2025-02-28"),
        ("2025-03-01", "2026-02-28"),
        ("2026-03-01", "2026-08-31"),
    ]
    assert sum(share for *_, share in periods) == Decimal("50000")


def test_without_a_publisher_ref_the_export_says_what_to_set(demo: Demo) -> None:
    with (
        db.read_session(demo.engine) as session,
        pytest.raises(Invalid, match="GRANTS_IATI_REPORTING_ORG_REF"),
    ):
        iati.iati_xml(session, SYSTEM, Settings(), TODAY, GENERATED)


def test_the_360giving_package_is_valid_with_formats_checked(demo: Demo, standards: Path) -> None:
    folder = standards / "360giving"
    grant = json.loads((folder / "360-giving-schema.json").read_text())
    package = json.loads((folder / "360-giving-package-schema.json").read_text())
    resource = DRAFT202012.create_resource(grant)
    registry = Registry().with_resources(
        [(package["properties"]["grants"]["items"]["$ref"], resource), (grant["$id"], resource)]
    )
    validator = jsonschema.Draft202012Validator(
        package, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    with db.read_session(demo.engine) as session:
        document = json.loads(giving360.package_json(session, SYSTEM, PUBLISHER, TODAY))
    assert [error.message for error in validator.iter_errors(document)] == []
    acmals = next(g for g in document["grants"] if g["id"] == "360G-example-ACMALS")
    assert acmals["amountAwarded"] == 48500
    assert acmals["recipientOrganization"][0]["name"] == "Municipality of Sfax"
    document["grants"][0]["dateModified"] = "yesterday"
    assert [e.message for e in validator.iter_errors(document)] == [
        "'yesterday' is not a 'date-time'"
    ]
