"""Milestones added and changed in bulk, by the rules of ``add_milestone`` and ``update_milestone``.

Those rules look up two facts per row: whether the principal manages the project, and
whether the responsible organisation is one of its partners. Here both are loaded once for
every project of a batch, and the rows are written in one flush. A row the facts would
refuse goes to the service's own rule (or, for a change, to ``update_milestone`` itself),
so a refusal reads exactly as it does when one milestone is added or changed on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from grants.db import chunks
from grants.models import (
    Milestone,
    MilestoneCreate,
    MilestoneUpdate,
    Project,
    ProjectPartner,
)
from grants.services import milestones
from grants.services.access import Principal, managed_project_ids, require_manager
from grants.services.common import writes
from grants.services.milestones import FINAL, _check_in_period, _check_responsible
from grants.services.rules import require_open


class MilestoneRules:
    """The rules a milestone's addition or change must meet, with their facts loaded at once."""

    def __init__(self, session: Session, principal: Principal, projects: Iterable[Project]) -> None:
        ids = {project.id for project in projects}
        self.session = session
        self.principal = principal
        self.managed = managed_project_ids(session, principal, ids)
        self.partners: set[tuple[int, int]] = set()
        for batch in chunks(sorted(ids)):
            self.partners.update(
                session.exec(
                    select(ProjectPartner.project_id, ProjectPartner.organisation_id).where(
                        col(ProjectPartner.project_id).in_(batch)
                    )
                )
            )

    def _require_manager(self, project: Project) -> None:
        if project.id not in self.managed:
            require_manager(self.session, self.principal, project)
            self.managed.add(project.id)

    def _require_partner(self, project: Project, organisation_id: int | None) -> None:
        if organisation_id is not None and (project.id, organisation_id) not in self.partners:
            _check_responsible(self.session, project, organisation_id)

    def check_new(self, project: Project, data: MilestoneCreate) -> None:
        """Raise the error ``add_milestone`` would raise for ``data`` in ``project``, if any."""
        self._require_manager(project)
        require_open(project)
        _check_in_period(project, data.due_date)
        self._require_partner(project, data.responsible_organisation_id)

    def accepts_change(
        self, project: Project, milestone: Milestone, changes: dict[str, Any]
    ) -> bool:
        """Return whether ``update_milestone`` accepts ``changes``; raise what it would raise.

        False means only the service can say why not (a milestone past its last step).
        """
        self._require_manager(project)
        if milestone.status in FINAL:
            return False
        self._require_partner(project, changes.get("responsible_organisation_id"))
        if "due_date" in changes:
            _check_in_period(project, changes["due_date"])
        return True


def _last_positions(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """Return the highest milestone number of each project that has milestones."""
    last: dict[int, int] = {}
    for batch in chunks(sorted(set(ids))):
        last.update(
            session.exec(
                select(Milestone.project_id, func.max(Milestone.position))
                .where(col(Milestone.project_id).in_(batch))
                .group_by(col(Milestone.project_id))
            ).all()
        )
    return last


@writes
def add_milestones(
    session: Session, principal: Principal, new: Sequence[tuple[Project, MilestoneCreate]]
) -> list[Milestone]:
    """Add each milestone at the end of its project's list, as ``add_milestone``; return them.

    Every row is checked before any is added, so a refusal leaves nothing behind.
    """
    rules = MilestoneRules(session, principal, (project for project, _data in new))
    for project, data in new:
        rules.check_new(project, data)
    last = _last_positions(session, (project.id for project, _data in new))
    created = []
    for project, data in new:
        last[project.id] = last.get(project.id, 0) + 1
        created.append(
            Milestone.model_validate(
                data,
                update={
                    "project_id": project.id,
                    "position": last[project.id],
                    "baseline_due_date": data.due_date,
                },
            )
        )
    session.add_all(created)
    return created


def _projects(session: Session, ids: Iterable[int]) -> dict[int, Project]:
    found: dict[int, Project] = {}
    for batch in chunks(sorted(set(ids))):
        found.update(
            (p.id, p) for p in session.exec(select(Project).where(col(Project.id).in_(batch)))
        )
    return found


@writes
def update_milestones(
    session: Session, principal: Principal, changes: Sequence[tuple[Milestone, MilestoneUpdate]]
) -> list[Milestone]:
    """Apply each change as ``update_milestone`` does; return the milestones.

    A change is checked before it is made; a refusal raises, and the caller's transaction
    undoes the changes before it.
    """
    projects = _projects(session, (milestone.project_id for milestone, _data in changes))
    rules = MilestoneRules(session, principal, projects.values())
    for milestone, data in changes:
        fields = data.model_dump(exclude_unset=True)
        if not rules.accepts_change(projects[milestone.project_id], milestone, fields):
            milestones.update_milestone(session, principal, milestone, data)
            continue
        if "due_date" in fields and milestone.due_date == milestone.baseline_due_date:
            milestone.baseline_due_date = fields["due_date"]
        for key, value in fields.items():
            setattr(milestone, key, value)
    return [milestone for milestone, _data in changes]
