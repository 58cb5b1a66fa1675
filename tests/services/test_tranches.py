"""Tranches: scheduling within the award, gates, releasability, approval and payment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from grants.models import (
    Milestone,
    MilestoneStatus,
    Project,
    ProjectStatus,
    Tranche,
    TrancheCreate,
    TrancheStatus,
)
from grants.services import projects, tranches
from grants.services.access import SYSTEM
from grants.services.errors import Conflict, Invalid, InvalidTransition
from tests import factories as f
from tests.factories import REASON, TODAY


def _schedule(session: Session, project: Project, **overrides: Any) -> Tranche:
    fields: dict[str, Any] = {
        "amount": Decimal("10000"),
        "currency": "EUR",
        "planned_date": dt.date(2026, 9, 1),
    }
    return tranches.add_tranche(session, SYSTEM, project, TrancheCreate(**{**fields, **overrides}))


def _releasable(session: Session, project: Project) -> list[int]:
    return [t.position for t in tranches.releasable_tranches(session, [project.id])]


def _accept(session: Session, milestone: Milestone) -> None:
    f.milestone_in(session, MilestoneStatus.ACCEPTED, milestone)


def _pay(session: Session, tranche: Tranche, **kwargs: Any) -> Tranche:
    return tranches.advance_tranche(session, SYSTEM, tranche, "pay", today=TODAY, **kwargs)


# Scheduling


def test_tranches_are_scheduled_up_to_the_award(tx_session: Session) -> None:
    project = f.project(tx_session, awarded_amount=Decimal("50000"))
    _schedule(tx_session, project, amount=Decimal("30000"))
    _schedule(tx_session, project, amount=Decimal("20000"))

    with pytest.raises(Invalid) as refused:
        _schedule(tx_session, project, amount=Decimal("0.01"))

    assert refused.value.field == "amount"
    assert refused.value.reason == (
        "tranches would total €50,000.01, more than the award of €50,000.00"
    )
    assert projects.tranche_total(tx_session, project) == Decimal("50000")


@pytest.mark.parametrize(
    ("amount", "why"),
    [(Decimal("-1"), "negative"), (Decimal("10.005"), "decimal places")],
)
def test_a_tranche_amount_is_a_valid_sum_of_money(
    tx_session: Session, amount: Decimal, why: str
) -> None:
    project = f.project(tx_session)

    with pytest.raises(Invalid, match=why) as refused:
        _schedule(tx_session, project, amount=amount)

    assert refused.value.field == "amount"


def test_a_tranche_is_in_the_projects_currency(tx_session: Session) -> None:
    project = f.project(tx_session)

    with pytest.raises(Invalid) as refused:
        _schedule(tx_session, project, currency="USD")

    assert refused.value.field == "currency"
    assert tranches.tranches_of(tx_session, project) == []


def test_gates_are_milestones_of_the_same_project(tx_session: Session) -> None:
    project = f.project(tx_session)
    own = f.milestone(tx_session, project)
    foreign = f.milestone(tx_session, f.project(tx_session))

    with pytest.raises(Invalid) as refused:
        _schedule(tx_session, project, gate_milestone_ids=[own.id, foreign.id])

    assert refused.value.field == "gate_milestone_ids"
    assert refused.value.value == [foreign.id]
    assert tranches.tranches_of(tx_session, project) == []


def test_gates_are_kept_per_tranche(tx_session: Session) -> None:
    project, ms, ts = f.active_project(tx_session)

    assert tranches.gates_of(tx_session, project) == {ts[1].id: [ms[1].id], ts[2].id: [ms[2].id]}


# Releasability


def test_a_tranche_is_releasable_once_all_its_gates_are_accepted(tx_session: Session) -> None:
    project = f.project(tx_session)
    first, second = f.milestone(tx_session, project), f.milestone(tx_session, project)
    f.tranche(tx_session, project, "20000")
    f.tranche(tx_session, project, "30000", [first, second])
    f.activate(tx_session, project)
    assert _releasable(tx_session, project) == [1]

    _accept(tx_session, first)
    assert _releasable(tx_session, project) == [1]

    _accept(tx_session, second)
    assert _releasable(tx_session, project) == [1, 2]


def test_a_submitted_gate_does_not_release(tx_session: Session) -> None:
    project, ms, _ = f.active_project(tx_session)
    f.milestone_in(tx_session, MilestoneStatus.SUBMITTED, ms[1])

    assert _releasable(tx_session, project) == [1]


@pytest.mark.parametrize(
    ("status", "releasable"),
    [
        (ProjectStatus.CONTRACTING, False),
        (ProjectStatus.ACTIVE, True),
        (ProjectStatus.SUSPENDED, False),
    ],
)
def test_tranches_are_released_only_while_the_project_is_active(
    tx_session: Session, status: ProjectStatus, releasable: bool
) -> None:
    project = f.project_in(tx_session, status)
    tranche = tranches.tranches_of(tx_session, project)[0]

    assert tranches.is_releasable(tx_session, tranche) is releasable


def test_approving_before_the_tranche_is_releasable_is_refused(tx_session: Session) -> None:
    _, _, ts = f.active_project(tx_session)

    with pytest.raises(Conflict, match="not releasable"):
        tranches.advance_tranche(tx_session, SYSTEM, ts[1], "approve", today=TODAY)

    assert ts[1].status == TrancheStatus.SCHEDULED
    assert ts[1].approved_on is None


def test_approving_a_releasable_tranche_records_the_date(tx_session: Session) -> None:
    _, ms, ts = f.active_project(tx_session)
    _accept(tx_session, ms[1])

    tranches.advance_tranche(tx_session, SYSTEM, ts[1], "approve", today=dt.date(2026, 8, 3))

    assert ts[1].status == TrancheStatus.APPROVED
    assert ts[1].approved_on == dt.date(2026, 8, 3)
    assert [t.position for t in tranches.releasable_tranches(tx_session)] == [1]


# Payment


def test_paying_records_date_amount_and_reference(tx_session: Session) -> None:
    tranche = f.tranche_in(tx_session, TrancheStatus.APPROVED)

    _pay(tx_session, tranche, reference="  SWIFT 2026/0042 ")

    tx_session.refresh(tranche)
    assert tranche.status == TrancheStatus.PAID
    assert tranche.paid_on == TODAY
    assert tranche.paid_amount == Decimal("50000")
    assert tranche.payment_reference == "SWIFT 2026/0042"
    assert tranches.paid_total(tx_session, tranche.project_id) == Decimal("50000")


def test_a_lower_amount_may_be_paid(tx_session: Session) -> None:
    tranche = f.tranche_in(tx_session, TrancheStatus.APPROVED)

    _pay(tx_session, tranche, paid_amount=Decimal("49999.50"))

    assert tranches.paid_total(tx_session, tranche.project_id) == Decimal("49999.50")


def test_the_paid_total_never_exceeds_the_award(tx_session: Session) -> None:
    project, ms, ts = f.active_project(tx_session)
    _accept(tx_session, ms[1])
    for tranche in ts[:2]:
        tranches.advance_tranche(tx_session, SYSTEM, tranche, "approve", today=TODAY)
    _pay(tx_session, ts[0], paid_amount=Decimal("35000"))

    with pytest.raises(Invalid) as refused:
        _pay(tx_session, ts[1], paid_amount=Decimal("15000.01"))

    assert refused.value.field == "paid_amount"
    assert refused.value.reason == (
        "payments would total €50,000.01, more than the award of €50,000.00"
    )
    assert ts[1].status == TrancheStatus.APPROVED
    assert tranches.paid_total(tx_session, project.id) == Decimal("35000")


def test_paying_before_the_approval_date_is_refused(tx_session: Session) -> None:
    tranche = f.tranche_in(tx_session, TrancheStatus.APPROVED)

    with pytest.raises(Invalid) as refused:
        tranches.advance_tranche(
            tx_session, SYSTEM, tranche, "pay", today=TODAY - dt.timedelta(days=1)
        )

    assert refused.value.field == "paid_on"
    assert tranche.status == TrancheStatus.APPROVED


def test_paying_twice_is_refused(tx_session: Session) -> None:
    tranche = f.tranche_in(tx_session, TrancheStatus.PAID)

    with pytest.raises(InvalidTransition, match="paid") as refused:
        _pay(tx_session, tranche)

    assert refused.value.allowed == ()
    assert tranches.paid_total(tx_session, tranche.project_id) == Decimal("50000")


def test_a_payment_from_a_stale_screen_is_a_conflict(tx_session: Session) -> None:
    tranche = f.tranche_in(tx_session, TrancheStatus.SCHEDULED)
    seen = tranche.version
    tranches.advance_tranche(tx_session, SYSTEM, tranche, "approve", today=TODAY)

    with pytest.raises(Conflict):
        _pay(tx_session, tranche, expected_version=seen)

    assert tranche.status == TrancheStatus.APPROVED


def test_cancelling_keeps_the_reason_and_frees_the_amount(tx_session: Session) -> None:
    tranche = f.tranche_in(tx_session, TrancheStatus.SCHEDULED)
    project = tx_session.get(Project, tranche.project_id)
    assert project is not None

    tranches.advance_tranche(tx_session, SYSTEM, tranche, "cancel", today=TODAY, reason=REASON)

    assert tranche.cancel_reason == REASON
    assert projects.tranche_total(tx_session, project) == Decimal(0)
    replacement = _schedule(tx_session, project, amount=Decimal("50000"))
    assert replacement.position == 2
