"""The audit trail: who changed what (before -> after), when and why, for every write."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pkgutil
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, select

import grants.services
from grants.audit import MissingActor
from grants.models import (
    AuditEvent,
    BudgetLineCreate,
    BudgetLineUpdate,
    CallCreate,
    CallUpdate,
    Expense,
    ExpenseCreate,
    ExpenseUpdate,
    IndicatorCreate,
    IndicatorUpdate,
    IndicatorValueCreate,
    Milestone,
    MilestoneCreate,
    MilestoneStatus,
    MilestoneUpdate,
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    OrganisationUpdate,
    PartnerRole,
    ProgrammeCreate,
    ProgrammeUpdate,
    ProgressUpdateCreate,
    Project,
    ProjectCreate,
    ProjectStatus,
    ProjectUpdate,
    ReviewStatus,
    Role,
    TrancheCreate,
    TrancheStatus,
    TrancheUpdate,
    UserCreate,
    UserUpdate,
)
from grants.services import (
    attachments,
    budgets,
    indicators,
    milestones,
    programmes,
    progress,
    projects,
    sessions,
    tokens,
    tranches,
    users,
)
from grants.services.access import SYSTEM, Principal
from grants.services.common import WRITERS
from tests import factories as f
from tests.factories import START, TODAY

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)

PDF = b"%PDF-1.4\n%%EOF\n"


def _events(session: Session, **where: Any) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)  # type: ignore[arg-type]
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return list(session.exec(query).all())


def _manager(session: Session, project: Project) -> tuple[Any, Principal]:
    programme = f.programme_of(session, project)
    managing = session.get(Organisation, programme.managing_organisation_id)
    return f.user(session, Role.GRANT_MANAGER, managing, email="nadia.manager@example.org")


def test_a_payment_shows_who_changed_what_before_and_after(tx_session: Session) -> None:
    tranche = f.tranche_in(tx_session, TrancheStatus.APPROVED)
    project = tx_session.get(Project, tranche.project_id)
    assert project is not None
    user, manager = _manager(tx_session, project)

    tranches.advance_tranche(tx_session, manager, tranche, "pay", today=TODAY, reference="SWIFT-42")

    [event] = _events(tx_session, actor_label="nadia.manager@example.org")
    assert (event.actor_id, event.entity, event.entity_id, event.action) == (
        user.id,
        "tranche",
        str(tranche.id),
        "update",
    )
    assert event.project_id == project.id
    assert event.changes["status"] == {"before": "approved", "after": "paid"}
    assert event.changes["paid_on"] == {"before": None, "after": "2026-06-15"}
    assert event.changes["payment_reference"] == {"before": None, "after": "SWIFT-42"}
    assert event.changes["paid_amount"]["before"] is None
    assert Decimal(event.changes["paid_amount"]["after"]) == Decimal("50000")
    assert not {"version", "updated_at"} & set(event.changes)
    assert event.at.tzinfo is not None


def test_a_creation_lists_the_values_set(tx_session: Session) -> None:
    project = f.project(tx_session, title="TangerAccueil", awarded_amount=Decimal("45000.50"))

    [event] = _events(tx_session, entity="project", entity_id=str(project.id))
    assert (event.action, event.actor_label, event.actor_id) == ("create", "system", None)
    assert event.changes["title"] == "TangerAccueil"
    assert event.changes["status"] == "draft"
    assert event.changes["planned_start"] == "2026-01-01"
    assert Decimal(event.changes["awarded_amount"]) == Decimal("45000.50")
    lead = f.lead_of(tx_session, project)
    [partner] = _events(tx_session, entity="project_partner", project_id=project.id)
    assert partner.changes["organisation_id"] == lead.id
    assert partner.changes["role"] == "lead"


def test_an_edit_that_changes_nothing_leaves_no_event(tx_session: Session) -> None:
    project = f.project(tx_session, title="Same title")
    before = len(_events(tx_session))

    projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(title="Same title"))

    assert len(_events(tx_session)) == before


def _return_milestone(session: Session, reason: str) -> tuple[str, int]:
    milestone = f.milestone_in(session, MilestoneStatus.SUBMITTED)
    milestones.advance_milestone(session, SYSTEM, milestone, "return", today=TODAY, reason=reason)
    return "milestone", milestone.id


def _cancel_milestone(session: Session, reason: str) -> tuple[str, int]:
    milestone = f.milestone_in(session, MilestoneStatus.IN_PROGRESS)
    milestones.advance_milestone(session, SYSTEM, milestone, "cancel", today=TODAY, reason=reason)
    return "milestone", milestone.id


def _cancel_tranche(session: Session, reason: str) -> tuple[str, int]:
    tranche = f.tranche_in(session, TrancheStatus.SCHEDULED)
    tranches.advance_tranche(session, SYSTEM, tranche, "cancel", today=TODAY, reason=reason)
    return "tranche", tranche.id


def _suspend_project(session: Session, reason: str) -> tuple[str, int]:
    project = f.project_in(session, ProjectStatus.ACTIVE)
    projects.advance_project(session, SYSTEM, project, "suspend", today=TODAY, reason=reason)
    return "project", project.id


def _return_update(session: Session, reason: str) -> tuple[str, int]:
    update = f.update_in(session, ReviewStatus.SUBMITTED)
    progress.advance_update(session, SYSTEM, update, "return", today=TODAY, reason=reason)
    return "progress_update", update.id


def _replan_milestone(session: Session, reason: str) -> tuple[str, int]:
    milestone = f.milestone_in(session, MilestoneStatus.PLANNED)
    milestones.replan_milestone(session, SYSTEM, milestone, dt.date(2026, 5, 31), reason)
    return "milestone", milestone.id


@pytest.mark.parametrize(
    "change",
    [
        _return_milestone,
        _cancel_milestone,
        _cancel_tranche,
        _suspend_project,
        _return_update,
        _replan_milestone,
    ],
    ids=lambda fn: fn.__name__.strip("_").replace("_", " "),
)
def test_the_reason_is_kept_with_the_change(
    tx_session: Session, change: Callable[[Session, str], tuple[str, int]]
) -> None:
    entity, ident = change(tx_session, "Evidence not signed by the mayor")

    last = _events(tx_session, entity=entity, entity_id=str(ident))[-1]
    assert last.action == "update"
    assert last.reason == "Evidence not signed by the mayor"


def test_a_reason_does_not_stick_to_later_changes(tx_session: Session) -> None:
    _, ident = _return_milestone(tx_session, "Missing photos")
    milestone = tx_session.get(Milestone, ident)
    assert milestone is not None

    milestones.update_milestone(tx_session, SYSTEM, milestone, MilestoneUpdate(title="Renamed"))

    last = _events(tx_session, entity="milestone", entity_id=str(ident))[-1]
    assert last.changes["title"]["after"] == "Renamed"
    assert last.reason is None


def test_password_hashes_never_reach_the_audit_trail(tx_session: Session) -> None:
    user, _ = f.user(tx_session, Role.ADMIN, email="root@example.org")

    [event] = _events(tx_session, entity="user_account", entity_id=str(user.id))
    assert event.changes["password_hash"] == "<redacted>"
    assert event.changes["email"] == "root@example.org"
    everything = json.dumps([e.changes for e in _events(tx_session)])
    assert user.password_hash not in everything
    assert f.PASSWORD not in everything
    assert "$argon2" not in everything


def test_where_a_file_is_stored_never_reaches_the_audit_trail(tx_session: Session) -> None:
    milestone = f.milestone_in(tx_session, MilestoneStatus.PLANNED)
    attachment = attachments.attach(tx_session, SYSTEM, milestone, "proof.pdf", PDF)

    [event] = _events(tx_session, entity="attachment")
    assert event.changes["stored_name"] == "<redacted>"
    assert event.changes["filename"] == "proof.pdf"
    assert attachment.stored_name not in json.dumps(event.changes)


def test_writing_a_row_outside_the_services_is_refused(tx_session: Session) -> None:
    tx_session.add(Organisation(ref="ROGUE", name="Rogue", kind=OrganisationKind.CSO, country="TN"))

    with pytest.raises(MissingActor):
        tx_session.flush()


def test_changing_a_row_outside_the_services_is_refused(tx_session: Session) -> None:
    project = f.project(tx_session)
    project.awarded_amount = Decimal("1")

    with pytest.raises(MissingActor):
        tx_session.flush()


# Every writer leaves an audit trail. Each scenario prepares as "system", then lets ``actor``
# (an administrator) call the writer once, and returns the table it must have written to.

Scenario = Callable[[Session, Principal], str]


def _active(session: Session) -> Project:
    return f.project_in(session, ProjectStatus.ACTIVE)


def _attach(s: Session, actor: Principal) -> str:
    attachments.attach(s, actor, f.milestone_in(s, MilestoneStatus.PLANNED), "proof.pdf", PDF)
    return "attachment"


def _create_project(s: Session, actor: Principal) -> str:
    call = f.call(s)
    data = ProjectCreate(
        reference="I-MIGR",
        call_id=call.id,
        title="I-MIGR",
        city="La Marsa",
        country="TN",
        awarded_amount=Decimal("40000"),
        currency="EUR",
        planned_start=START,
        planned_end=dt.date(2026, 12, 31),
        objective_codes=["A"],
    )
    projects.create_project(s, actor, data, f.organisation(s))
    return "project"


def _add_partner(s: Session, actor: Principal) -> str:
    projects.add_partner(s, actor, f.project(s), f.organisation(s), PartnerRole.ASSOCIATED)
    return "project_partner"


def _set_sectors(s: Session, actor: Principal) -> str:
    projects.set_sectors(s, actor, f.project(s), {"15190": Decimal(100)})
    return "project_sector"


def _add_co_financing(s: Session, actor: Principal) -> str:
    project = f.project(s)
    projects.add_co_financing(s, actor, project, f.lead_of(s, project), Decimal("5000"), "EUR")
    return "co_financing"


def _update_project(s: Session, actor: Principal) -> str:
    projects.update_project(s, actor, f.project(s), ProjectUpdate(title="Renamed"))
    return "project"


def _advance_project(s: Session, actor: Principal) -> str:
    projects.advance_project(s, actor, f.project(s), "start_contracting", today=TODAY)
    return "project"


def _add_budget_line(s: Session, actor: Principal) -> str:
    data = BudgetLineCreate(
        code="2.1", category="travel", description="Trips", amount=Decimal(900), currency="EUR"
    )
    budgets.add_budget_line(s, actor, f.project(s), data)
    return "budget_line"


def _record_expense(s: Session, actor: Principal) -> str:
    project = _active(s)
    line = f.budget_line(s, project)
    data = ExpenseCreate(
        budget_line_id=line.id,
        spent_on=dt.date(2026, 3, 3),
        amount=Decimal("99.90"),
        currency="EUR",
        description="Printing",
    )
    lead = f.lead_of(s, project)
    budgets.record_expense(s, actor, project, data, today=TODAY, organisation_id=lead.id)
    return "expense"


def _indicator(s: Session, actor: Principal, project: Project) -> Any:
    data = IndicatorCreate(code="I1", title="People", unit="people", baseline=0, target=100)
    return indicators.add_indicator(s, actor, project, data)


def _add_indicator(s: Session, actor: Principal) -> str:
    _indicator(s, actor, f.project(s))
    return "indicator"


def _report_value(s: Session, actor: Principal) -> str:
    project = _active(s)
    indicator = _indicator(s, SYSTEM, project)
    data = IndicatorValueCreate(
        indicator_id=indicator.id,
        period_start=START,
        period_end=dt.date(2026, 3, 31),
        value=Decimal(12),
    )
    indicators.report_value(s, actor, project, data)
    return "indicator_value"


def _add_milestone(s: Session, actor: Principal) -> str:
    data = MilestoneCreate(title="Closing event", due_date=dt.date(2026, 11, 30))
    milestones.add_milestone(s, actor, f.project(s), data)
    return "milestone"


def _add_milestones(s: Session, actor: Principal) -> str:
    data = MilestoneCreate(title="Closing event", due_date=dt.date(2026, 11, 30))
    milestones.add_milestones(s, actor, [(f.project(s), data)])
    return "milestone"


def _update_milestone(s: Session, actor: Principal) -> str:
    milestone = f.milestone_in(s, MilestoneStatus.PLANNED)
    milestones.update_milestone(s, actor, milestone, MilestoneUpdate(description="More detail"))
    return "milestone"


def _update_milestones(s: Session, actor: Principal) -> str:
    milestone = f.milestone_in(s, MilestoneStatus.PLANNED)
    data = MilestoneUpdate(description="More detail")
    milestones.update_milestones(s, actor, [(milestone, data)])
    return "milestone"


def _replan_milestone_by(s: Session, actor: Principal) -> str:
    milestone = f.milestone_in(s, MilestoneStatus.PLANNED)
    milestones.replan_milestone(s, actor, milestone, dt.date(2026, 4, 30), "Ramadan")
    return "milestone"


def _advance_milestone(s: Session, actor: Principal) -> str:
    milestone = f.milestone_in(s, MilestoneStatus.PLANNED)
    milestones.advance_milestone(s, actor, milestone, "start", today=TODAY)
    return "milestone"


def _create_organisation(s: Session, actor: Principal) -> str:
    data = OrganisationCreate(ref="MEDCITIES", name="MedCities", kind=OrganisationKind.OTHER)
    programmes.create_organisation(s, actor, data)
    return "organisation"


def _create_programme(s: Session, actor: Principal) -> str:
    data = ProgrammeCreate(
        code="MC2CM-II",
        title="Mediterranean City-to-City Migration",
        currency="EUR",
        budget=Decimal("5550000"),
        start_date=dt.date(2018, 7, 1),
        end_date=dt.date(2021, 3, 31),
        managing_organisation_id=f.organisation(s).id,
    )
    programmes.create_programme(s, actor, data)
    return "programme"


def _add_funder(s: Session, actor: Principal) -> str:
    donor = f.organisation(s, kind=OrganisationKind.DONOR)
    programmes.add_funder(s, actor, f.programme(s), donor, Decimal("5550000"), "EUR")
    return "programme_funder"


def _create_call(s: Session, actor: Principal) -> str:
    programme = f.programme(s)
    data = CallCreate(
        programme_id=programme.id,
        code="TCA-1",
        title="Targeted City Actions",
        opens_on=dt.date(2025, 2, 1),
        closes_on=dt.date(2025, 4, 30),
        max_amount=Decimal("50000"),
        currency="EUR",
    )
    programmes.create_call(s, actor, data, {"A": "Cooperation"})
    return "call"


def _report(**overrides: Any) -> ProgressUpdateCreate:
    fields: dict[str, Any] = {
        "period_start": START,
        "period_end": dt.date(2026, 3, 31),
        "overall_status": "on_track",
        "percent_complete": 20,
    }
    return ProgressUpdateCreate(**{**fields, **overrides})


def _start_update(s: Session, actor: Principal) -> str:
    project = _active(s)
    lead = f.lead_of(s, project)
    progress.start_update(s, actor, project, _report(), today=TODAY, organisation_id=lead.id)
    return "progress_update"


def _edit_update(s: Session, actor: Principal) -> str:
    update = f.update_in(s, ReviewStatus.DRAFT)
    progress.edit_update(s, actor, update, _report(percent_complete=30), today=TODAY)
    return "progress_update"


def _advance_update(s: Session, actor: Principal) -> str:
    update = f.update_in(s, ReviewStatus.DRAFT)
    progress.advance_update(s, actor, update, "submit", today=TODAY)
    return "progress_update"


def _add_tranche(s: Session, actor: Principal) -> str:
    data = TrancheCreate(amount=Decimal(1000), currency="EUR", planned_date=dt.date(2026, 3, 1))
    tranches.add_tranche(s, actor, f.project(s), data)
    return "tranche"


def _advance_tranche(s: Session, actor: Principal) -> str:
    tranche = f.tranche_in(s, TrancheStatus.SCHEDULED)
    tranches.advance_tranche(s, actor, tranche, "approve", today=TODAY)
    return "tranche"


def _create_user(s: Session, actor: Principal) -> str:
    data = UserCreate(email="karim@example.org", full_name="Karim", password=f.PASSWORD)
    users.create_user(s, actor, data, Role.PARTNER_VIEWER, f.organisation(s))
    return "user_account"


def _create_token(s: Session, actor: Principal) -> str:
    user, _ = f.user(s, Role.PARTNER_VIEWER, f.organisation(s))
    tokens.create_token(s, actor, user, "script", NOW)
    return "api_token"


def _revoke_token(s: Session, actor: Principal) -> str:
    user, _ = f.user(s, Role.PARTNER_VIEWER, f.organisation(s))
    _, token = tokens.create_token(s, SYSTEM, user, "script", NOW)
    tokens.revoke_token(s, actor, token.id, NOW)
    return "api_token"


def _change_password(s: Session, actor: Principal) -> str:
    sessions.change_password(s, actor, f.PASSWORD, "another long passphrase here", NOW)
    return "user_account"


def _deactivate_user(s: Session, actor: Principal) -> str:
    user, _ = f.user(s, Role.PARTNER_VIEWER, f.organisation(s))
    sessions.deactivate_user(s, actor, user, NOW)
    return "user_account"


def _store_password_hash(s: Session, actor: Principal) -> str:
    user, _ = f.user(s, Role.PARTNER_VIEWER, f.organisation(s))
    users.store_password_hash(s, actor, user, users.hash_password(f.PASSWORD))
    return "user_account"


def _update_budget_line(s: Session, actor: Principal) -> str:
    project = f.project(s)
    line = f.budget_line(s, project)
    budgets.update_budget_line(s, actor, project, line, BudgetLineUpdate(description="Trips"))
    return "budget_line"


def _expense(s: Session, actor: Principal) -> tuple[Project, Any]:
    _record_expense(s, SYSTEM)
    expense = s.exec(select(Expense)).one()
    project = s.get(Project, expense.project_id)
    assert project is not None
    return project, expense


def _update_expense(s: Session, actor: Principal) -> str:
    project, expense = _expense(s, actor)
    data = ExpenseUpdate(amount=Decimal("89.90"))
    budgets.update_expense(s, actor, project, expense, data, today=TODAY)
    return "expense"


def _delete_expense(s: Session, actor: Principal) -> str:
    project, expense = _expense(s, actor)
    budgets.delete_expense(s, actor, project, expense)
    return "expense"


def _update_indicator(s: Session, actor: Principal) -> str:
    project = f.project(s)
    indicator = _indicator(s, SYSTEM, project)
    indicators.update_indicator(s, actor, project, indicator, IndicatorUpdate(target=120))
    return "indicator"


def _update_call(s: Session, actor: Principal) -> str:
    programmes.update_call(s, actor, f.call(s), CallUpdate(title="Renamed call"))
    return "call"


def _update_organisation(s: Session, actor: Principal) -> str:
    organisation = f.organisation(s)
    programmes.update_organisation(s, actor, organisation, OrganisationUpdate(city="Sfax"))
    return "organisation"


def _update_programme(s: Session, actor: Principal) -> str:
    programme = f.programme(s)
    programmes.update_programme(s, actor, programme, ProgrammeUpdate(title="Renamed"))
    return "programme"


def _update_tranche(s: Session, actor: Principal) -> str:
    project = f.project(s)
    tranche = f.tranche(s, project, "1000")
    data = TrancheUpdate(planned_date=dt.date(2026, 4, 1))
    tranches.update_tranche(s, actor, project, tranche, data)
    return "tranche"


def _update_user(s: Session, actor: Principal) -> str:
    user, _principal = f.user(s, Role.DONOR, f.organisation(s))
    users.update_user(s, actor, user, UserUpdate(full_name="Renamed"))
    return "user_account"


SCENARIOS: dict[str, Scenario] = {
    "grants.services.attachments.attach": _attach,
    "grants.services.budgets.add_budget_line": _add_budget_line,
    "grants.services.budgets.record_expense": _record_expense,
    "grants.services.budgets.update_budget_line": _update_budget_line,
    "grants.services.budgets.update_expense": _update_expense,
    "grants.services.budgets.delete_expense": _delete_expense,
    "grants.services.indicators.update_indicator": _update_indicator,
    "grants.services.programmes.update_call": _update_call,
    "grants.services.programmes.update_organisation": _update_organisation,
    "grants.services.programmes.update_programme": _update_programme,
    "grants.services.tranches.update_tranche": _update_tranche,
    "grants.services.users.update_user": _update_user,
    "grants.services.indicators.add_indicator": _add_indicator,
    "grants.services.indicators.report_value": _report_value,
    "grants.services.milestones.add_milestone": _add_milestone,
    "grants.services.milestones.add_milestones": _add_milestones,
    "grants.services.milestones.update_milestones": _update_milestones,
    "grants.services.milestones.advance_milestone": _advance_milestone,
    "grants.services.milestones.replan_milestone": _replan_milestone_by,
    "grants.services.milestones.update_milestone": _update_milestone,
    "grants.services.programmes.add_funder": _add_funder,
    "grants.services.programmes.create_call": _create_call,
    "grants.services.programmes.create_organisation": _create_organisation,
    "grants.services.programmes.create_programme": _create_programme,
    "grants.services.progress.advance_update": _advance_update,
    "grants.services.progress.edit_update": _edit_update,
    "grants.services.progress.start_update": _start_update,
    "grants.services.projects.add_co_financing": _add_co_financing,
    "grants.services.projects.add_partner": _add_partner,
    "grants.services.projects.advance_project": _advance_project,
    "grants.services.projects.create_project": _create_project,
    "grants.services.projects.set_sectors": _set_sectors,
    "grants.services.projects.update_project": _update_project,
    "grants.services.tranches.add_tranche": _add_tranche,
    "grants.services.tranches.advance_tranche": _advance_tranche,
    "grants.services.users.create_user": _create_user,
    "grants.services.users.store_password_hash": _store_password_hash,
    "grants.services.sessions.change_password": _change_password,
    "grants.services.sessions.deactivate_user": _deactivate_user,
    "grants.services.tokens.create_token": _create_token,
    "grants.services.tokens.revoke_token": _revoke_token,
}


def _all_writers() -> set[str]:
    for module in pkgutil.iter_modules(grants.services.__path__):
        importlib.import_module(f"grants.services.{module.name}")
    # Tests may register helpers of their own; the application's writers live in ``grants``.
    names = {f"{writer.__module__}.{writer.__qualname__}" for writer in WRITERS}
    return {name for name in names if name.startswith("grants.")}


def test_every_writer_has_an_audit_scenario() -> None:
    writers = _all_writers()

    assert writers - set(SCENARIOS) == set(), "add a scenario for each new writer"
    assert set(SCENARIOS) - writers == set(), "a scenario names a writer that is gone"


@pytest.mark.parametrize("writer", sorted(SCENARIOS))
def test_every_writer_leaves_an_audit_trail(tx_session: Session, writer: str) -> None:
    auditor, actor = f.user(tx_session, Role.ADMIN, email="auditor@example.org")

    entity = SCENARIOS[writer](tx_session, actor)

    events = _events(tx_session, actor_label="auditor@example.org")
    assert entity in {e.entity for e in events}
    assert all(e.actor_id == auditor.id for e in events)
    assert all(e.changes for e in events)
