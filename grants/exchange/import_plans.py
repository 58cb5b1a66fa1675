"""Importers of a project's plan: milestones, tranches and budget lines, through the services."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from grants.exchange import milestone_batch
from grants.exchange.import_common import (
    Outcome,
    SheetImporter,
    collect,
    described_changes,
    differences,
    given,
    raise_if,
    shown,
)
from grants.exchange.import_rows import (
    RowInvalid,
    RowProblem,
    chunks,
    fixed_after_creation,
    validate,
)
from grants.i18n import _
from grants.models import (
    BudgetLine,
    BudgetLineCreate,
    BudgetLineUpdate,
    Milestone,
    MilestoneCreate,
    MilestoneUpdate,
    Project,
    Tranche,
    TrancheCreate,
    TrancheGate,
    TrancheUpdate,
)
from grants.services import budgets, milestones, tranches

MILESTONE_FIELDS = ("title", "description", "due_date", "evidence_required")


def _next_number(column: str, number: int, last: int) -> None:
    if number != last + 1:
        reason = _("a new row continues the project's numbering: expected {n}").format(n=last + 1)
        raise RowInvalid([(column, number, reason)])


class _Numbered(SheetImporter):
    """Rows numbered within their project (milestones, tranches): found by number, new
    numbers continuing the sequence."""

    model: type[Milestone] | type[Tranche]

    def preload(self, rows: list[dict[str, Any]]) -> None:
        super().preload(rows)
        ids = [p.id for p in self.refs.projects.values()]
        self.rows: dict[tuple[int, int], Any] = {}
        self.last: dict[int, int] = {}
        for batch_row in self._existing(ids):
            self.rows[batch_row.project_id, batch_row.position] = batch_row
            self.last[batch_row.project_id] = max(
                self.last.get(batch_row.project_id, 0), batch_row.position
            )

    def _existing(self, ids: list[int]) -> list[Any]:
        if not ids:
            return []
        model = self.model
        return list(self.session.exec(select(model).where(col(model.project_id).in_(ids))))

    def _project(self, values: dict[str, Any]) -> Project:
        return self.refs.project(values["project_reference"])

    def remember(self, row: Any) -> None:
        """Record a row just created, so the next new number follows it."""
        self.rows[row.project_id, row.position] = row
        self.last[row.project_id] = row.position


class MilestoneImporter(_Numbered):
    """Milestones by project and number: added at the end, or their plan updated.

    New milestones are checked as each row comes and added together once the sheet is
    checked (``milestone_batch``); a changed one goes through ``update_milestone``.
    """

    model = Milestone
    columns = {
        **{field: field for field in MILESTONE_FIELDS},
        "responsible_organisation_id": "responsible_organisation",
        "position": "number",
    }

    def preload(self, rows: list[dict[str, Any]]) -> None:
        super().preload(rows)
        wanted = {row["project_reference"] for row in rows}
        projects = [p for reference, p in self.refs.projects.items() if reference in wanted]
        self.rules = milestone_batch.NewMilestoneRules(self.session, self.principal, projects)
        self.new: list[tuple[Project, MilestoneCreate]] = []

    def _given(self, values: dict[str, Any]) -> dict[str, Any]:
        """Return the row's fields, its responsible organisation's ref turned into an id."""
        problems: list[RowProblem] = []
        data = given(values, {f: f for f in MILESTONE_FIELDS}, ["description", "evidence_required"])
        if "responsible_organisation" in values:
            ref = values["responsible_organisation"]
            found = (
                collect(problems, lambda: self.refs.organisation(ref, "responsible_organisation"))
                if ref
                else None
            )
            data["responsible_organisation_id"] = found.id if found else None
        raise_if(problems)
        return data

    def check(self, values: dict[str, Any]) -> Outcome | None:
        project = self._project(values)
        data = self._given(values)
        existing = self.rows.get((project.id, values["number"]))
        if existing is not None:
            merged = validate(MilestoneCreate, {**existing.model_dump(), **data}, self.columns)
            return None if differences(existing, merged, list(data)) else ("unchanged", {})
        _next_number("number", values["number"], self.last.get(project.id, 0))
        create = validate(MilestoneCreate, data, self.columns)
        self.rules.check(project, create)
        self.new.append((project, create))
        self.last[project.id] = values["number"]
        return "create", described_changes(
            None, {k: v for k, v in data.items() if v not in (None, "")}, self.columns
        )

    def apply(self, values: dict[str, Any]) -> Outcome:
        project = self._project(values)
        data = self._given(values)
        existing = self.rows[project.id, values["number"]]
        merged = validate(MilestoneCreate, {**existing.model_dump(), **data}, self.columns)
        changes = differences(existing, merged, list(data))
        described = described_changes(existing, changes, self.columns)
        if "responsible_organisation_id" in changes:
            names = {org.id: ref for ref, org in self.refs.organisations.items()}
            described["responsible_organisation"] = (
                names.get(existing.responsible_organisation_id),
                names.get(changes["responsible_organisation_id"]),
            )
        milestones.update_milestone(
            self.session, self.principal, existing, MilestoneUpdate(**changes)
        )
        return "update", described

    def write(self) -> None:
        for batch in chunks(self.new):
            milestone_batch.add_milestones(self.session, self.principal, batch)
        self.new = []


class TrancheImporter(_Numbered):
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
        _next_number("number", values["number"], self.last.get(project.id, 0))
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
