"""The acting principal and the permission checks every service applies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, select

from grants.db import chunks
from grants.i18n import _
from grants.models import (
    Call,
    Membership,
    PartnerRole,
    Programme,
    Project,
    ProjectPartner,
    Role,
    User,
)
from grants.services.errors import NotAllowed


@dataclass(frozen=True)
class Principal:
    """Who is acting, and through which memberships."""

    user_id: int | None
    label: str
    is_admin: bool = False
    manager_org_ids: frozenset[int] = field(default_factory=frozenset)
    donor_org_ids: frozenset[int] = field(default_factory=frozenset)
    editor_org_ids: frozenset[int] = field(default_factory=frozenset)
    viewer_org_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def partner_org_ids(self) -> frozenset[int]:
        """Organisations whose projects the principal sees as a partner."""
        return self.editor_org_ids | self.viewer_org_ids


SYSTEM = Principal(user_id=None, label="system", is_admin=True)


def principal_for(session: Session, user: User) -> Principal:
    """Return the principal of ``user`` built from their memberships."""
    rows = session.exec(
        select(Membership.role, Membership.organisation_id).where(Membership.user_id == user.id)
    ).all()
    by_role: dict[Role, set[int]] = {role: set() for role in Role}
    for role, organisation_id in rows:
        if organisation_id is not None:
            by_role[Role(role)].add(organisation_id)
    return Principal(
        user_id=user.id,
        label=user.email,
        is_admin=any(role == Role.ADMIN for role, _org in rows),
        manager_org_ids=frozenset(by_role[Role.GRANT_MANAGER]),
        donor_org_ids=frozenset(by_role[Role.DONOR]),
        editor_org_ids=frozenset(by_role[Role.PARTNER_EDITOR]),
        viewer_org_ids=frozenset(by_role[Role.PARTNER_VIEWER]),
    )


def works_as_manager(principal: Principal) -> bool:
    """Return whether the principal works as a grant manager (administrators do too)."""
    return principal.is_admin or bool(principal.manager_org_ids)


def require_works_as_manager(principal: Principal, refusal: str | None = None) -> None:
    """Raise ``NotAllowed`` (with ``refusal``, or a plain default) unless the principal works
    as a grant manager."""
    if not works_as_manager(principal):
        raise NotAllowed(refusal or _("Only grant managers and administrators may do this."))


def manages_programme(principal: Principal, programme: Programme) -> bool:
    """Return whether the principal manages ``programme`` (admins manage everything)."""
    return principal.is_admin or programme.managing_organisation_id in principal.manager_org_ids


def require_programme_manager(principal: Principal, programme: Programme) -> None:
    """Raise ``NotAllowed`` unless the principal manages ``programme``."""
    if not manages_programme(principal, programme):
        raise NotAllowed(_("Only the programme's grant manager may do this."))


def manages_project(session: Session, principal: Principal, project: Project) -> bool:
    """Return whether the principal is a grant manager of the project's programme."""
    if principal.is_admin:
        return True
    if not principal.manager_org_ids:
        return False
    managing = session.exec(
        select(Programme.managing_organisation_id)
        .join(Call, Call.programme_id == Programme.id)  # type: ignore[arg-type]
        .where(Call.id == project.call_id)
    ).one()
    return managing in principal.manager_org_ids


def managed_programme_condition(principal: Principal) -> ColumnElement[bool]:
    """Return the condition on Programme rows that ``manages_programme`` holds for."""
    if principal.is_admin:
        return true()
    return col(Programme.managing_organisation_id).in_(principal.manager_org_ids)


def managed_calls_select(principal: Principal) -> Any:
    """Return the select of the ids of the calls in the programmes the principal manages."""
    return (
        select(Call.id)
        .join(Programme, col(Programme.id) == col(Call.programme_id))
        .where(managed_programme_condition(principal))
    )


def managed_project_condition(principal: Principal) -> ColumnElement[bool]:
    """Return the condition on Project rows that ``manages_project`` holds for."""
    if principal.is_admin:
        return true()
    return col(Project.call_id).in_(managed_calls_select(principal))


def managed_project_ids(session: Session, principal: Principal, ids: Iterable[int]) -> set[int]:
    """Return which of the projects ``ids`` the principal manages, as ``manages_project``."""
    wanted = set(ids)
    if principal.is_admin:
        return wanted
    if not principal.manager_org_ids:
        return set()
    managed: set[int] = set()
    for batch in chunks(sorted(wanted)):
        managed.update(
            session.exec(
                select(Project.id).where(
                    col(Project.id).in_(batch), managed_project_condition(principal)
                )
            )
        )
    return managed


def editing_partner_ids(session: Session, principal: Principal, project: Project) -> set[int]:
    """Return the implementing partners of ``project`` the principal may edit for."""
    if not principal.editor_org_ids:
        return set()
    rows = session.exec(
        select(ProjectPartner.organisation_id).where(
            ProjectPartner.project_id == project.id,
            ProjectPartner.role != PartnerRole.FUNDER,
            ProjectPartner.organisation_id.in_(principal.editor_org_ids),  # type: ignore[attr-defined]
        )
    ).all()
    return set(rows)


def require_manager(session: Session, principal: Principal, project: Project) -> None:
    """Raise ``NotAllowed`` unless the principal manages ``project``."""
    if not manages_project(session, principal, project):
        raise NotAllowed(_("Only the project's grant manager may do this."))


def require_partner_editor(
    session: Session, principal: Principal, project: Project, organisation_id: int | None = None
) -> int | None:
    """Return the organisation the principal edits for; raise ``NotAllowed`` if none.

    With ``organisation_id`` the principal must edit for that very organisation, or for the
    project's lead grantee when it is one of the project's implementing partners. Admins act
    for any organisation and get ``organisation_id`` back.
    """
    if principal.is_admin:
        if organisation_id is not None and not _implements(session, project, organisation_id):
            raise NotAllowed(_("That organisation is not an implementing partner of the project."))
        return organisation_id
    editable = editing_partner_ids(session, principal, project)
    if organisation_id is None:
        if editable:
            return min(editable)
        raise NotAllowed(_("Only an editor of a partner organisation of this project may do this."))
    if organisation_id in editable or (
        _leads(session, project, editable) and _implements(session, project, organisation_id)
    ):
        return organisation_id
    raise NotAllowed(_("Only an editor of the responsible organisation may do this."))


def _leads(session: Session, project: Project, organisation_ids: set[int]) -> bool:
    if not organisation_ids:
        return False
    lead = session.exec(
        select(ProjectPartner.organisation_id).where(
            ProjectPartner.project_id == project.id, ProjectPartner.role == PartnerRole.LEAD
        )
    ).first()
    return lead in organisation_ids


def _implements(session: Session, project: Project, organisation_id: int) -> bool:
    return (
        session.exec(
            select(ProjectPartner.id).where(
                ProjectPartner.project_id == project.id,
                ProjectPartner.organisation_id == organisation_id,
                ProjectPartner.role != PartnerRole.FUNDER,
            )
        ).first()
        is not None
    )
