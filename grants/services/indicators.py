"""Indicators (baseline, target, unit) and the values partners report per period."""

from __future__ import annotations

from sqlmodel import Session, select

from grants.i18n import _
from grants.models import (
    Indicator,
    IndicatorCreate,
    IndicatorUpdate,
    IndicatorValue,
    IndicatorValueCreate,
    Project,
)
from grants.services.access import Principal, require_manager, require_partner_editor
from grants.services.common import apply_changes, get_or_404, writes
from grants.services.errors import Invalid
from grants.services.rules import check_version, require_open, require_reporting


@writes
def add_indicator(
    session: Session, principal: Principal, project: Project, data: IndicatorCreate
) -> Indicator:
    """Add an indicator to the project and return it."""
    require_manager(session, principal, project)
    require_open(project)
    indicator = Indicator.model_validate(data, update={"project_id": project.id})
    session.add(indicator)
    return indicator


@writes
def update_indicator(
    session: Session,
    principal: Principal,
    project: Project,
    indicator: Indicator,
    data: IndicatorUpdate,
    expected_version: int | None = None,
) -> Indicator:
    """Apply the fields set in ``data`` to an indicator of an open project."""
    require_manager(session, principal, project)
    check_version(indicator, expected_version)
    require_open(project)
    apply_changes(indicator, IndicatorCreate, data.model_dump(exclude_unset=True))
    session.add(indicator)
    return indicator


@writes
def report_value(
    session: Session, principal: Principal, project: Project, data: IndicatorValueCreate
) -> IndicatorValue:
    """Record an indicator's value for a period, as the acting partner, and return it."""
    organisation_id = require_partner_editor(session, principal, project)
    require_reporting(project)
    indicator = get_or_404(session, Indicator, data.indicator_id, "Indicator")
    if indicator.project_id != project.id:
        raise Invalid("indicator_id", data.indicator_id, _("not an indicator of this project"))
    if data.period_start < project.planned_start:
        raise Invalid(
            "period_start",
            data.period_start.isoformat(),
            _("must not be before the project starts"),
        )
    duplicate = session.exec(
        select(IndicatorValue.id).where(
            IndicatorValue.indicator_id == indicator.id,
            IndicatorValue.period_end == data.period_end,
        )
    ).first()
    if duplicate is not None:
        raise Invalid(
            "period_end",
            data.period_end.isoformat(),
            _("a value for this period was already reported"),
        )
    value = IndicatorValue.model_validate(
        data,
        update={
            "project_id": project.id,
            "organisation_id": organisation_id,
            "reported_by_id": principal.user_id,
        },
    )
    session.add(value)
    return value
