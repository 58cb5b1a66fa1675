"""Importers of a project's money plan: tranches and budget lines, through the services."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from grants.exchange.import_common import (
    NumberedImporter,
    Outcome,
    SheetImporter,
    described_changes,
    differences,
    given,
    next_number,
    raise_if,
    shown,
)
from grants.exchange.import_rows import (
    RowProblem,
    fixed_after_creation,
    validate,
)
from grants.i18n import _
from grants.models import (
    BudgetLine,
    BudgetLineCreate,
    BudgetLineUpdate,
    Milestone,
    Tranche,
    TrancheCreate,
    TrancheGate,
    TrancheUpdate,
)
from grants.services import budgets, tranches


class TrancheImporter(NumberedImporter):
    """Tranches by project and number: scheduled with their gates, or re-planned."""

    model = Tranche
    columns = {
        "amount": "amount",
        "currency": "currency",
        "planned_date": "planned_date",
        "gate_milestone_ids": "gate_milestones",
        "position": "number",
    }

    def preload(self, rows: list[dict[str, Any]]) -> None:
        super().preload(rows)
        ids = [p.id for p in self.refs.projects.values()]
        self.milestone_ids: dict[tuple[int, int], int] = {}
        self.gates: dict[int, set[int]] = {}
        if not ids:
            return
        for project_id, position, ident in self.session.exec(
            select(Milestone.project_id, Milestone.position, Milestone.id).where(
                col(Milestone.project_id).in_(ids)
            )
        ):
            self.milestone_ids[project_id, position] = ident
        for tranche_id, position in self.session.exec(
            select(TrancheGate.tranche_id, Milestone.position)
            .join(Milestone, col(Milestone.id) == col(TrancheGate.milestone_id))
            .where(col(TrancheGate.project_id).in_(ids))
        ):
            self.gates.setdefault(tranche_id, set()).add(position)

    def _gate_numbers(self, values: dict[str, Any], problems: list[RowProblem]) -> set[int] | None:
        if values.get("gate_milestones") is None:
            return None
        numbers = set()
        for item in values["gate_milestones"]:
            if not str(item).isdigit():
                problems.append(("gate_milestones", item, _("not a milestone number")))
            else:
                numbers.add(int(item))
        return numbers

    def apply(self, values: dict[str, Any]) -> Outcome:
        problems: list[RowProblem] = []
        project = self._project(values)
        data = given(values, {"amount": "amount", "planned_date": "planned_date"})
        gates = self._gate_numbers(values, problems)
        currency = values.get("currency")
        existing = self.rows.get((project.id, values["number"]))
        if existing is not None:
            if currency is not None and str(currency).upper() != existing.currency:
                problems.append(fixed_after_creation("currency", existing.currency, currency))
            now = self.gates.get(existing.id, set())
            if gates is not None and gates != now:
                problems.append(
                    fixed_after_creation(
                        "gate_milestones", shown(sorted(now)), shown(sorted(gates))
                    )
                )
            raise_if(problems)
            merged = validate(TrancheCreate, {**existing.model_dump(), **data}, self.columns)
            changes = differences(existing, merged, list(data))
            if not changes:
                return "unchanged", {}
            described = described_changes(existing, changes, self.columns)
            tranches.update_tranche(
                self.session, self.principal, project, existing, TrancheUpdate(**changes)
            )
            return "update", described
        ids = []
        for number in sorted(gates or ()):
            if (project.id, number) not in self.milestone_ids:
                problems.append(
                    ("gate_milestones", number, _("the project has no milestone with this number"))
                )
            else:
                ids.append(self.milestone_ids[project.id, number])
        raise_if(problems)
        next_number("number", values["number"], self.last.get(project.id, 0))
        create = validate(
            TrancheCreate,
            {**data, "currency": currency or project.currency, "gate_milestone_ids": ids},
            self.columns,
        )
        tranche = tranches.add_tranche(self.session, self.principal, project, create)
        self.remember(tranche)
        self.gates[tranche.id] = set(gates or ())
        described = described_changes(
            None, {k: v for k, v in data.items() if v is not None}, self.columns
        )
        if gates:
            described["gate_milestones"] = (None, shown(sorted(gates)))
        return "create", described


class BudgetLineImporter(SheetImporter):
    """Budget lines by project and code: added, or their category, description, amount updated."""

    columns = {name: name for name in ("code", "category", "description", "amount", "currency")}

    def preload(self, rows: list[dict[str, Any]]) -> None:
        super().preload(rows)
        ids = [p.id for p in self.refs.projects.values()]
        self.lines: dict[tuple[int, str], BudgetLine] = {}
        if ids:
            query = select(BudgetLine).where(col(BudgetLine.project_id).in_(ids))
            self.lines = {(line.project_id, line.code): line for line in self.session.exec(query)}

    def apply(self, values: dict[str, Any]) -> Outcome:
        project = self.refs.project(values["project_reference"])
        data = given(values, {f: f for f in ("category", "description", "amount")})
        currency = values.get("currency")
        existing = self.lines.get((project.id, values["code"]))
        if existing is None:
            create = validate(
                BudgetLineCreate,
                {
                    **{k: v for k, v in data.items() if v is not None},
                    "code": values["code"],
                    "currency": currency or project.currency,
                },
                self.columns,
            )
            line = budgets.add_budget_line(self.session, self.principal, project, create)
            self.lines[project.id, line.code] = line
            return "create", described_changes(
                None, {k: v for k, v in data.items() if v is not None}, self.columns
            )
        if currency is not None and str(currency).upper() != existing.currency:
            raise_if([fixed_after_creation("currency", existing.currency, currency)])
        merged = validate(BudgetLineCreate, {**existing.model_dump(), **data}, self.columns)
        changes = differences(existing, merged, list(data))
        if not changes:
            return "unchanged", {}
        described = described_changes(existing, changes, self.columns)
        budgets.update_budget_line(
            self.session, self.principal, project, existing, BudgetLineUpdate(**changes)
        )
        return "update", described
