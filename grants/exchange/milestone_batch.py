"""New milestones in bulk: each checked by ``milestones.add_milestone``'s rules, all in one flush.

Those rules look up two facts per row: whether the principal manages the project, and
whether the responsible organisation is one of its partners. Here both are loaded once for
every project of the batch; a row they would refuse goes to the service's own rule, so the
refusal reads exactly as it does when one milestone is added on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from grants.exchange.import_rows import chunks
from grants.models import Call, Milestone, MilestoneCreate, Programme, Project, ProjectPartner
from grants.services.access import Principal, require_manager
from grants.services.common import writes
from grants.services.milestones import _check_in_period, _check_responsible
from grants.services.rules import require_open


def managed_project_ids(session: Session, principal: Principal, ids: Iterable[int]) -> set[int]:
    """Return which of the projects ``ids`` the principal manages, by ``require_manager``'s rule."""
    wanted = set(ids)
    if principal.is_admin:
        return wanted
    if not principal.manager_org_ids:
        return set()
    managed: set[int] = set()
    for batch in chunks(sorted(wanted)):
        managed.update(
            session.exec(
                select(Project.id)
                .join(Call, col(Call.id) == col(Project.call_id))
                .join(Programme, col(Programme.id) == col(Call.programme_id))
                .where(
                    col(Project.id).in_(batch),
                    col(Programme.managing_organisation_id).in_(principal.manager_org_ids),
                )
            )
        )
    return managed


class NewMilestoneRules:
    """The rules a new milestone must meet, with what they look up loaded for many projects."""

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

    def check(self, project: Project, data: MilestoneCreate) -> None:
        """Raise the error ``add_milestone`` would raise for ``data`` in ``project``, if any."""
        if project.id not in self.managed:
            require_manager(self.session, self.principal, project)
            self.managed.add(project.id)
        require_open(project)
        _check_in_period(project, data.due_date)
        organisation_id = data.responsible_organisation_id
        if organisation_id is not None and (project.id, organisation_id) not in self.partners:
            _check_responsible(self.session, project, organisation_id)


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
    rules = NewMilestoneRules(session, principal, (project for project, _data in new))
    for project, data in new:
        rules.check(project, data)
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
