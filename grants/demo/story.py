"""One demo project's history as dated events, replayed in order up to "today"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from sqlmodel import Session

from grants.demo import data
from grants.demo.data import Scenario
from grants.models import (
    BudgetLine,
    ExpenseCreate,
    Indicator,
    IndicatorValueCreate,
    Milestone,
    OverallStatus,
    ProgressUpdate,
    ProgressUpdateCreate,
    Project,
    Tranche,
)
from grants.services import (
    attachments,
    budgets,
    indicators,
    milestones,
    progress,
    projects,
    tranches,
)
from grants.services.access import Principal

# Events on the same day run in this order.
STARTS, WORK, REVIEW, APPROVE, PAY, SPEND, REPORT, UPDATE_REVIEW, STATUS = range(9)
QUARTER = 91
STRUGGLING = {"ZRQ-WOMEN", "SOU-CITYLAB", "BYB-HERITAGE"}


class Story:
    """Collects a project's dated events, then replays those that happened by today."""

    def __init__(
        self,
        session: Session,
        manager: Principal,
        editors: dict[str, Principal],
        project: Project,
        scenario: Scenario,
        today: dt.date,
    ) -> None:
        self.session, self.manager, self.editors = session, manager, editors
        self.project, self.s, self.today = project, scenario, today
        self.events: list[tuple[int, int, int, Callable[[dt.date], object]]] = []
        self.start = project.planned_start
        self.end = project.planned_end

    def at(self, day: dt.date, order: int, action: Callable[[dt.date], object]) -> None:
        """Schedule ``action`` to run on ``day``."""
        self.events.append(((day - self.today).days, order, len(self.events), action))

    def run(self) -> None:
        """Replay, in date order, the events that happened by today (and before a stop)."""
        stop = self.s.status_day if self.s.target in {"suspended", "cancelled"} else None
        for offset, order, _seq, action in sorted(self.events):
            if offset > 0 or (stop is not None and offset > stop):
                continue
            if stop is not None and offset == stop and order != STATUS:
                continue
            action(self.today + dt.timedelta(days=offset))

    def editor(self, organisation_id: int | None = None) -> Principal:
        """Return the editor of ``organisation_id`` (default: the lead grantee)."""
        for principal in self.editors.values():
            if organisation_id in principal.editor_org_ids:
                return principal
        return self.editors[self.s.lead]

    def _step(self, step: str, reason: str | None = None) -> Callable[[dt.date], object]:
        return lambda day: projects.advance_project(
            self.session, self.manager, self.project, step, today=day, reason=reason
        )

    def lifecycle(self) -> None:
        """Schedule contracting, activation and the scenario's closing or stopping step."""
        s, day = self.s, self.today + dt.timedelta(days=self.s.status_day or 0)
        if s.target == "draft":
            return
        self.at(self.start - dt.timedelta(days=30), STARTS, self._step("start_contracting"))
        if s.target == "contracting":
            return
        self.at(self.start, STARTS, self._step("activate"))
        if s.target == "closed":
            self.at(self.end + dt.timedelta(days=1), STATUS, self._step("finalise"))
            self.at(self.end + dt.timedelta(days=30), STATUS, self._step("close"))
        elif s.target == "finalising":
            self.at(day, STATUS, self._step("finalise"))
        elif s.target == "suspended":
            self.at(day, STATUS, self._step("suspend", s.reason))
        elif s.target == "cancelled":
            self.at(day, STATUS, self._step("cancel", s.reason))

    def milestone_events(self, ms: list[Milestone], ts: list[Tranche]) -> None:
        """Schedule each milestone's work and review, and the tranches they release."""
        self._tranche(ts[0], self.start)
        gates = {ms[2].id: ts[1], ms[4].id: ts[2]}
        for index, milestone in enumerate(ms):
            kind, delta = self.s.outcome(index)
            accepted = self._milestone(milestone, kind, delta)
            if accepted and milestone.id in gates:
                self._tranche(gates[milestone.id], accepted)

    def _milestone(self, m: Milestone, kind: str, delta: int) -> dt.date | None:
        due, editor = m.due_date, self.editor(m.responsible_organisation_id)
        ms_step = milestones.advance_milestone
        days = dt.timedelta

        def act(
            step: str, who: Principal, reason: str | None = None
        ) -> Callable[[dt.date], object]:
            return lambda day: ms_step(self.session, who, m, step, today=day, reason=reason)

        def evidence_then_submit(day: dt.date) -> None:
            attachments.attach(
                self.session,
                editor,
                m,
                f"{m.title.lower().replace(' ', '-')}.csv",
                f"name,organisation,date\nParticipant,{self.s.lead},{day}\n".encode(),
            )
            ms_step(self.session, editor, m, "submit", today=day)

        if kind == "cancelled":
            self.at(self.today + days(-15), REVIEW, act("cancel", self.manager, data.CANCEL_REASON))
            return None
        self.at(max(due - days(30), self.start), WORK, act("start", editor))
        if kind == "stalled":
            return None
        submit = due + days(delta if kind in {"late", "on_time"} and delta else -3)
        self.at(submit, WORK, evidence_then_submit)
        if kind in {"returned", "resubmitted"}:
            self.at(submit + days(4), REVIEW, act("return", self.manager, data.RETURN_REASON))
            if kind == "returned":
                return None
            submit += days(14)
            self.at(submit, WORK, act("submit", editor))
        accepted = submit + days(4 if kind in {"late", "resubmitted"} else 5)
        self.at(accepted, REVIEW, act("accept", self.manager))
        return accepted

    def _tranche(self, tranche: Tranche, released: dt.date) -> None:
        def step(name: str) -> Callable[[dt.date], object]:
            return lambda day: tranches.advance_tranche(
                self.session,
                self.manager,
                tranche,
                name,
                today=day,
                reference=f"PAY-{self.s.ref}-{tranche.position}" if name == "pay" else None,
            )

        self.at(released + dt.timedelta(days=3), APPROVE, step("approve"))
        self.at(released + dt.timedelta(days=12), PAY, step("pay"))

    def monthly_expenses(self, lines: list[BudgetLine]) -> None:
        """Schedule a monthly expense on each budget line, at the scenario's burn rate."""
        months = max(1, (self.end - self.start).days // 30)
        for month in range(1, months + 1):
            day = self.start + dt.timedelta(days=30 * month)
            for line in lines:
                amount = (
                    line.amount * Decimal(str(self.s.burn)) * Decimal("0.97") / months
                ).quantize(Decimal("0.01"))
                self.at(day, SPEND, self._expense(line, amount, month))

    def _expense(
        self, line: BudgetLine, amount: Decimal, month: int
    ) -> Callable[[dt.date], object]:
        return lambda day: budgets.record_expense(
            self.session,
            self.editor(),
            self.project,
            ExpenseCreate(
                budget_line_id=line.id,
                spent_on=day,
                amount=amount,
                currency="EUR",
                description=f"{line.description}, month {month}",
                reference=f"INV-{line.code}-{month}",
            ),
            today=day,
        )

    def quarterly_reports(self, inds: list[Indicator]) -> None:
        """Schedule indicator values and a progress update for every quarter."""
        quarters = [
            (
                self.start + dt.timedelta(days=QUARTER * q),
                min(self.end, self.start + dt.timedelta(days=QUARTER * (q + 1) - 1)),
            )
            for q in range(((self.end - self.start).days + QUARTER - 1) // QUARTER)
        ]
        past = [q for q in quarters if q[1] + dt.timedelta(days=10) <= self.today]
        for number, (first, last) in enumerate(past, start=1):
            submitted = last + dt.timedelta(days=10)
            if self.s.quiet_from is not None and (submitted - self.today).days > self.s.quiet_from:
                continue
            for ind in inds:
                self.at(submitted, REPORT, self._value(ind, first, last))
            self._update(first, last, submitted, latest=number == len(past))
        if self.s.latest_update == "draft":
            current = next((q for q in quarters if q not in past), None)
            if current:
                self.at(self.today - dt.timedelta(days=2), REPORT, self._draft(current[0]))

    def _value(self, ind: Indicator, first: dt.date, last: dt.date) -> Callable[[dt.date], object]:
        share = Decimal(QUARTER) / max(1, (self.end - self.start).days)
        pace = Decimal("0.6") if self.s.ref in STRUGGLING else Decimal("1.05")
        value = (ind.target * share * pace).quantize(Decimal(1))
        return lambda day: indicators.report_value(
            self.session,
            self.editor(),
            self.project,
            IndicatorValueCreate(
                indicator_id=ind.id, period_start=first, period_end=last, value=value
            ),
        )

    def _text(self, first: dt.date, last: dt.date, overall: str) -> ProgressUpdateCreate:
        elapsed = max(
            0, min(100, (last - self.start).days * 100 // max(1, (self.end - self.start).days))
        )
        return ProgressUpdateCreate(
            period_start=first,
            period_end=last,
            overall_status=OverallStatus(overall),
            percent_complete=elapsed if overall == "on_track" else elapsed // 2,
            achievements=f"Activities of {self.project.title} went ahead in {self.s.city}.",
            challenges=(
                "Staff turnover at the municipality delayed the trainings."
                if overall != "on_track"
                else "No major difficulty this period."
            ),
            next_steps="Prepare the next milestone and the coordination meeting.",
        )

    def _update(self, first: dt.date, last: dt.date, submitted: dt.date, *, latest: bool) -> None:
        overall = self.s.latest_overall if latest else "on_track"
        holder: dict[str, ProgressUpdate] = {}

        def write(day: dt.date) -> None:
            update = progress.start_update(
                self.session,
                self.editor(),
                self.project,
                self._text(first, last, overall),
                today=day,
            )
            holder["u"] = progress.advance_update(
                self.session, self.editor(), update, "submit", today=day
            )

        def review(day: dt.date) -> None:
            if latest and self.s.latest_update == "returned":
                progress.advance_update(
                    self.session,
                    self.manager,
                    holder["u"],
                    "return",
                    today=day,
                    reason=data.UPDATE_RETURN_REASON,
                )
            elif not (latest and self.s.latest_update == "submitted"):
                progress.advance_update(
                    self.session, self.manager, holder["u"], "approve", today=day
                )

        self.at(submitted, REPORT, write)
        self.at(submitted + dt.timedelta(days=5), UPDATE_REVIEW, review)

    def _draft(self, first: dt.date) -> Callable[[dt.date], object]:
        return lambda day: progress.start_update(
            self.session, self.editor(), self.project, self._text(first, day, "on_track"), today=day
        )
