"""Who may take each workflow step: a permission table over every kind of person.

The cast of each case: a project led by the lead grantee, with a co-implementing partner
that is responsible for the milestone and wrote the progress update, and another
co-implementing partner. Refused attempts must change nothing and leave no audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, func, select

from grants.models import (
    AuditEvent,
    MilestoneStatus,
    Organisation,
    OrganisationKind,
    PartnerRole,
    Project,
    ProjectStatus,
    ReviewStatus,
    Role,
    TrancheStatus,
)
from grants.services import milestones, programmes, progress, projects, tranches
from grants.services.access import SYSTEM, Principal
from grants.services.errors import InvalidTransition, NotAllowed
from tests import factories as f
from tests.factories import REASON, TODAY

ROLES = [
    "admin",
    "programme's grant manager",
    "other programme's grant manager",
    "donor of the programme",
    "lead grantee's editor",
    "responsible partner's editor",
    "other partner's editor",
    "unrelated organisation's editor",
    "funder partner's editor",
    "responsible partner's viewer",
]
MANAGERS = {"admin", "programme's grant manager"}
RESPONSIBLE_EDITORS = {"admin", "lead grantee's editor", "responsible partner's editor"}

# entity, step, from state, to state, who may take it (everybody else gets NotAllowed)
PERMISSIONS = [
    ("project", "start_contracting", "draft", "contracting", MANAGERS),
    ("project", "activate", "contracting", "active", MANAGERS),
    ("project", "finalise", "active", "finalising", MANAGERS),
    ("project", "close", "finalising", "closed", MANAGERS),
    ("project", "suspend", "active", "suspended", MANAGERS),
    ("project", "resume", "suspended", "active", MANAGERS),
    ("project", "cancel", "active", "cancelled", MANAGERS),
    ("milestone", "start", "planned", "in_progress", RESPONSIBLE_EDITORS),
    ("milestone", "submit", "in_progress", "submitted", RESPONSIBLE_EDITORS),
    ("milestone", "accept", "submitted", "accepted", MANAGERS),
    ("milestone", "return", "submitted", "returned", MANAGERS),
    ("milestone", "cancel", "planned", "cancelled", MANAGERS),
    ("tranche", "approve", "scheduled", "approved", MANAGERS),
    ("tranche", "pay", "approved", "paid", MANAGERS),
    ("tranche", "cancel", "approved", "cancelled", MANAGERS),
    ("progress update", "submit", "draft", "submitted", RESPONSIBLE_EDITORS),
    ("progress update", "approve", "submitted", "approved", MANAGERS),
    ("progress update", "return", "submitted", "returned", MANAGERS),
]


@dataclass
class Cast:
    project: Project
    lead: Organisation
    responsible: Organisation


def _cast(session: Session, project_status: ProjectStatus) -> Cast:
    project = f.project_in(session, project_status)
    return Cast(project, f.lead_of(session, project), f.partner(session, project))


def _organisation(session: Session, ident: int) -> Organisation:
    organisation = session.get(Organisation, ident)
    assert organisation is not None
    return organisation


def principal_as(session: Session, role: str, cast: Cast) -> Principal:
    """Create a user playing ``role`` in ``cast`` and return their principal."""
    programme = f.programme_of(session, cast.project)
    if role == "admin":
        return f.user(session, Role.ADMIN)[1]
    if role == "programme's grant manager":
        managing = _organisation(session, programme.managing_organisation_id)
        return f.user(session, Role.GRANT_MANAGER, managing)[1]
    if role == "other programme's grant manager":
        other = f.programme(session)
        managing = _organisation(session, other.managing_organisation_id)
        return f.user(session, Role.GRANT_MANAGER, managing)[1]
    if role == "donor of the programme":
        donor = f.organisation(session, kind=OrganisationKind.DONOR)
        programmes.add_funder(session, SYSTEM, programme, donor, Decimal("100000"), "EUR")
        return f.user(session, Role.DONOR, donor)[1]
    if role == "lead grantee's editor":
        return f.user(session, Role.PARTNER_EDITOR, cast.lead)[1]
    if role == "responsible partner's editor":
        return f.user(session, Role.PARTNER_EDITOR, cast.responsible)[1]
    if role == "other partner's editor":
        return f.user(session, Role.PARTNER_EDITOR, f.partner(session, cast.project))[1]
    if role == "unrelated organisation's editor":
        return f.user(session, Role.PARTNER_EDITOR, f.organisation(session))[1]
    if role == "funder partner's editor":
        funder = f.partner(session, cast.project, PartnerRole.FUNDER, kind=OrganisationKind.DONOR)
        return f.user(session, Role.PARTNER_EDITOR, funder)[1]
    if role == "responsible partner's viewer":
        return f.user(session, Role.PARTNER_VIEWER, cast.responsible)[1]
    raise AssertionError(role)


def _project(session: Session, state: str) -> tuple[Cast, Any]:
    cast = _cast(session, ProjectStatus(state))
    return cast, cast.project


def _milestone(session: Session, state: str) -> tuple[Cast, Any]:
    cast = _cast(session, ProjectStatus.ACTIVE)
    milestone = f.milestone(session, cast.project, responsible_organisation_id=cast.responsible.id)
    return cast, f.milestone_in(session, MilestoneStatus(state), milestone)


def _tranche(session: Session, state: str) -> tuple[Cast, Any]:
    cast = _cast(session, ProjectStatus.ACTIVE)
    tranche = tranches.tranches_of(session, cast.project)[0]
    return cast, f.tranche_in(session, TrancheStatus(state), tranche)


def _update(session: Session, state: str) -> tuple[Cast, Any]:
    cast = _cast(session, ProjectStatus.ACTIVE)
    update = f.progress_update(session, cast.project, cast.responsible)
    return cast, f.update_in(session, ReviewStatus(state), update)


SETUP: dict[str, Callable[[Session, str], tuple[Cast, Any]]] = {
    "project": _project,
    "milestone": _milestone,
    "tranche": _tranche,
    "progress update": _update,
}
ADVANCE: dict[str, Callable[..., Any]] = {
    "project": projects.advance_project,
    "milestone": milestones.advance_milestone,
    "tranche": tranches.advance_tranche,
    "progress update": progress.advance_update,
}

CASES = [
    pytest.param(
        entity, step, source, target, role, role in allowed, id=f"{entity}-{step}-by-{role}"
    )
    for entity, step, source, target, allowed in PERMISSIONS
    for role in ROLES
]


def _audit_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


@pytest.mark.parametrize(("entity", "step", "source", "target", "role", "allowed"), CASES)
def test_who_may_take_each_step(
    tx_session: Session,
    entity: str,
    step: str,
    source: str,
    target: str,
    role: str,
    allowed: bool,
) -> None:
    cast, obj = SETUP[entity](tx_session, source)
    principal = principal_as(tx_session, role, cast)
    events = _audit_count(tx_session)

    def attempt() -> Any:
        return ADVANCE[entity](tx_session, principal, obj, step, today=TODAY, reason=REASON)

    if allowed:
        attempt()
        tx_session.refresh(obj)
        assert obj.status == target
        assert _audit_count(tx_session) > events
    else:
        with pytest.raises(NotAllowed):
            attempt()
        assert not [o for o in tx_session.dirty if tx_session.is_modified(o)]
        tx_session.refresh(obj)
        assert obj.status == source
        assert _audit_count(tx_session) == events


# The step name is checked first, then who is acting, and only then the state: a person
# who may not take a step learns nothing about the object's state from the refusal.

# entity, step, a state that does not allow it, someone who may not take it anyway
WRONG_STATE = [
    ("project", "suspend", "contracting", "other programme's grant manager"),
    ("project", "close", "active", "donor of the programme"),
    ("project", "resume", "active", "lead grantee's editor"),
    ("milestone", "accept", "planned", "responsible partner's editor"),
    ("milestone", "submit", "accepted", "other partner's editor"),
    ("milestone", "start", "submitted", "donor of the programme"),
    ("tranche", "pay", "scheduled", "lead grantee's editor"),
    ("tranche", "approve", "paid", "funder partner's editor"),
    ("progress update", "submit", "approved", "other partner's editor"),
    ("progress update", "approve", "draft", "donor of the programme"),
]


@pytest.mark.parametrize(
    ("entity", "step", "state", "role"),
    [pytest.param(*case, id=f"{case[0]}-{case[1]}-{case[2]}-by-{case[3]}") for case in WRONG_STATE],
)
def test_a_stranger_is_told_not_allowed_before_the_state_is_checked(
    tx_session: Session, entity: str, step: str, state: str, role: str
) -> None:
    cast, obj = SETUP[entity](tx_session, state)
    stranger = principal_as(tx_session, role, cast)
    admin = principal_as(tx_session, "admin", cast)
    events = _audit_count(tx_session)

    def attempt(principal: Principal) -> Any:
        return ADVANCE[entity](tx_session, principal, obj, step, today=TODAY, reason=REASON)

    with pytest.raises(NotAllowed) as refused:
        attempt(stranger)
    assert state.replace("_", " ") not in str(refused.value)
    # The state does refuse the step: someone allowed to try it is told so.
    with pytest.raises(InvalidTransition, match=f"that is {state.replace('_', ' ')}"):
        attempt(admin)
    tx_session.refresh(obj)
    assert obj.status == state
    assert _audit_count(tx_session) == events


@pytest.mark.parametrize(
    ("entity", "state", "step", "steps"),
    [
        (
            "project",
            "active",
            "pay",
            "activate, cancel, close, finalise, resume, start_contracting, suspend",
        ),
        ("milestone", "planned", "approve", "accept, cancel, return, start, submit"),
        ("tranche", "scheduled", "finalise", "approve, cancel, pay"),
        ("progress update", "draft", "accept", "approve, return, submit"),
    ],
)
def test_an_unknown_step_is_refused_as_unknown_even_to_a_stranger(
    tx_session: Session, entity: str, state: str, step: str, steps: str
) -> None:
    cast, obj = SETUP[entity](tx_session, state)
    stranger = principal_as(tx_session, "unrelated organisation's editor", cast)

    with pytest.raises(InvalidTransition) as refused:
        ADVANCE[entity](tx_session, stranger, obj, step, today=TODAY, reason=REASON)

    assert str(refused.value) == f"A {entity} has no step {step!r}; its steps are: {steps}."
    assert ", ".join(refused.value.allowed) == steps
    tx_session.refresh(obj)
    assert obj.status == state
