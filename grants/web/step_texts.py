"""What each workflow step's page says: its title, button, reason label, the record's facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from grants.i18n import _, format_money
from grants.models import Attachment, Milestone, ProgressUpdate, Tranche
from grants.services import portal_views, programmes
from grants.services.access import Principal
from grants.web.forms import Current


@dataclass(frozen=True)
class StepText:
    """The words of one step's page."""

    title: str
    button: str
    reason_label: str
    reason_hint: str | None = None
    danger: bool = False


def _name(kind: str, obj: Any) -> str:
    if kind == "milestones":
        return _("milestone {n} “{title}”").format(n=obj.position, title=obj.title)
    if kind == "tranches":
        return _("tranche {n}").format(n=obj.position)
    if kind == "progress-updates":
        return _("the progress update for {start} to {end}").format(
            start=obj.period_start, end=obj.period_end
        )
    return _("project {ref}").format(ref=obj.reference)


def text(kind: str, step: str, obj: Any) -> StepText:
    """Return the words of ``step`` on ``obj``."""
    name = _name(kind, obj)
    note = _("Note to the partner")
    reason = _("Reason")
    returned = _("Say what is missing or must change; the partner sees this.")
    table: dict[str, StepText] = {
        "accept": StepText(_("Accept {name}").format(name=name), _("Accept"), note),
        "approve": StepText(_("Approve {name}").format(name=name), _("Approve"), note),
        "return": StepText(
            _("Return {name} to the partner").format(name=name), _("Return"), reason, returned
        ),
        "cancel": StepText(
            _("Cancel {name}").format(name=name), _("Cancel it"), reason, None, danger=True
        ),
        "pay": StepText(
            _("Record the payment of {name}").format(name=name), _("Record payment"), note
        ),
        "start_contracting": StepText(
            _("Start contracting {name}").format(name=name), _("Start contracting"), reason
        ),
        "activate": StepText(_("Activate {name}").format(name=name), _("Activate"), reason),
        "finalise": StepText(
            _("Start finalising {name}").format(name=name), _("Start finalising"), reason
        ),
        "close": StepText(_("Close {name}").format(name=name), _("Close"), reason),
        "suspend": StepText(
            _("Suspend {name}").format(name=name), _("Suspend"), reason, None, danger=True
        ),
        "resume": StepText(_("Resume {name}").format(name=name), _("Resume"), reason),
    }
    return table[step]


def done_message(kind: str, step: str, obj: Any) -> str:
    """Return the message shown after ``step`` was taken on ``obj``."""
    name = _name(kind, obj)
    messages = {
        "accept": _("Accepted {name}."),
        "approve": _("Approved {name}."),
        "return": _("Returned {name} to the partner."),
        "cancel": _("Cancelled {name}."),
        "pay": _("Recorded the payment of {name}."),
        "start_contracting": _("Started contracting {name}."),
        "activate": _("Activated {name}."),
        "finalise": _("{name} is now finalising."),
        "close": _("Closed {name}."),
        "suspend": _("Suspended {name}."),
        "resume": _("Resumed {name}."),
    }
    return messages[step].format(name=name)


def _status(value: Any) -> str:
    return _(value.value).replace("_", " ")


def facts(db: Session, principal: Principal, kind: str, obj: Any) -> Current:
    """Return what the manager decides on: the record's facts as (label, value) pairs."""
    if isinstance(obj, Milestone):
        return [
            (_("Milestone"), f"{obj.position}. {obj.title}"),
            (_("Responsible"), programmes.organisation_name(db, obj.responsible_organisation_id)),
            (_("Evidence required"), obj.evidence_required),
            (_("Baseline due date"), obj.baseline_due_date),
            (_("Due date"), obj.due_date),
            (_("Status"), _status(obj.status)),
            (_("Submitted on"), obj.submitted_on),
            (_("Note from the partner"), portal_views.last_submission_note(db, obj)),
            (_("Review note"), obj.review_note),
        ]
    if isinstance(obj, Tranche):
        return [
            (_("Tranche"), obj.position),
            (_("Amount"), format_money(obj.amount, obj.currency)),
            (_("Planned date"), obj.planned_date),
            (_("Status"), _status(obj.status)),
            (_("Approved on"), obj.approved_on),
            (_("Paid on"), obj.paid_on),
        ]
    if isinstance(obj, ProgressUpdate):
        return [
            (_("From"), programmes.organisation_name(db, obj.organisation_id)),
            (_("Period"), _("{start} to {end}").format(start=obj.period_start, end=obj.period_end)),
            (_("Overall status"), _status(obj.overall_status)),
            (_("Percent complete"), f"{obj.percent_complete} %"),
            (_("Achievements"), obj.achievements),
            (_("Challenges"), obj.challenges),
            (_("Next steps"), obj.next_steps),
            (_("Status"), _status(obj.status)),
            (_("Submitted on"), obj.submitted_on),
        ]
    return [
        (_("Project"), f"{obj.reference} · {obj.title}"),
        (_("Status"), _status(obj.status)),
        (_("Awarded"), format_money(obj.awarded_amount, obj.currency)),
        (
            _("Planned period"),
            _("{start} to {end}").format(start=obj.planned_start, end=obj.planned_end),
        ),
    ]


def files(db: Session, principal: Principal, kind: str, obj: Any) -> list[Attachment]:
    """Return the evidence files the principal may see on a milestone or update, oldest first."""
    if kind not in ("milestones", "progress-updates"):
        return []
    return list(reversed(portal_views.evidence_of(db, principal, obj)))
