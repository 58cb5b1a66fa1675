"""What partners report: expenses against budget lines, indicator values, progress updates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, func, select

from grants.models import (
    BudgetLine,
    BudgetLineCreate,
    Expense,
    ExpenseCreate,
    Indicator,
    IndicatorCreate,
    IndicatorValueCreate,
    Organisation,
    OrganisationKind,
    OverallStatus,
    PartnerRole,
    ProgressUpdate,
    ProgressUpdateCreate,
    Project,
    ProjectStatus,
    ReviewStatus,
    Role,
)
from grants.services import budgets, indicators, progress, projects
from grants.services.access import SYSTEM, Principal
from grants.services.errors import Conflict, Invalid, NotAllowed
from tests import factories as f
from tests.factories import REASON, START, TODAY


@dataclass
class Setting:
    """An active project, its lead, a co-implementing partner with an editor, a budget line."""

    project: Project
    lead: Organisation
    partner: Organisation
    editor_id: int
    editor: Principal
    line: BudgetLine


def _setting(session: Session, status: ProjectStatus = ProjectStatus.ACTIVE) -> Setting:
    project = f.project_in(session, ProjectStatus.ACTIVE)
    line = f.budget_line(session, project)
    partner = f.partner(session, project)
    user, editor = f.user(session, Role.PARTNER_EDITOR, partner)
    if status is ProjectStatus.SUSPENDED:
        projects.advance_project(session, SYSTEM, project, "suspend", today=TODAY, reason=REASON)
    return Setting(project, f.lead_of(session, project), partner, user.id, editor, line)


def _rows(session: Session, model: type[Expense | ProgressUpdate], project: Project) -> int:
    """How many ``model`` rows ``project`` has."""
    return session.exec(
        select(func.count()).select_from(model).where(model.project_id == project.id)
    ).one()


def _expense(line: BudgetLine, **overrides: Any) -> ExpenseCreate:
    fields: dict[str, Any] = {
        "budget_line_id": line.id,
        "spent_on": dt.date(2026, 5, 12),
        "amount": Decimal("1250.75"),
        "currency": "EUR",
        "description": "Venue for the second workshop",
    }
    return ExpenseCreate(**{**fields, **overrides})


# Budget lines


def test_a_budget_line_is_in_the_projects_currency(tx_session: Session) -> None:
    project = f.project(tx_session)

    with pytest.raises(Invalid) as refused:
        f.budget_line(tx_session, project, currency="TND")

    assert refused.value.field == "currency"
    assert budgets.budget_lines_of(tx_session, project) == []


def test_partners_do_not_plan_the_budget(tx_session: Session) -> None:
    s = _setting(tx_session)
    data = BudgetLineCreate(
        code="9.9", category="travel", description="Trips", amount=Decimal(1), currency="EUR"
    )

    with pytest.raises(NotAllowed):
        budgets.add_budget_line(tx_session, s.editor, s.project, data)


# Expenses


def test_a_partner_records_an_expense_for_its_own_organisation(tx_session: Session) -> None:
    s = _setting(tx_session)

    expense = budgets.record_expense(tx_session, s.editor, s.project, _expense(s.line), today=TODAY)

    tx_session.refresh(expense)
    assert expense.organisation_id == s.partner.id
    assert expense.recorded_by_id == s.editor_id
    assert expense.amount == Decimal("1250.75")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"spent_on": TODAY + dt.timedelta(days=1)}, "spent_on"),
        ({"spent_on": START - dt.timedelta(days=1)}, "spent_on"),
        ({"amount": Decimal("10.001")}, "amount"),
        ({"amount": Decimal("-10")}, "amount"),
    ],
    ids=["other currency", "tomorrow", "before the start", "fraction of a cent", "negative"],
)
def test_an_expense_is_refused(tx_session: Session, overrides: dict[str, Any], field: str) -> None:
    s = _setting(tx_session)

    with pytest.raises(Invalid) as refused:
        budgets.record_expense(
            tx_session, s.editor, s.project, _expense(s.line, **overrides), today=TODAY
        )

    assert refused.value.field == field


@pytest.mark.parametrize("spent_on", [START, TODAY], ids=["on the first day", "today"])
def test_an_expense_on_the_edges_of_the_allowed_dates(
    tx_session: Session, spent_on: dt.date
) -> None:
    s = _setting(tx_session)

    expense = budgets.record_expense(
        tx_session, s.editor, s.project, _expense(s.line, spent_on=spent_on), today=TODAY
    )

    assert expense.spent_on == spent_on


def test_an_expense_goes_on_a_budget_line_of_the_same_project(tx_session: Session) -> None:
    s = _setting(tx_session)
    foreign = f.budget_line(tx_session, f.project(tx_session))

    with pytest.raises(Invalid) as refused:
        budgets.record_expense(tx_session, s.editor, s.project, _expense(foreign), today=TODAY)

    assert refused.value.field == "budget_line_id"


@pytest.mark.parametrize(
    "who",
    [
        "programme's grant manager",
        "viewer of the partner",
        "donor",
        "editor of an unrelated organisation",
        "editor of a funder partner",
    ],
)
def test_only_partner_editors_record_expenses(tx_session: Session, who: str) -> None:
    s = _setting(tx_session)
    programme = f.programme_of(tx_session, s.project)
    managing = tx_session.get(Organisation, programme.managing_organisation_id)
    principal = {
        "programme's grant manager": lambda: f.user(tx_session, Role.GRANT_MANAGER, managing),
        "viewer of the partner": lambda: f.user(tx_session, Role.PARTNER_VIEWER, s.partner),
        "donor": lambda: f.user(
            tx_session, Role.DONOR, f.organisation(tx_session, kind=OrganisationKind.DONOR)
        ),
        "editor of an unrelated organisation": lambda: f.user(
            tx_session, Role.PARTNER_EDITOR, f.organisation(tx_session)
        ),
        "editor of a funder partner": lambda: f.user(
            tx_session,
            Role.PARTNER_EDITOR,
            f.partner(tx_session, s.project, PartnerRole.FUNDER, kind=OrganisationKind.DONOR),
        ),
    }[who]()[1]

    with pytest.raises(NotAllowed):
        budgets.record_expense(tx_session, principal, s.project, _expense(s.line), today=TODAY)


def test_a_partner_cannot_record_for_another_partner(tx_session: Session) -> None:
    s = _setting(tx_session)

    with pytest.raises(NotAllowed):
        budgets.record_expense(
            tx_session,
            s.editor,
            s.project,
            _expense(s.line),
            today=TODAY,
            organisation_id=s.lead.id,
        )


def test_the_lead_grantee_records_for_its_partners(tx_session: Session) -> None:
    s = _setting(tx_session)
    _, lead_editor = f.user(tx_session, Role.PARTNER_EDITOR, s.lead)

    expense = budgets.record_expense(
        tx_session,
        lead_editor,
        s.project,
        _expense(s.line),
        today=TODAY,
        organisation_id=s.partner.id,
    )

    assert expense.organisation_id == s.partner.id


def test_the_lead_grantee_cannot_record_for_an_outsider(tx_session: Session) -> None:
    s = _setting(tx_session)
    _, lead_editor = f.user(tx_session, Role.PARTNER_EDITOR, s.lead)
    outsider = f.organisation(tx_session)

    with pytest.raises(NotAllowed):
        budgets.record_expense(
            tx_session,
            lead_editor,
            s.project,
            _expense(s.line),
            today=TODAY,
            organisation_id=outsider.id,
        )


def test_an_administrator_says_which_organisation_spent(tx_session: Session) -> None:
    s = _setting(tx_session)

    with pytest.raises(Invalid) as refused:
        budgets.record_expense(tx_session, SYSTEM, s.project, _expense(s.line), today=TODAY)

    assert refused.value.field == "organisation_id"


def test_expenses_are_recorded_only_while_the_project_runs(tx_session: Session) -> None:
    s = _setting(tx_session, ProjectStatus.SUSPENDED)

    with pytest.raises(Conflict, match="suspended"):
        budgets.record_expense(tx_session, s.editor, s.project, _expense(s.line), today=TODAY)


# Indicators


def _indicator(session: Session, project: Project) -> Indicator:
    return indicators.add_indicator(
        session,
        SYSTEM,
        project,
        IndicatorCreate(
            code="OC1.1",
            title="Migrants served by the one-stop desk",
            unit="people",
            baseline=Decimal(0),
            target=Decimal(400),
        ),
    )


def _value(indicator: Indicator, **overrides: Any) -> IndicatorValueCreate:
    fields: dict[str, Any] = {
        "indicator_id": indicator.id,
        "period_start": dt.date(2026, 1, 1),
        "period_end": dt.date(2026, 3, 31),
        "value": Decimal(120),
    }
    return IndicatorValueCreate(**{**fields, **overrides})


def test_a_partner_reports_an_indicator_value(tx_session: Session) -> None:
    s = _setting(tx_session)
    indicator = _indicator(tx_session, s.project)

    value = indicators.report_value(tx_session, s.editor, s.project, _value(indicator))

    assert value.organisation_id == s.partner.id
    assert value.reported_by_id == s.editor_id
    assert value.value == Decimal(120)


def test_one_value_per_indicator_and_period(tx_session: Session) -> None:
    s = _setting(tx_session)
    indicator = _indicator(tx_session, s.project)
    indicators.report_value(tx_session, s.editor, s.project, _value(indicator))

    with pytest.raises(Invalid) as refused:
        indicators.report_value(
            tx_session, s.editor, s.project, _value(indicator, value=Decimal(150))
        )

    assert refused.value.field == "period_end"
    nxt = indicators.report_value(
        tx_session,
        s.editor,
        s.project,
        _value(indicator, period_start=dt.date(2026, 4, 1), period_end=dt.date(2026, 6, 30)),
    )
    assert nxt.value == Decimal(120)


@pytest.mark.parametrize(
    ("case", "field"),
    [("indicator of another project", "indicator_id"), ("before the start", "period_start")],
)
def test_an_indicator_value_is_refused(tx_session: Session, case: str, field: str) -> None:
    s = _setting(tx_session)
    if case == "indicator of another project":
        data = _value(_indicator(tx_session, f.project(tx_session)))
    else:
        data = _value(_indicator(tx_session, s.project), period_start=dt.date(2025, 12, 1))

    with pytest.raises(Invalid) as refused:
        indicators.report_value(tx_session, s.editor, s.project, data)

    assert refused.value.field == field


def test_viewers_and_managers_do_not_report_values(tx_session: Session) -> None:
    s = _setting(tx_session)
    indicator = _indicator(tx_session, s.project)
    _, viewer = f.user(tx_session, Role.PARTNER_VIEWER, s.partner)

    with pytest.raises(NotAllowed):
        indicators.report_value(tx_session, viewer, s.project, _value(indicator))
    with pytest.raises(NotAllowed):
        indicators.add_indicator(
            tx_session,
            s.editor,
            s.project,
            IndicatorCreate(code="X", title="X", unit="x", baseline=0, target=1),
        )


def test_values_are_reported_only_while_the_project_runs(tx_session: Session) -> None:
    s = _setting(tx_session)
    indicator = _indicator(tx_session, s.project)
    projects.advance_project(tx_session, SYSTEM, s.project, "suspend", today=TODAY, reason=REASON)

    with pytest.raises(Conflict):
        indicators.report_value(tx_session, s.editor, s.project, _value(indicator))


# Progress updates


def _report(**overrides: Any) -> ProgressUpdateCreate:
    fields: dict[str, Any] = {
        "period_start": dt.date(2026, 1, 1),
        "period_end": dt.date(2026, 5, 31),
        "overall_status": OverallStatus.ON_TRACK,
        "percent_complete": 40,
        "achievements": "The desk opened in March.",
    }
    return ProgressUpdateCreate(**{**fields, **overrides})


def test_a_partner_starts_a_draft_update(tx_session: Session) -> None:
    s = _setting(tx_session)

    update = progress.start_update(tx_session, s.editor, s.project, _report(), today=TODAY)

    assert update.status == ReviewStatus.DRAFT
    assert update.organisation_id == s.partner.id
    assert update.author_id == s.editor_id
    assert update.submitted_on is None


@pytest.mark.parametrize(
    "period_start", [dt.date(2025, 12, 31), TODAY + dt.timedelta(days=1)], ids=["early", "future"]
)
def test_an_update_covers_a_period_since_the_start_and_not_in_the_future(
    tx_session: Session, period_start: dt.date
) -> None:
    s = _setting(tx_session)
    data = _report(period_start=period_start, period_end=dt.date(2026, 12, 31))

    with pytest.raises(Invalid) as refused:
        progress.start_update(tx_session, s.editor, s.project, data, today=TODAY)

    assert refused.value.field == "period_start"


@pytest.mark.parametrize(
    ("status", "editable"),
    [
        (ReviewStatus.DRAFT, True),
        (ReviewStatus.SUBMITTED, False),
        (ReviewStatus.APPROVED, False),
        (ReviewStatus.RETURNED, True),
    ],
)
def test_an_update_is_edited_only_as_a_draft_or_once_returned(
    tx_session: Session, status: ReviewStatus, editable: bool
) -> None:
    s = _setting(tx_session)
    update = f.update_in(tx_session, status, f.progress_update(tx_session, s.project, s.partner))
    edited = _report(challenges="The municipal elections slowed the work.", percent_complete=55)

    if editable:
        progress.edit_update(tx_session, s.editor, update, edited, today=TODAY)
        tx_session.refresh(update)
        assert update.percent_complete == 55
        assert update.challenges == "The municipal elections slowed the work."
        assert update.status == status
    else:
        with pytest.raises(Conflict, match=status.value):
            progress.edit_update(tx_session, s.editor, update, edited, today=TODAY)
        tx_session.refresh(update)
        assert update.percent_complete == 40


def test_another_partner_cannot_edit_the_update(tx_session: Session) -> None:
    s = _setting(tx_session)
    update = f.progress_update(tx_session, s.project, s.lead)

    with pytest.raises(NotAllowed):
        progress.edit_update(tx_session, s.editor, update, _report(), today=TODAY)


def test_editing_a_stale_update_is_a_conflict(tx_session: Session) -> None:
    s = _setting(tx_session)
    update = f.progress_update(tx_session, s.project, s.partner)
    seen = update.version
    progress.edit_update(tx_session, s.editor, update, _report(percent_complete=45), today=TODAY)

    with pytest.raises(Conflict):
        progress.edit_update(
            tx_session,
            s.editor,
            update,
            _report(percent_complete=50),
            today=TODAY,
            expected_version=seen,
        )

    assert update.percent_complete == 45


def test_the_update_review_cycle(tx_session: Session) -> None:
    s = _setting(tx_session)
    manager_org = tx_session.get(
        Organisation, f.programme_of(tx_session, s.project).managing_organisation_id
    )
    reviewer, manager = f.user(tx_session, Role.GRANT_MANAGER, manager_org)
    update = progress.start_update(tx_session, s.editor, s.project, _report(), today=TODAY)

    progress.advance_update(tx_session, s.editor, update, "submit", today=dt.date(2026, 6, 16))
    assert update.submitted_on == dt.date(2026, 6, 16)

    progress.advance_update(
        tx_session, manager, update, "return", today=dt.date(2026, 6, 18), reason="Add figures"
    )
    assert (update.status, update.review_note) == (ReviewStatus.RETURNED, "Add figures")
    assert (update.reviewed_on, update.reviewer_id) == (dt.date(2026, 6, 18), reviewer.id)

    progress.edit_update(tx_session, s.editor, update, _report(percent_complete=42), today=TODAY)
    progress.advance_update(tx_session, s.editor, update, "submit", today=dt.date(2026, 6, 20))
    progress.advance_update(tx_session, manager, update, "approve", today=dt.date(2026, 6, 22))

    tx_session.refresh(update)
    assert update.status == ReviewStatus.APPROVED
    assert update.submitted_on == dt.date(2026, 6, 20)
    assert update.reviewed_on == dt.date(2026, 6, 22)
    assert update.percent_complete == 42


def test_updates_start_only_while_the_project_runs(tx_session: Session) -> None:
    s = _setting(tx_session, ProjectStatus.SUSPENDED)

    with pytest.raises(Conflict):
        progress.start_update(tx_session, s.editor, s.project, _report(), today=TODAY)


@pytest.mark.parametrize(
    "status",
    [
        ProjectStatus.DRAFT,
        ProjectStatus.CONTRACTING,
        ProjectStatus.SUSPENDED,
        ProjectStatus.CLOSED,
        ProjectStatus.CANCELLED,
    ],
)
def test_the_lead_starts_an_update_only_while_the_project_runs(
    tx_session: Session, status: ProjectStatus
) -> None:
    project = f.project_in(tx_session, status)
    _, lead_editor = f.user(tx_session, Role.PARTNER_EDITOR, f.lead_of(tx_session, project))

    with pytest.raises(Conflict, match=f"is {status.value}: partners report only while"):
        progress.start_update(tx_session, lead_editor, project, _report(), today=TODAY)

    assert _rows(tx_session, ProgressUpdate, project) == 0


# An update written while the project ran, then the project stopped: action, the update's
# state, the project's new state. Partners act as the lead's editor, managers as admin.
STOPPED = [
    ("edit", ReviewStatus.DRAFT, ProjectStatus.SUSPENDED),
    ("edit", ReviewStatus.RETURNED, ProjectStatus.SUSPENDED),
    ("submit", ReviewStatus.DRAFT, ProjectStatus.SUSPENDED),
    ("submit", ReviewStatus.RETURNED, ProjectStatus.SUSPENDED),
    ("approve", ReviewStatus.SUBMITTED, ProjectStatus.SUSPENDED),
    ("return", ReviewStatus.SUBMITTED, ProjectStatus.SUSPENDED),
    ("edit", ReviewStatus.DRAFT, ProjectStatus.CANCELLED),
    ("submit", ReviewStatus.DRAFT, ProjectStatus.CLOSED),
    ("approve", ReviewStatus.SUBMITTED, ProjectStatus.CLOSED),
]


def _stop(session: Session, project: Project, status: ProjectStatus) -> None:
    step = {
        ProjectStatus.SUSPENDED: "suspend",
        ProjectStatus.CANCELLED: "cancel",
        ProjectStatus.CLOSED: "close",
    }[status]
    projects.advance_project(session, SYSTEM, project, step, today=TODAY, reason=REASON)


@pytest.mark.parametrize(
    ("action", "review", "status"),
    [pytest.param(*case, id=f"{case[0]}-{case[1].value}-when-{case[2].value}") for case in STOPPED],
)
def test_updates_move_only_while_the_project_runs(
    tx_session: Session, action: str, review: ReviewStatus, status: ProjectStatus
) -> None:
    running = ProjectStatus.FINALISING if status is ProjectStatus.CLOSED else ProjectStatus.ACTIVE
    project = f.project_in(tx_session, running)
    update = f.update_in(tx_session, review, f.progress_update(tx_session, project))
    _, lead_editor = f.user(tx_session, Role.PARTNER_EDITOR, f.lead_of(tx_session, project))
    _stop(tx_session, project, status)

    def attempt() -> Any:
        if action == "edit":
            edited = _report(percent_complete=90)
            return progress.edit_update(tx_session, lead_editor, update, edited, today=TODAY)
        principal = lead_editor if action == "submit" else SYSTEM
        return progress.advance_update(
            tx_session, principal, update, action, today=TODAY, reason=REASON
        )

    with pytest.raises(Conflict, match=f"is {status.value}: partners report only while"):
        attempt()

    tx_session.refresh(update)
    assert (update.status, update.percent_complete) == (review, 40)


def test_a_finalising_project_still_takes_progress_updates(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.FINALISING)
    _, lead_editor = f.user(tx_session, Role.PARTNER_EDITOR, f.lead_of(tx_session, project))

    update = progress.start_update(tx_session, lead_editor, project, _report(), today=TODAY)
    progress.edit_update(tx_session, lead_editor, update, _report(percent_complete=95), today=TODAY)
    progress.advance_update(tx_session, lead_editor, update, "submit", today=TODAY)
    progress.advance_update(tx_session, SYSTEM, update, "approve", today=TODAY)

    tx_session.refresh(update)
    assert (update.status, update.percent_complete) == (ReviewStatus.APPROVED, 95)


# An administrator records for any implementing partner of the project, and for no one else.


def _organisation_for(session: Session, s: Setting, who: str) -> Organisation:
    programme = f.programme_of(session, s.project)
    organisation = {
        "the lead grantee": lambda: s.lead,
        "a co-implementing partner": lambda: s.partner,
        "an associated partner": lambda: f.partner(session, s.project, PartnerRole.ASSOCIATED),
        "a funder partner": lambda: f.partner(
            session, s.project, PartnerRole.FUNDER, kind=OrganisationKind.DONOR
        ),
        "an unrelated organisation": lambda: f.organisation(session),
        "the programme's managing organisation": lambda: session.get(
            Organisation, programme.managing_organisation_id
        ),
    }[who]()
    assert organisation is not None
    return organisation


ACTING_FOR = [
    ("the lead grantee", True),
    ("a co-implementing partner", True),
    ("an associated partner", True),
    ("a funder partner", False),
    ("an unrelated organisation", False),
    ("the programme's managing organisation", False),
]


@pytest.mark.parametrize(("who", "allowed"), ACTING_FOR)
def test_an_administrator_records_expenses_only_for_implementing_partners(
    tx_session: Session, who: str, allowed: bool
) -> None:
    s = _setting(tx_session)
    organisation = _organisation_for(tx_session, s, who)
    _, admin = f.user(tx_session, Role.ADMIN)

    def record() -> Any:
        return budgets.record_expense(
            tx_session,
            admin,
            s.project,
            _expense(s.line),
            today=TODAY,
            organisation_id=organisation.id,
        )

    if allowed:
        assert record().organisation_id == organisation.id
    else:
        with pytest.raises(NotAllowed, match="not an implementing partner of the project"):
            record()
        assert _rows(tx_session, Expense, s.project) == 0


@pytest.mark.parametrize(("who", "allowed"), ACTING_FOR)
def test_an_administrator_reports_progress_only_for_implementing_partners(
    tx_session: Session, who: str, allowed: bool
) -> None:
    s = _setting(tx_session)
    organisation = _organisation_for(tx_session, s, who)

    def start() -> Any:
        return progress.start_update(
            tx_session, SYSTEM, s.project, _report(), today=TODAY, organisation_id=organisation.id
        )

    if allowed:
        assert start().organisation_id == organisation.id
    else:
        with pytest.raises(NotAllowed, match="not an implementing partner of the project"):
            start()
        assert _rows(tx_session, ProgressUpdate, s.project) == 0
