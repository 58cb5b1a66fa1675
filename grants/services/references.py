"""The rows a writer names in what they send, checked before anything is written.

Each must exist, be within the writer's sight and fit its place: a project's grant manager
is an active grant manager of the project's programme; a milestone's responsible
organisation is one of the project's implementing partners; a call, a programme or an
organisation named in a form, an API body or an imported row is one the writer may see.
Web forms, the API and the importer all name rows through these services, so an unknown or
unfit row is a field error naming the field (422), never a missing page, another
programme's row or the database's refusal.
"""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from grants.i18n import _
from grants.models import (
    Call,
    Membership,
    Organisation,
    PartnerRole,
    Programme,
    Project,
    ProjectPartner,
    Role,
    User,
)
from grants.services import scope, search
from grants.services.access import Principal
from grants.services.errors import Invalid, NotFound

M = TypeVar("M", bound=SQLModel)


def named(session: Session, principal: Principal, model: type[M], ident: int, field: str) -> M:
    """Return the ``model`` row ``ident`` that ``field`` names, if the principal may see it;
    raise ``Invalid`` naming ``field`` when there is no such row in their sight."""
    try:
        return scope.get_visible(session, principal, model, ident)
    except NotFound:
        raise Invalid(
            field, ident, _("names no {kind} you may use").format(kind=_(model.__name__.lower()))
        ) from None


def named_organisation(
    session: Session, principal: Principal, ident: int, field: str
) -> Organisation:
    """Return organisation ``ident`` that ``field`` names, if the principal may see it;
    raise ``Invalid`` naming ``field`` when there is no such organisation in their sight."""
    try:
        return search.visible_organisation(session, principal, ident)
    except NotFound:
        raise Invalid(field, ident, _("names no organisation you may use")) from None


def _eligible_managers(programme: Programme) -> SelectOfScalar[User]:
    return (
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            col(User.is_active),
            Membership.role == Role.GRANT_MANAGER,
            Membership.organisation_id == programme.managing_organisation_id,
        )
    )


def eligible_managers(session: Session, project: Project) -> list[User]:
    """Return the users who may be ``project``'s grant manager, by name: the active grant
    managers of the organisation that manages its programme."""
    programme = session.exec(
        select(Programme)
        .join(Call, col(Call.programme_id) == col(Programme.id))
        .where(col(Call.id) == project.call_id)
    ).one()
    statement = _eligible_managers(programme).order_by(col(User.full_name), col(User.id))
    return list(session.exec(statement).all())


def check_manager(session: Session, programme: Programme, manager_id: int | None) -> None:
    """Raise ``Invalid`` naming ``manager_id`` unless it is None or one of the
    ``eligible_managers`` of ``programme``."""
    if manager_id is None:
        return
    statement = _eligible_managers(programme).where(col(User.id) == manager_id)
    if session.exec(statement).first() is None:
        raise Invalid(
            "manager_id",
            manager_id,
            _("must be an active grant manager of programme {code}").format(code=programme.code),
        )


def check_responsible(session: Session, project: Project, organisation_id: int | None) -> None:
    """Raise ``Invalid`` naming ``responsible_organisation_id`` unless it is None or one of
    the project's implementing partners (a funder does not deliver milestones)."""
    if organisation_id is None:
        return
    partner = session.exec(
        select(ProjectPartner.id).where(
            ProjectPartner.project_id == project.id,
            ProjectPartner.organisation_id == organisation_id,
            ProjectPartner.role != PartnerRole.FUNDER,
        )
    ).first()
    if partner is None:
        raise Invalid(
            "responsible_organisation_id",
            organisation_id,
            _("the responsible organisation must be an implementing partner of the project"),
        )
