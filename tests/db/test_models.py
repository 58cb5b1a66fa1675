"""The input and read models, and the column types, on both engines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, SQLModel, select

from grants import models as m
from grants.services.access import SYSTEM
from grants.services.common import writes
from tests import factories

READ_MODELS: list[tuple[type[SQLModel], type[SQLModel]]] = [
    (m.Organisation, m.OrganisationRead),
    (m.Programme, m.ProgrammeRead),
    (m.Call, m.CallRead),
    (m.Project, m.ProjectRead),
    (m.Milestone, m.MilestoneRead),
    (m.Tranche, m.TrancheRead),
    (m.BudgetLine, m.BudgetLineRead),
    (m.User, m.UserRead),
    (m.AuditEvent, m.AuditEventRead),
]


def test_every_row_reads_back_through_its_read_model(session: Session) -> None:
    factories.active_project(session)
    factories.user(session, m.Role.ADMIN)
    for table, read_model in READ_MODELS:
        rows = session.exec(select(table)).all()
        assert rows, table.__name__
        for row in rows:
            shown = read_model.model_validate(row).model_dump()
            assert shown["id"] == row.id  # type: ignore[attr-defined]


def test_read_models_never_show_secrets_or_storage_paths() -> None:
    assert "password_hash" not in m.UserRead.model_fields
    assert "stored_name" not in m.AttachmentRead.model_fields


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (m.ProjectCreate, {"currency": "EURO"}, "currency"),
        (m.ProjectCreate, {"country": "XX"}, "country"),
        (m.ProjectCreate, {"awarded_amount": Decimal("-1")}, None),
        (m.ProjectCreate, {"awarded_amount": Decimal("10.001")}, None),
        (m.ProjectCreate, {"planned_end": dt.date(2025, 1, 1)}, None),
        (m.ProjectCreate, {"reference": "has spaces"}, "reference"),
        (m.ProjectCreate, {"title": ""}, "title"),
    ],
)
def test_input_models_refuse_bad_values_naming_the_field(
    model: type[SQLModel], fields: dict[str, object], field: str | None
) -> None:
    valid = {
        "reference": "P-1",
        "call_id": 1,
        "title": "T",
        "city": "Sfax",
        "country": "tn",
        "awarded_amount": Decimal("50000"),
        "currency": "eur",
        "planned_start": dt.date(2026, 1, 1),
        "planned_end": dt.date(2026, 12, 31),
    }
    assert model.model_validate(valid)
    with pytest.raises(ValidationError) as error:
        model.model_validate({**valid, **fields})
    if field:
        assert error.value.errors()[0]["loc"][0] == field


def test_codes_are_normalised() -> None:
    data = m.OrganisationCreate(ref="X", name="X", kind=m.OrganisationKind.CSO, country="tn")
    assert data.country == "TN"


@writes
def _store(session: Session, principal: object, row: SQLModel) -> None:
    session.add(row)


def test_money_keeps_four_places_and_refuses_more(session: Session) -> None:
    project, _, _ = factories.active_project(session)
    line = m.BudgetLine(
        project_id=project.id,
        code="9",
        category=m.BudgetCategory.OTHER,
        description="Exact",
        amount=Decimal("1234567890.1234"),
        currency="EUR",
    )
    _store(session, SYSTEM, line)
    session.commit()
    session.expire_all()
    assert session.get(m.BudgetLine, line.id).amount == Decimal("1234567890.1234")  # type: ignore[union-attr]
    too_fine = m.BudgetLine(
        project_id=project.id,
        code="10",
        category=m.BudgetCategory.OTHER,
        description="Too fine",
        amount=Decimal("0.00001"),
        currency="EUR",
    )
    with pytest.raises(StatementError, match="decimal places"):
        _store(session, SYSTEM, too_fine)
    session.rollback()


def test_timestamps_are_utc_and_naive_ones_are_refused(session: Session) -> None:
    organisation = factories.organisation(session)
    session.commit()
    session.expire_all()
    stored = session.get(m.Organisation, organisation.id)
    assert stored is not None
    assert stored.created_at.tzinfo == dt.UTC
    assert abs(stored.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    stored.created_at = dt.datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(StatementError, match="timezone-aware"):
        _store(session, SYSTEM, stored)
    session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE project SET status = 'finished'",
        "UPDATE project SET planned_end = '2020-01-01'",
        "UPDATE project SET awarded_amount = -1",
        "UPDATE project SET status = 'cancelled', status_reason = NULL",
        "UPDATE project_partner SET role = 'lead'",
        "UPDATE milestone SET responsible_organisation_id = 999999",
    ],
)
def test_the_database_itself_refuses_broken_rows(session: Session, statement: str) -> None:
    project = factories.project(session)
    partner = factories.organisation(session, kind=m.OrganisationKind.CSO)
    from grants.services import projects

    projects.add_partner(session, SYSTEM, project, partner, m.PartnerRole.CO_IMPLEMENTING)
    factories.milestone(session, project)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(text(statement))
    session.rollback()
