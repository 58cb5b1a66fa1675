"""Importer of the milestones sheet: each row checked as it comes, the sheet written at once."""

from __future__ import annotations

from typing import Any

from grants.db import chunks
from grants.exchange.import_common import (
    Changes,
    NumberedImporter,
    Outcome,
    collect,
    described_changes,
    differences,
    given,
    next_number,
    raise_if,
)
from grants.exchange.import_rows import RowProblem, validate
from grants.models import Milestone, MilestoneCreate, MilestoneUpdate, Project
from grants.services import milestones

MILESTONE_FIELDS = ("title", "description", "due_date", "evidence_required")


class MilestoneImporter(NumberedImporter):
    """Milestones by project and number: added at the end, or their plan updated.

    Each row is checked as it comes by the milestone service's rules (``MilestoneRules``), and
    the sheet's additions and changes are written together once every row is checked.
    A change only ``update_milestone`` can refuse goes to it, in the row's own savepoint.
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
        self.rules = milestones.MilestoneRules(self.session, self.principal, projects)
        self.new: list[tuple[Project, MilestoneCreate]] = []
        self.changed: list[tuple[Milestone, MilestoneUpdate]] = []

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

    def _changes(self, values: dict[str, Any]) -> tuple[Project, Milestone, dict[str, Any]]:
        """Return the project, the existing milestone and the fields the row changes."""
        project = self._project(values)
        data = self._given(values)
        existing = self.rows[project.id, values["number"]]
        merged = validate(MilestoneCreate, {**existing.model_dump(), **data}, self.columns)
        return project, existing, differences(existing, merged, list(data))

    def _described(self, existing: Milestone, changes: dict[str, Any]) -> Changes:
        described = described_changes(existing, changes, self.columns)
        if "responsible_organisation_id" in changes:
            names: dict[int | None, str] = {
                org.id: ref for ref, org in self.refs.organisations.items()
            }
            described["responsible_organisation"] = (
                names.get(existing.responsible_organisation_id),
                names.get(changes["responsible_organisation_id"]),
            )
        return described

    def check(self, values: dict[str, Any]) -> Outcome | None:
        project = self._project(values)
        if (project.id, values["number"]) in self.rows:
            _project, existing, changes = self._changes(values)
            if not changes:
                return "unchanged", {}
            if not self.rules.accepts_change(project, existing, changes):
                return None
            self.changed.append((existing, MilestoneUpdate(**changes)))
            return "update", self._described(existing, changes)
        data = self._given(values)
        next_number("number", values["number"], self.last.get(project.id, 0))
        create = validate(MilestoneCreate, data, self.columns)
        self.rules.check_new(project, create)
        self.new.append((project, create))
        self.last[project.id] = values["number"]
        return "create", described_changes(
            None, {k: v for k, v in data.items() if v not in (None, "")}, self.columns
        )

    def apply(self, values: dict[str, Any]) -> Outcome:
        _project, existing, changes = self._changes(values)
        described = self._described(existing, changes)
        milestones.update_milestone(
            self.session, self.principal, existing, MilestoneUpdate(**changes)
        )
        return "update", described

    def write(self) -> None:
        for batch in chunks(self.changed):
            milestones.update_milestones(self.session, self.principal, batch)
        for batch in chunks(self.new):
            milestones.add_milestones(self.session, self.principal, batch)
        self.new, self.changed = [], []
