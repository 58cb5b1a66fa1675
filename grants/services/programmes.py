"""Organisations, programmes, funders, calls and objectives: creation and look-ups."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, col, select

from grants.audit import note_projects
from grants.i18n import _
from grants.models import (
    Call,
    CallCreate,
    CallUpdate,
    Objective,
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    OrganisationUpdate,
    PartnerRole,
    Programme,
    ProgrammeCreate,
    ProgrammeFunder,
    ProgrammeUpdate,
    Project,
    ProjectPartner,
)
from grants.models.programmes import Objectives
from grants.services import organisations, references, scope
from grants.services.access import (
    Principal,
    manages_programme,
    require_programme_manager,
    require_works_as_manager,
    works_as_manager,
)
from grants.services.common import (
    apply_changes,
    checked_amount,
    checked_currency,
    flush,
    get_by_key,
    get_or_404,
    writes,
)
from grants.services.errors import Invalid, NotAllowed
from grants.services.forms import checked_text
from grants.services.rules import check_version


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise NotAllowed(_("Only an administrator may do this."))


@writes
def create_organisation(
    session: Session, principal: Principal, data: OrganisationCreate
) -> Organisation:
    """Create and return an organisation (admins and grant managers)."""
    require_works_as_manager(
        principal, _("Only an administrator or a grant manager may add organisations.")
    )
    organisation = Organisation.model_validate(data)
    session.add(organisation)
    return organisation


def organisation_by_ref(session: Session, ref: str) -> Organisation:
    """Return the organisation with reference ``ref``; raise ``NotFound``."""
    return get_by_key(session, Organisation, Organisation.ref, ref, "Organisation")


def organisation_directory(session: Session, principal: Principal) -> list[Organisation]:
    """Return every organisation by name for admins and grant managers, who choose from it."""
    if not works_as_manager(principal):
        return []
    return list(session.exec(select(Organisation).order_by(col(Organisation.name))).all())


def organisation_name(session: Session, organisation_id: int | None) -> str:
    """Return the name of organisation ``organisation_id``, or "" when there is none."""
    found = session.get(Organisation, organisation_id) if organisation_id else None
    return found.name if found else ""


@writes
def create_programme(session: Session, principal: Principal, data: ProgrammeCreate) -> Programme:
    """Create and return a programme run by an implementing organisation (admins only)."""
    _require_admin(principal)
    references.named_organisation(
        session, principal, data.managing_organisation_id, "managing_organisation_id"
    )
    programme = Programme.model_validate(data)
    session.add(programme)
    return programme


@writes
def add_funder(
    session: Session,
    principal: Principal,
    programme: Programme,
    organisation: Organisation,
    amount: Decimal,
    currency: str,
) -> ProgrammeFunder:
    """Record ``organisation`` as a donor of ``programme`` and return the contribution."""
    require_programme_manager(principal, programme)
    if organisation.kind not in {
        OrganisationKind.DONOR,
        OrganisationKind.NATIONAL_GOVERNMENT,
        OrganisationKind.INTERNATIONAL_ORGANISATION,
    }:
        raise Invalid("organisation", organisation.ref, _("a funder must be a donor organisation"))
    currency = checked_currency(currency)
    checked_amount("amount", amount, currency)
    funder = ProgrammeFunder(
        programme_id=programme.id, organisation_id=organisation.id, amount=amount, currency=currency
    )
    session.add(funder)
    return funder


@writes
def create_call(
    session: Session, principal: Principal, data: CallCreate, objectives: dict[str, str]
) -> Call:
    """Create and return a call of a programme with its objectives (code -> title)."""
    programme = references.named(session, principal, Programme, data.programme_id, "programme_id")
    require_programme_manager(principal, programme)
    if data.currency != programme.currency:
        raise Invalid("currency", data.currency, _("a call uses its programme's currency"))
    if not objectives:
        raise Invalid("objectives", objectives, _("a call needs at least one objective"))
    objectives = checked_text("objectives", objectives, Objectives)
    if data.opens_on < programme.start_date or data.closes_on > programme.end_date:
        raise Invalid(
            "opens_on", data.opens_on, _("a call must open and close within its programme")
        )
    call = Call.model_validate(data)
    session.add(call)
    flush(session)  # a code in use is a Conflict, not a 500
    for code, title in objectives.items():
        session.add(Objective(call_id=call.id, code=code, title=title))
    return call


@writes
def update_organisation(
    session: Session,
    principal: Principal,
    organisation: Organisation,
    data: OrganisationUpdate,
    expected_version: int | None = None,
) -> Organisation:
    """Apply the fields set in ``data`` to ``organisation`` and return it: an administrator,
    or a grant manager of every programme using it; the change goes into the history of every
    project it takes part in (see ``grants.services.organisations``)."""
    organisations.require_organisation_editor(session, principal, organisation)
    check_version(organisation, expected_version)
    # Asked before anything changes: the query would flush the change without its projects.
    note_projects(session, organisation, organisations.projects_using(session, organisation))
    apply_changes(organisation, OrganisationCreate, data.model_dump(exclude_unset=True))
    session.add(organisation)
    return organisation


@writes
def update_programme(
    session: Session,
    principal: Principal,
    programme: Programme,
    data: ProgrammeUpdate,
    expected_version: int | None = None,
) -> Programme:
    """Apply the fields set in ``data`` to ``programme`` (its grant manager or an admin)."""
    require_programme_manager(principal, programme)
    check_version(programme, expected_version)
    changes = data.model_dump(exclude_unset=True)
    apply_changes(programme, ProgrammeCreate, changes)
    if {"start_date", "end_date"} & changes.keys():
        outside = session.exec(
            select(Call.code).where(
                Call.programme_id == programme.id,
                (col(Call.opens_on) < programme.start_date)
                | (col(Call.closes_on) > programme.end_date),
            )
        ).first()
        if outside is not None:
            raise Invalid(
                "start_date",
                programme.start_date.isoformat(),
                _("call {code} would fall outside the programme").format(code=outside),
            )
    session.add(programme)
    return programme


@writes
def update_call(
    session: Session,
    principal: Principal,
    call: Call,
    data: CallUpdate,
    expected_version: int | None = None,
) -> Call:
    """Apply the fields set in ``data`` to ``call`` (the programme's grant manager)."""
    programme = get_or_404(session, Programme, call.programme_id, "Programme")
    require_programme_manager(principal, programme)
    check_version(call, expected_version)
    apply_changes(call, CallCreate, data.model_dump(exclude_unset=True))
    if call.opens_on < programme.start_date or call.closes_on > programme.end_date:
        raise Invalid(
            "opens_on",
            call.opens_on.isoformat(),
            _("a call must open and close within its programme"),
        )
    session.add(call)
    return call


def partners_of(session: Session, project: Project) -> list[tuple[ProjectPartner, Organisation]]:
    """Return the project's partners with their organisations, lead first."""
    rows = session.exec(
        select(ProjectPartner, Organisation)
        .join(Organisation, col(Organisation.id) == col(ProjectPartner.organisation_id))
        .where(ProjectPartner.project_id == project.id)
    ).all()
    return sorted(rows, key=lambda row: (row[0].role != PartnerRole.LEAD, row[1].name))


def programmes_with_calls(
    session: Session, principal: Principal
) -> list[tuple[Programme, list[Call], bool]]:
    """Return the programmes the principal sees, by code, each with its calls by code and
    whether the principal manages it."""
    shown = list(
        session.exec(scope.visible(principal, Programme).order_by(col(Programme.code))).all()
    )
    calls = session.exec(
        select(Call)
        .where(col(Call.programme_id).in_([p.id for p in shown]))
        .order_by(col(Call.code))
    ).all()
    return [
        (p, [c for c in calls if c.programme_id == p.id], manages_programme(principal, p))
        for p in shown
    ]


def calls_with_objectives(
    session: Session, principal: Principal
) -> list[tuple[Call, list[Objective]]]:
    """Return the calls the principal sees, by code, each with its objectives by code."""
    calls = list(session.exec(scope.visible(principal, Call).order_by(col(Call.code))).all())
    objectives = session.exec(
        select(Objective)
        .where(col(Objective.call_id).in_([c.id for c in calls]))
        .order_by(col(Objective.code))
    ).all()
    return [(c, [o for o in objectives if o.call_id == c.id]) for c in calls]
