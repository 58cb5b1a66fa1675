"""Organisations shared by programmes: who may change one, and whose history records it.

An organisation is used by a programme when it manages or funds the programme, or takes
part in (or co-finances) one of the programme's projects. Its record is everyone's: a name
or a country changed for one programme changes every page, list and report of the others.
So a grant manager may change an organisation only if they manage every programme using it
(an organisation no programme uses yet is any grant manager's to correct); administrators
may change any. The change is written into the history of every project the organisation
takes part in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import union
from sqlmodel import Session, col, select

from grants.db import chunks
from grants.i18n import _
from grants.models import (
    Call,
    CoFinancing,
    Organisation,
    Programme,
    ProgrammeFunder,
    Project,
    ProjectPartner,
)
from grants.services.access import Principal, managed_programme_condition, works_as_manager
from grants.services.errors import NotAllowed


def _taking_part(model: Any, organisation_ids: list[int]) -> Any:
    """Return the select of (organisation id, programme id) through ``model``'s projects."""
    return (
        select(col(model.organisation_id), col(Call.programme_id))
        .join(Project, col(Project.id) == col(model.project_id))
        .join(Call, col(Call.id) == col(Project.call_id))
        .where(col(model.organisation_id).in_(organisation_ids))
    )


def _programmes_using(session: Session, organisation_ids: Iterable[int]) -> dict[int, set[int]]:
    """Return, per organisation, the ids of the programmes using it."""
    using: dict[int, set[int]] = {}
    for batch in chunks(sorted(set(organisation_ids))):
        statement = union(
            _taking_part(ProjectPartner, batch),
            _taking_part(CoFinancing, batch),
            select(col(ProgrammeFunder.organisation_id), col(ProgrammeFunder.programme_id)).where(
                col(ProgrammeFunder.organisation_id).in_(batch)
            ),
            select(col(Programme.managing_organisation_id), col(Programme.id)).where(
                col(Programme.managing_organisation_id).in_(batch)
            ),
        )
        for organisation_id, programme_id in session.execute(statement):
            using.setdefault(int(organisation_id), set()).add(int(programme_id))
    return using


def _managed_programme_ids(session: Session, principal: Principal) -> set[int]:
    return set(session.exec(select(Programme.id).where(managed_programme_condition(principal))))


def changeable_organisation_ids(
    session: Session, principal: Principal, organisation_ids: Iterable[int]
) -> set[int]:
    """Return which of ``organisation_ids`` the principal may change (see the module)."""
    wanted = set(organisation_ids)
    if principal.is_admin:
        return wanted
    if not works_as_manager(principal) or not wanted:
        return set()
    using = _programmes_using(session, wanted)
    managed = _managed_programme_ids(session, principal)
    return {ident for ident in wanted if using.get(ident, set()) <= managed}


def require_organisation_editor(
    session: Session, principal: Principal, organisation: Organisation
) -> None:
    """Raise ``NotAllowed`` unless the principal may change ``organisation``, naming the
    programmes using it that they do not manage."""
    if organisation.id in changeable_organisation_ids(session, principal, [organisation.id]):
        return
    if not works_as_manager(principal):
        raise NotAllowed(_("Only an administrator or a grant manager may edit organisations."))
    foreign = _programmes_using(session, [organisation.id]).get(
        organisation.id, set()
    ) - _managed_programme_ids(session, principal)
    codes = session.exec(
        select(Programme.code).where(col(Programme.id).in_(foreign)).order_by(col(Programme.code))
    ).all()
    raise NotAllowed(
        _(
            "{name} is also used by {codes}, which you do not manage: only a grant manager of "
            "every programme using it, or an administrator, may change it."
        ).format(name=organisation.name, codes=", ".join(codes))
    )


def projects_using(session: Session, organisation: Organisation) -> list[int]:
    """Return the ids of the projects ``organisation`` takes part in or co-finances."""
    statement = union(
        select(col(ProjectPartner.project_id)).where(
            ProjectPartner.organisation_id == organisation.id
        ),
        select(col(CoFinancing.project_id)).where(CoFinancing.organisation_id == organisation.id),
    )
    return sorted(int(row[0]) for row in session.execute(statement))
