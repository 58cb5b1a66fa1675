"""Importers of the organisations, projects and partners sheets, each row through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from grants.exchange.import_common import (
    Outcome,
    SheetImporter,
    collect,
    described_changes,
    differences,
    given,
    raise_if,
    required,
    shown,
)
from grants.exchange.import_milestones import MilestoneImporter
from grants.exchange.import_plans import BudgetLineImporter, TrancheImporter
from grants.exchange.import_rows import RowProblem, fixed_after_creation, validate
from grants.exchange.layout import Sheet
from grants.models import (
    Objective,
    Organisation,
    OrganisationCreate,
    OrganisationUpdate,
    PartnerRole,
    ProjectCreate,
    ProjectObjective,
    ProjectPartner,
    ProjectSector,
    ProjectUpdate,
)
from grants.services import programmes, projects

ORGANISATION_FIELDS = ("name", "kind", "country", "city", "org_identifier", "website")
PROJECT_FIELDS = (
    "title",
    "summary",
    "city",
    "country",
    "awarded_amount",
    "planned_start",
    "planned_end",
    "manager_id",
)
DAC = "1"  # the OECD DAC 5-digit sector vocabulary


class OrganisationImporter(SheetImporter):
    """Organisations by ref: created, or their details updated."""

    columns = {name: name for name in ("ref", *ORGANISATION_FIELDS, "is_fictional")}

    def apply(self, values: dict[str, Any]) -> Outcome:
        data = given(values, self.columns)
        found = self.refs.organisations.get(values["ref"])
        if found is None:
            create = validate(
                OrganisationCreate, {k: v for k, v in data.items() if v is not None}, self.columns
            )
            created = programmes.create_organisation(self.session, self.principal, create)
            self.refs.organisations[created.ref] = created
            return "create", described_changes(
                None, create.model_dump(exclude_defaults=True), self.columns
            )
        problems: list[RowProblem] = []
        fictional = data.pop("is_fictional", None)
        if fictional is not None and fictional != found.is_fictional:
            problems.append(fixed_after_creation("is_fictional", found.is_fictional, fictional))
        raise_if(problems)
        merged = validate(OrganisationCreate, {**found.model_dump(), **data}, self.columns)
        changes = differences(found, merged, [f for f in ORGANISATION_FIELDS if f in data])
        if not changes:
            return "unchanged", {}
        described = described_changes(found, changes, self.columns)
        programmes.update_organisation(
            self.session, self.principal, found, OrganisationUpdate(**changes)
        )
        return "update", described


class ProjectImporter(SheetImporter):
    """Projects by reference: created as drafts with their lead and objectives, or updated."""

    columns = {
        "reference": "reference",
        "call_id": "call",
        "objective_codes": "objectives",
        "organisation": "lead_organisation",
        "manager_id": "manager",
        **{field: field for field in PROJECT_FIELDS if field != "manager_id"},
        "currency": "currency",
        "sectors": "sectors",
        "tranches": "awarded_amount",
    }

    def preload(self, rows: list[dict[str, Any]]) -> None:
        self.refs.load_projects(row["reference"] for row in rows)
        self.refs.load_users(row["manager"] for row in rows if row.get("manager"))
        ids = [p.id for p in self.refs.projects.values()]
        self.objectives: dict[int, set[str]] = {}
        self.leads: dict[int, str] = {}
        self.sectors: dict[int, dict[str, Decimal]] = {}
        if not ids:
            return
        for project_id, code in self.session.exec(
            select(ProjectObjective.project_id, Objective.code)
            .join(Objective, col(Objective.id) == col(ProjectObjective.objective_id))
            .where(col(ProjectObjective.project_id).in_(ids))
        ):
            self.objectives.setdefault(project_id, set()).add(code)
        for project_id, ref in self.session.exec(
            select(ProjectPartner.project_id, Organisation.ref)
            .join(Organisation, col(Organisation.id) == col(ProjectPartner.organisation_id))
            .where(col(ProjectPartner.project_id).in_(ids), ProjectPartner.role == PartnerRole.LEAD)
        ):
            self.leads[project_id] = ref
        for sector in self.session.exec(
            select(ProjectSector).where(
                col(ProjectSector.project_id).in_(ids), ProjectSector.vocabulary == DAC
            )
        ):
            self.sectors.setdefault(sector.project_id, {})[sector.code] = sector.percentage

    def _fields(self, values: dict[str, Any], problems: list[RowProblem]) -> dict[str, Any]:
        data = given(values, {f: f for f in PROJECT_FIELDS if f != "manager_id"}, ["summary"])
        if "manager" in values:
            email = values["manager"]
            user = collect(problems, lambda: self.refs.user(email, "manager")) if email else None
            data["manager_id"] = user.id if user is not None else None
        return data

    def apply(self, values: dict[str, Any]) -> Outcome:
        project = self.refs.projects.get(values["reference"])
        if project is None:
            return self._create(values)
        problems: list[RowProblem] = []
        data = self._fields(values, problems)
        self._check_fixed(project, values, problems)
        raise_if(problems)
        merged = validate(
            ProjectCreate, {**project.model_dump(), **data, "objective_codes": ["-"]}, self.columns
        )
        changes = differences(project, merged, [f for f in PROJECT_FIELDS if f in data])
        described = described_changes(project, changes, self.columns)
        sectors = values.get("sectors")
        if "sectors" in values and (sectors or {}) != self.sectors.get(project.id, {}):
            before = self.sectors.get(project.id, {})
            described["sectors"] = (_sector_text(before), _sector_text(sectors or {}))
            projects.set_sectors(self.session, self.principal, project, sectors or {}, DAC)
        if changes:
            projects.update_project(self.session, self.principal, project, ProjectUpdate(**changes))
        return ("update", described) if described else ("unchanged", {})

    def _check_fixed(
        self, project: Any, values: dict[str, Any], problems: list[RowProblem]
    ) -> None:
        """Add a problem for each creation-only column the row would change."""
        call_codes = {call.id: code for code, call in self.refs.calls.items()}
        current = {
            "call": call_codes.get(project.call_id),
            "currency": project.currency,
            "objectives": self.objectives.get(project.id, set()),
            "lead_organisation": self.leads.get(project.id),
        }
        for column, now in current.items():
            value = values.get(column)
            if value is None:
                continue
            compared = (
                set(value)
                if column == "objectives"
                else str(value).upper()
                if column == "currency"
                else value
            )
            if compared != now:
                problems.append(
                    fixed_after_creation(
                        column, shown(sorted(now) if isinstance(now, set) else now), shown(value)
                    )
                )

    def _create(self, values: dict[str, Any]) -> Outcome:
        problems: list[RowProblem] = []
        code, lead_ref = (
            required(values, "call", problems),
            required(values, "lead_organisation", problems),
        )
        objectives = required(values, "objectives", problems)
        call = collect(problems, lambda: self.refs.call(code)) if code else None
        lead = (
            collect(problems, lambda: self.refs.organisation(lead_ref, "lead_organisation"))
            if lead_ref
            else None
        )
        data = self._fields(values, problems)
        raise_if(problems)
        assert call is not None
        assert lead is not None
        create = validate(
            ProjectCreate,
            {
                **{k: v for k, v in data.items() if v is not None},
                "reference": values["reference"],
                "call_id": call.id,
                "currency": values.get("currency") or call.currency,
                "objective_codes": objectives,
            },
            self.columns,
        )
        project = projects.create_project(self.session, self.principal, create, lead)
        if values.get("sectors"):
            projects.set_sectors(self.session, self.principal, project, values["sectors"], DAC)
        self.refs.projects[project.reference] = project
        shown_fields = {
            **create.model_dump(exclude_defaults=True, exclude={"call_id", "manager_id"})
        }
        described = described_changes(None, shown_fields, self.columns)
        described.update(
            {
                c: (None, shown(values[c]))
                for c in ("call", "lead_organisation", "manager", "sectors")
                if values.get(c)
            }
        )
        return "create", described


def _sector_text(sectors: dict[str, Decimal]) -> str:
    return "; ".join(f"{code}: {shown(share)}" for code, share in sorted(sectors.items()))


class PartnerImporter(SheetImporter):
    """Partners by project and organisation: added in their role."""

    columns = {"organisation": "organisation", "role": "role"}

    def preload(self, rows: list[dict[str, Any]]) -> None:
        super().preload(rows)
        ids = [p.id for p in self.refs.projects.values()]
        self.roles: dict[tuple[int, str], PartnerRole] = {}
        if ids:
            for project_id, ref, role in self.session.exec(
                select(ProjectPartner.project_id, Organisation.ref, ProjectPartner.role)
                .join(Organisation, col(Organisation.id) == col(ProjectPartner.organisation_id))
                .where(col(ProjectPartner.project_id).in_(ids))
            ):
                self.roles[project_id, ref] = PartnerRole(role)

    def apply(self, values: dict[str, Any]) -> Outcome:
        problems: list[RowProblem] = []
        project = collect(problems, lambda: self.refs.project(values["project_reference"]))
        ref = values["organisation"]
        organisation = collect(problems, lambda: self.refs.organisation(ref, "organisation"))
        raise_if(problems)
        assert project is not None
        assert organisation is not None
        current = self.roles.get((project.id, ref))
        role = values.get("role")
        if current is not None:
            if role is not None and role != current.value:
                raise_if([fixed_after_creation("role", current.value, role)])
            return "unchanged", {}
        role = required(values, "role", problems)
        raise_if(problems)
        projects.add_partner(self.session, self.principal, project, organisation, PartnerRole(role))
        self.roles[project.id, ref] = PartnerRole(role)
        return "create", {"role": (None, role)}


HANDLERS: dict[str, type[SheetImporter]] = {
    "organisations": OrganisationImporter,
    "projects": ProjectImporter,
    "partners": PartnerImporter,
    "milestones": MilestoneImporter,
    "tranches": TrancheImporter,
    "budget_lines": BudgetLineImporter,
}


def column_for(sheet: Sheet, field: str | None) -> str | None:
    """Return the column of ``sheet`` a service's error ``field`` is about, if any."""
    if field is None:
        return None
    if sheet.column(field) is not None:
        return field
    mapped = HANDLERS[sheet.name].columns.get(field)
    return mapped if mapped and sheet.column(mapped) is not None else None
