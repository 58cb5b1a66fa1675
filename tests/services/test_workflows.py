"""The four workflows as rule tables: what each state allows, and where each step leads.

The tables below are the specification, written out by hand; every (state, step) pair of
every entity is tried through its service, as an administrator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, func, select

from grants.models import (
    AuditEvent,
    MilestoneStatus,
    ProjectStatus,
    ReviewStatus,
    TrancheStatus,
)
from grants.services import milestones, progress, projects, tranches
from grants.services.access import SYSTEM
from grants.services.errors import Invalid, InvalidTransition
from tests import factories as f
from tests.factories import REASON, TODAY

# entity -> from state -> {step: resulting state}; a step missing from a state is refused.
SPEC: dict[str, dict[str, dict[str, str]]] = {
    "project": {
        "draft": {"start_contracting": "contracting", "cancel": "cancelled"},
        "contracting": {"activate": "active", "cancel": "cancelled"},
        "active": {"finalise": "finalising", "suspend": "suspended", "cancel": "cancelled"},
        "finalising": {"close": "closed", "cancel": "cancelled"},
        "suspended": {"resume": "active", "cancel": "cancelled"},
        "closed": {},
        "cancelled": {},
    },
    "milestone": {
        "planned": {"start": "in_progress", "submit": "submitted", "cancel": "cancelled"},
        "in_progress": {"submit": "submitted", "cancel": "cancelled"},
        "submitted": {"accept": "accepted", "return": "returned", "cancel": "cancelled"},
        "returned": {"submit": "submitted", "cancel": "cancelled"},
        "accepted": {},
        "cancelled": {},
    },
    "tranche": {
        "scheduled": {"approve": "approved", "cancel": "cancelled"},
        "approved": {"pay": "paid", "cancel": "cancelled"},
        "paid": {},
        "cancelled": {},
    },
    "progress update": {
        "draft": {"submit": "submitted"},
        "submitted": {"approve": "approved", "return": "returned"},
        "returned": {"submit": "submitted"},
        "approved": {},
    },
}

STEPS = {
    "project": [
        "start_contracting",
        "activate",
        "finalise",
        "close",
        "suspend",
        "resume",
        "cancel",
    ],
    "milestone": ["start", "submit", "accept", "return", "cancel"],
    "tranche": ["approve", "pay", "cancel"],
    "progress update": ["submit", "approve", "return"],
}

# (entity, step) -> the attribute where the reason is kept.
NEEDS_REASON = {
    ("project", "suspend"): "status_reason",
    ("project", "cancel"): "status_reason",
    ("milestone", "return"): "review_note",
    ("milestone", "cancel"): "review_note",
    ("tranche", "cancel"): "cancel_reason",
    ("progress update", "return"): "review_note",
}

BUILD: dict[str, Callable[[Session, str], Any]] = {
    "project": lambda session, state: f.project_in(session, ProjectStatus(state)),
    "milestone": lambda session, state: f.milestone_in(session, MilestoneStatus(state)),
    "tranche": lambda session, state: f.tranche_in(session, TrancheStatus(state)),
    "progress update": lambda session, state: f.update_in(session, ReviewStatus(state)),
}

ADVANCE: dict[str, Callable[..., Any]] = {
    "project": projects.advance_project,
    "milestone": milestones.advance_milestone,
    "tranche": tranches.advance_tranche,
    "progress update": progress.advance_update,
}


def _cases(allowed: bool) -> list[Any]:
    return [
        pytest.param(entity, state, step, targets.get(step), id=f"{entity}-{state}-{step}")
        for entity, states in SPEC.items()
        for state, targets in states.items()
        for step in STEPS[entity]
        if (step in targets) is allowed
    ]


def _audit_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def _advance(session: Session, entity: str, obj: Any, step: str, reason: str | None) -> Any:
    return ADVANCE[entity](session, SYSTEM, obj, step, today=TODAY, reason=reason)


def test_spec_names_every_state_of_every_entity() -> None:
    assert set(SPEC["project"]) == {s.value for s in ProjectStatus}
    assert set(SPEC["milestone"]) == {s.value for s in MilestoneStatus}
    assert set(SPEC["tranche"]) == {s.value for s in TrancheStatus}
    assert set(SPEC["progress update"]) == {s.value for s in ReviewStatus}


@pytest.mark.parametrize(("entity", "state", "step", "target"), _cases(allowed=True))
def test_allowed_step_leads_to_its_state(
    tx_session: Session, entity: str, state: str, step: str, target: str
) -> None:
    obj = BUILD[entity](tx_session, state)
    reason = REASON if (entity, step) in NEEDS_REASON else None

    moved = _advance(tx_session, entity, obj, step, reason)

    tx_session.refresh(moved)
    assert moved.status == target


@pytest.mark.parametrize(("entity", "state", "step", "target"), _cases(allowed=False))
def test_refused_step_names_the_state_and_the_allowed_steps(
    tx_session: Session, entity: str, state: str, step: str, target: None
) -> None:
    obj = BUILD[entity](tx_session, state)
    events = _audit_count(tx_session)

    with pytest.raises(InvalidTransition) as refused:
        _advance(tx_session, entity, obj, step, REASON)

    allowed = sorted(SPEC[entity][state])
    assert list(refused.value.allowed) == allowed
    message = str(refused.value)
    assert f"that is {state.replace('_', ' ')}" in message
    assert all(name in message for name in allowed)
    tx_session.refresh(obj)
    assert obj.status == state
    assert _audit_count(tx_session) == events


REASON_CASES = [
    pytest.param(entity, step, state, field, id=f"{entity}-{step}")
    for (entity, step), field in NEEDS_REASON.items()
    for state, targets in SPEC[entity].items()
    if step in targets and state in {"active", "submitted", "approved", "draft"}
]


@pytest.mark.parametrize("blank", [None, "", "   "], ids=["none", "empty", "spaces"])
@pytest.mark.parametrize(("entity", "step", "state", "field"), REASON_CASES)
def test_step_needing_a_reason_refuses_a_blank_one(
    tx_session: Session, entity: str, step: str, state: str, field: str, blank: str | None
) -> None:
    obj = BUILD[entity](tx_session, state)

    with pytest.raises(Invalid) as refused:
        _advance(tx_session, entity, obj, step, blank)

    assert refused.value.field == "reason"
    tx_session.refresh(obj)
    assert obj.status == state


@pytest.mark.parametrize(("entity", "step", "state", "field"), REASON_CASES)
def test_step_needing_a_reason_keeps_it(
    tx_session: Session, entity: str, step: str, state: str, field: str
) -> None:
    obj = BUILD[entity](tx_session, state)

    moved = _advance(tx_session, entity, obj, step, f"  {REASON}  ")

    tx_session.refresh(moved)
    assert getattr(moved, field) == REASON


@pytest.mark.parametrize(
    ("entity", "state", "step"),
    [
        ("project", "active", "pay"),
        ("milestone", "planned", "approve"),
        ("tranche", "scheduled", "submit"),
        ("progress update", "draft", "accept"),
    ],
)
def test_unknown_step_is_refused_with_every_step_of_the_workflow(
    tx_session: Session, entity: str, state: str, step: str
) -> None:
    obj = BUILD[entity](tx_session, state)
    events = _audit_count(tx_session)

    with pytest.raises(InvalidTransition) as refused:
        _advance(tx_session, entity, obj, step, REASON)

    every_step = sorted(STEPS[entity])
    assert list(refused.value.allowed) == every_step
    assert str(refused.value) == (
        f"A {entity} has no step {step!r}; its steps are: {', '.join(every_step)}."
    )
    tx_session.refresh(obj)
    assert obj.status == state
    assert _audit_count(tx_session) == events
