"""Milestones: planning inside the project period, re-planning, evidence, review; attachments."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from grants.models import (
    Attachment,
    AuditEvent,
    Milestone,
    MilestoneCreate,
    MilestoneStatus,
    MilestoneUpdate,
    Project,
    ProjectStatus,
    ReviewStatus,
    Role,
)
from grants.services import attachments, milestones, projects
from grants.services.access import SYSTEM
from grants.services.errors import Conflict, Invalid
from tests import factories as f
from tests.factories import END, REASON, START, TODAY

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)
REPORTING_ONLY = "partners report only while it is active or finalising"


def _active(session: Session) -> tuple[Project, Milestone]:
    project = f.project_in(session, ProjectStatus.ACTIVE)
    return project, milestones.milestones_of(session, project)[0]


# Planning


@pytest.mark.parametrize(
    ("due", "accepted"),
    [
        (START - dt.timedelta(days=1), False),
        (START, True),
        (END, True),
        (END + dt.timedelta(days=1), False),
    ],
    ids=["day before start", "first day", "last day", "day after end"],
)
def test_a_milestone_is_due_within_the_project_period(
    tx_session: Session, due: dt.date, accepted: bool
) -> None:
    project = f.project(tx_session)
    data = MilestoneCreate(title="Baseline study", due_date=due)

    if accepted:
        milestone = milestones.add_milestone(tx_session, SYSTEM, project, data)
        assert milestone.due_date == milestone.baseline_due_date == due
    else:
        with pytest.raises(Invalid) as refused:
            milestones.add_milestone(tx_session, SYSTEM, project, data)
        assert refused.value.field == "due_date"


def test_new_milestones_go_to_the_end_of_the_list(tx_session: Session) -> None:
    project = f.project(tx_session)
    first = f.milestone(tx_session, project, title="Inception")
    second = f.milestone(tx_session, project, title="Final")

    assert [m.title for m in milestones.milestones_of(tx_session, project)] == [
        "Inception",
        "Final",
    ]
    assert (first.position, second.position) == (1, 2)


def test_updating_cannot_move_a_milestone_outside_the_period(tx_session: Session) -> None:
    _, milestone = _active(tx_session)

    with pytest.raises(Invalid) as refused:
        milestones.update_milestone(
            tx_session, SYSTEM, milestone, MilestoneUpdate(due_date=dt.date(2027, 1, 15))
        )

    assert refused.value.field == "due_date"
    tx_session.refresh(milestone)
    assert milestone.due_date == dt.date(2026, 3, 31)


def test_the_responsible_organisation_must_be_a_partner(tx_session: Session) -> None:
    project = f.project(tx_session)
    outsider = f.organisation(tx_session)

    with pytest.raises(Invalid) as refused:
        f.milestone(tx_session, project, responsible_organisation_id=outsider.id)

    assert refused.value.field == "responsible_organisation_id"


def test_a_refused_update_changes_nothing(tx_session: Session) -> None:
    _, milestone = _active(tx_session)
    outsider = f.organisation(tx_session)
    events = tx_session.exec(select(func.count()).select_from(AuditEvent)).one()

    with pytest.raises(Invalid):
        milestones.update_milestone(
            tx_session,
            SYSTEM,
            milestone,
            MilestoneUpdate(due_date=dt.date(2026, 4, 30), responsible_organisation_id=outsider.id),
        )

    tx_session.refresh(milestone)
    assert (milestone.due_date, milestone.baseline_due_date) == (dt.date(2026, 3, 31),) * 2
    assert tx_session.exec(select(func.count()).select_from(AuditEvent)).one() == events


# Re-planning


def test_replanning_keeps_the_baseline_and_may_leave_the_period(tx_session: Session) -> None:
    _, milestone = _active(tx_session)

    milestones.replan_milestone(
        tx_session, SYSTEM, milestone, dt.date(2027, 2, 28), "Elections delayed the workshops"
    )

    tx_session.refresh(milestone)
    assert milestone.due_date == dt.date(2027, 2, 28)
    assert milestone.baseline_due_date == dt.date(2026, 3, 31)
    assert milestone.replan_reason == "Elections delayed the workshops"


def test_replanning_twice_still_keeps_the_first_baseline(tx_session: Session) -> None:
    _, milestone = _active(tx_session)
    milestones.replan_milestone(tx_session, SYSTEM, milestone, dt.date(2026, 5, 31), REASON)
    milestones.update_milestone(
        tx_session, SYSTEM, milestone, MilestoneUpdate(due_date=dt.date(2026, 6, 30))
    )

    milestones.replan_milestone(tx_session, SYSTEM, milestone, dt.date(2026, 8, 31), REASON)

    assert milestone.baseline_due_date == dt.date(2026, 3, 31)
    assert milestone.due_date == dt.date(2026, 8, 31)


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_replanning_needs_a_reason(tx_session: Session, reason: str | None) -> None:
    _, milestone = _active(tx_session)

    with pytest.raises(Invalid) as refused:
        milestones.replan_milestone(tx_session, SYSTEM, milestone, dt.date(2026, 5, 31), reason)  # type: ignore[arg-type]

    assert refused.value.field == "reason"
    assert milestone.due_date == dt.date(2026, 3, 31)


def test_replanning_cannot_go_before_the_project_start(tx_session: Session) -> None:
    _, milestone = _active(tx_session)

    with pytest.raises(Invalid) as refused:
        milestones.replan_milestone(tx_session, SYSTEM, milestone, dt.date(2025, 12, 31), REASON)

    assert refused.value.field == "due_date"


@pytest.mark.parametrize("status", [MilestoneStatus.ACCEPTED, MilestoneStatus.CANCELLED])
def test_a_settled_milestone_is_not_replanned(tx_session: Session, status: MilestoneStatus) -> None:
    milestone = f.milestone_in(tx_session, status)

    with pytest.raises(Conflict):
        milestones.replan_milestone(tx_session, SYSTEM, milestone, dt.date(2026, 9, 30), REASON)
    with pytest.raises(Conflict):
        milestones.update_milestone(tx_session, SYSTEM, milestone, MilestoneUpdate(title="New"))


# Submission and review


def test_submitting_needs_the_required_evidence(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)
    milestone = f.milestone(
        tx_session, project, evidence_required="Signed attendance sheets of the workshops"
    )

    with pytest.raises(Invalid) as refused:
        milestones.advance_milestone(tx_session, SYSTEM, milestone, "submit", today=TODAY)
    assert refused.value.field == "evidence"
    assert milestone.status == MilestoneStatus.PLANNED

    attachments.attach(tx_session, SYSTEM, milestone, "attendance.pdf", PDF)
    milestones.advance_milestone(tx_session, SYSTEM, milestone, "submit", today=TODAY)

    assert milestone.status == MilestoneStatus.SUBMITTED
    assert milestone.submitted_on == TODAY


def test_the_responsible_partner_attaches_evidence_and_submits(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)
    partner = f.partner(tx_session, project)
    milestone = f.milestone(
        tx_session,
        project,
        evidence_required="Photos of the info desk",
        responsible_organisation_id=partner.id,
    )
    user, editor = f.user(tx_session, Role.PARTNER_EDITOR, partner)

    attachment = attachments.attach(tx_session, editor, milestone, "desk.png", PNG)
    milestones.advance_milestone(tx_session, editor, milestone, "submit", today=TODAY)

    assert attachment.uploaded_by_id == user.id
    assert milestone.status == MilestoneStatus.SUBMITTED


def test_accepting_records_the_date(tx_session: Session) -> None:
    milestone = f.milestone_in(tx_session, MilestoneStatus.SUBMITTED)

    milestones.advance_milestone(
        tx_session, SYSTEM, milestone, "accept", today=dt.date(2026, 6, 20)
    )

    tx_session.refresh(milestone)
    assert milestone.status == MilestoneStatus.ACCEPTED
    assert milestone.accepted_on == dt.date(2026, 6, 20)


def test_accepting_before_the_submission_date_is_refused(tx_session: Session) -> None:
    milestone = f.milestone_in(tx_session, MilestoneStatus.SUBMITTED)

    with pytest.raises(Invalid) as refused:
        milestones.advance_milestone(
            tx_session, SYSTEM, milestone, "accept", today=TODAY - dt.timedelta(days=1)
        )

    assert refused.value.field == "today"
    assert milestone.status == MilestoneStatus.SUBMITTED


def test_returning_keeps_the_reason_for_the_partner(tx_session: Session) -> None:
    milestone = f.milestone_in(tx_session, MilestoneStatus.SUBMITTED)

    milestones.advance_milestone(
        tx_session,
        SYSTEM,
        milestone,
        "return",
        today=TODAY,
        reason="The attendance sheets are not signed",
    )
    milestones.advance_milestone(tx_session, SYSTEM, milestone, "submit", today=TODAY)

    tx_session.refresh(milestone)
    assert milestone.status == MilestoneStatus.SUBMITTED
    assert milestone.review_note == "The attendance sheets are not signed"


@pytest.mark.parametrize(
    "status", [ProjectStatus.DRAFT, ProjectStatus.CONTRACTING, ProjectStatus.SUSPENDED]
)
@pytest.mark.parametrize("step", ["start", "submit"])
def test_milestones_move_only_while_the_project_is_active_or_finalising(
    tx_session: Session, status: ProjectStatus, step: str
) -> None:
    project = f.project_in(tx_session, status)
    milestone = milestones.milestones_of(tx_session, project)[0]

    with pytest.raises(Conflict, match=f"is {status.value}: {REPORTING_ONLY}"):
        milestones.advance_milestone(tx_session, SYSTEM, milestone, step, today=TODAY)

    assert milestone.status == MilestoneStatus.PLANNED


def _suspended_with(session: Session, status: MilestoneStatus) -> Milestone:
    """The milestone of an active project moved to ``status``, then the project suspended."""
    project, milestone = _active(session)
    f.milestone_in(session, status, milestone)
    projects.advance_project(session, SYSTEM, project, "suspend", today=TODAY, reason=REASON)
    return milestone


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("start", MilestoneStatus.PLANNED),
        ("submit", MilestoneStatus.IN_PROGRESS),
        ("submit", MilestoneStatus.RETURNED),
        ("accept", MilestoneStatus.SUBMITTED),
        ("return", MilestoneStatus.SUBMITTED),
    ],
)
def test_no_step_but_cancel_is_taken_on_a_suspended_project(
    tx_session: Session, step: str, status: MilestoneStatus
) -> None:
    milestone = _suspended_with(tx_session, status)
    events = tx_session.exec(select(func.count()).select_from(AuditEvent)).one()

    with pytest.raises(Conflict, match=f"is suspended: {REPORTING_ONLY}"):
        milestones.advance_milestone(
            tx_session, SYSTEM, milestone, step, today=TODAY, reason=REASON
        )

    tx_session.refresh(milestone)
    assert milestone.status == status
    assert tx_session.exec(select(func.count()).select_from(AuditEvent)).one() == events


@pytest.mark.parametrize(
    "status",
    [
        MilestoneStatus.PLANNED,
        MilestoneStatus.IN_PROGRESS,
        MilestoneStatus.SUBMITTED,
        MilestoneStatus.RETURNED,
    ],
)
def test_a_milestone_of_a_suspended_project_can_still_be_cancelled(
    tx_session: Session, status: MilestoneStatus
) -> None:
    milestone = _suspended_with(tx_session, status)

    milestones.advance_milestone(
        tx_session, SYSTEM, milestone, "cancel", today=TODAY, reason="Dropped from the plan"
    )

    tx_session.refresh(milestone)
    assert milestone.status == MilestoneStatus.CANCELLED
    assert milestone.review_note == "Dropped from the plan"


def test_milestones_still_move_while_the_project_is_finalising(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.FINALISING)
    milestone = f.milestone(tx_session, project, title="Closing event", due_date=END)

    for step in ["start", "submit", "accept"]:
        milestones.advance_milestone(tx_session, SYSTEM, milestone, step, today=TODAY)

    tx_session.refresh(milestone)
    assert milestone.status == MilestoneStatus.ACCEPTED


def test_a_stale_version_is_a_conflict(tx_session: Session) -> None:
    milestone = f.milestone_in(tx_session, MilestoneStatus.PLANNED)
    stale = milestone.version
    milestones.update_milestone(tx_session, SYSTEM, milestone, MilestoneUpdate(title="Renamed"))

    with pytest.raises(Conflict):
        milestones.advance_milestone(
            tx_session, SYSTEM, milestone, "start", today=TODAY, expected_version=stale
        )

    assert milestone.status == MilestoneStatus.PLANNED


# Attachments


def test_an_attachment_is_stored_under_a_generated_name(
    tx_session: Session, data_dir: Path
) -> None:
    _, milestone = _active(tx_session)

    attachment = attachments.attach(tx_session, SYSTEM, milestone, "report.PDF", PDF)

    assert attachment.filename == "report.PDF"
    assert attachment.content_type == "application/pdf"
    assert attachment.size_bytes == len(PDF)
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.stored_name != "report.PDF"
    assert (data_dir / "attachments" / attachment.stored_name).read_bytes() == PDF
    assert attachments.read_attachment(attachment) == PDF


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd.pdf", "..\\..\\boot.pdf", "/etc/cron.d/evil.pdf", "a/../../x.pdf"],
)
def test_a_path_in_the_filename_is_harmless(
    tx_session: Session, data_dir: Path, filename: str
) -> None:
    _, milestone = _active(tx_session)

    attachment = attachments.attach(tx_session, SYSTEM, milestone, filename, PDF)

    assert "/" not in attachment.filename
    assert "\\" not in attachment.filename
    assert ".." not in attachment.filename
    assert attachment.filename.endswith(".pdf")
    stored = list((data_dir / "attachments").iterdir())
    assert [p.name for p in stored] == [attachment.stored_name]
    assert len(attachment.stored_name) == 32
    assert set(attachment.stored_name) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    ("filename", "content", "why"),
    [
        ("setup.exe", b"MZ\x90\x00", "allowed types"),
        ("report", PDF, "allowed types"),
        ("report.pdf", PNG, "not a .pdf file"),
        ("photo.png", PDF, "not a .png file"),
        ("minutes.docx", PDF, "not a .docx file"),
        ("notes.txt", "café".encode("latin-1"), "UTF-8"),
        ("notes.txt", b"abc\x00def", "binary"),
        ("big.pdf", b"%PDF-" + bytes(10 * 1024 * 1024), "10 MB"),
    ],
    ids=[
        "executable",
        "no extension",
        "png bytes named pdf",
        "pdf bytes named png",
        "pdf bytes named docx",
        "latin-1 text",
        "nul byte in text",
        "over 10 MB",
    ],
)
def test_an_unacceptable_file_is_refused(
    tx_session: Session, data_dir: Path, filename: str, content: bytes, why: str
) -> None:
    _, milestone = _active(tx_session)

    with pytest.raises(Invalid, match=why) as refused:
        attachments.attach(tx_session, SYSTEM, milestone, filename, content)

    assert refused.value.field == "file"
    assert not (data_dir / "attachments").exists() or not any((data_dir / "attachments").iterdir())
    assert tx_session.exec(select(func.count()).select_from(Attachment)).one() == 0


def test_a_file_of_exactly_10_mb_is_accepted(tx_session: Session) -> None:
    _, milestone = _active(tx_session)
    content = b"%PDF-" + bytes(10 * 1024 * 1024 - 5)

    attachment = attachments.attach(tx_session, SYSTEM, milestone, "scan.pdf", content)

    assert attachment.size_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    "role", [Role.PARTNER_VIEWER, Role.DONOR], ids=["viewer of the lead", "donor"]
)
def test_only_editors_and_managers_attach_evidence(tx_session: Session, role: Role) -> None:
    project, milestone = _active(tx_session)
    _, principal = f.user(tx_session, role, f.lead_of(tx_session, project))

    with pytest.raises(Exception, match="editor") as refused:
        attachments.attach(tx_session, principal, milestone, "report.pdf", PDF)

    assert type(refused.value).__name__ == "NotAllowed"


# Evidence goes only on open work of a running project.


def _stored(data_dir: Path) -> list[str]:
    folder = data_dir / "attachments"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _attachment_rows(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Attachment)).one()


@pytest.mark.parametrize(
    ("status", "refusal"),
    [
        (MilestoneStatus.PLANNED, None),
        (MilestoneStatus.IN_PROGRESS, None),
        (MilestoneStatus.SUBMITTED, None),
        (MilestoneStatus.RETURNED, None),
        (MilestoneStatus.ACCEPTED, "Evidence cannot be added to a milestone that is accepted."),
        (MilestoneStatus.CANCELLED, "Evidence cannot be added to a milestone that is cancelled."),
    ],
)
def test_evidence_goes_only_on_an_open_milestone(
    tx_session: Session, data_dir: Path, status: MilestoneStatus, refusal: str | None
) -> None:
    milestone = f.milestone_in(tx_session, status)

    if refusal is None:
        attachment = attachments.attach(tx_session, SYSTEM, milestone, "sheet.pdf", PDF)
        assert _stored(data_dir) == [attachment.stored_name]
        return
    with pytest.raises(Conflict) as refused:
        attachments.attach(tx_session, SYSTEM, milestone, "sheet.pdf", PDF)
    assert str(refused.value) == refusal
    assert _stored(data_dir) == []
    assert _attachment_rows(tx_session) == 0


@pytest.mark.parametrize(
    ("status", "refusal"),
    [
        (ReviewStatus.DRAFT, None),
        (ReviewStatus.SUBMITTED, None),
        (ReviewStatus.RETURNED, None),
        (
            ReviewStatus.APPROVED,
            "Evidence cannot be added to a progress update that is approved.",
        ),
    ],
)
def test_evidence_goes_only_on_an_update_not_yet_approved(
    tx_session: Session, data_dir: Path, status: ReviewStatus, refusal: str | None
) -> None:
    update = f.update_in(tx_session, status)

    if refusal is None:
        attachment = attachments.attach(tx_session, SYSTEM, update, "photos.png", PNG)
        assert attachment.progress_update_id == update.id
        assert _stored(data_dir) == [attachment.stored_name]
        return
    with pytest.raises(Conflict) as refused:
        attachments.attach(tx_session, SYSTEM, update, "photos.png", PNG)
    assert str(refused.value) == refusal
    assert _stored(data_dir) == []
    assert _attachment_rows(tx_session) == 0


@pytest.mark.parametrize("owner", ["milestone", "progress update"])
def test_no_evidence_is_added_while_the_project_is_suspended(
    tx_session: Session, data_dir: Path, owner: str
) -> None:
    project, milestone = _active(tx_session)
    update = f.progress_update(tx_session, project)
    _, editor = f.user(tx_session, Role.PARTNER_EDITOR, f.lead_of(tx_session, project))
    projects.advance_project(tx_session, SYSTEM, project, "suspend", today=TODAY, reason=REASON)

    with pytest.raises(Conflict, match=f"is suspended: {REPORTING_ONLY}"):
        attachments.attach(
            tx_session, editor, milestone if owner == "milestone" else update, "a.pdf", PDF
        )

    assert _stored(data_dir) == []
    assert _attachment_rows(tx_session) == 0


def test_evidence_is_still_added_while_the_project_is_finalising(
    tx_session: Session, data_dir: Path
) -> None:
    project = f.project_in(tx_session, ProjectStatus.FINALISING)
    update = f.progress_update(tx_session, project)
    _, editor = f.user(tx_session, Role.PARTNER_EDITOR, f.lead_of(tx_session, project))

    attachment = attachments.attach(tx_session, editor, update, "final.pdf", PDF)

    assert _stored(data_dir) == [attachment.stored_name]


@pytest.mark.parametrize(
    "failure",
    [
        Conflict("This change clashes with existing data: forced"),
        OperationalError("INSERT INTO attachment", {}, Exception("server closed the connection")),
    ],
    ids=["clash", "connection lost"],
)
def test_a_failed_insert_leaves_no_stored_file(
    tx_session: Session, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    _, milestone = _active(tx_session)
    folder = attachments.storage_dir()
    on_disk_at_insert: list[str] = []

    def failing_flush(session: Session, reason: str | None = None) -> None:
        on_disk_at_insert.extend(p.name for p in folder.iterdir())
        raise failure

    monkeypatch.setattr(attachments, "flush", failing_flush)

    with pytest.raises(type(failure)) as raised:
        attachments.attach(tx_session, SYSTEM, milestone, "report.pdf", PDF)

    assert raised.value is failure
    assert len(on_disk_at_insert) == 1  # the file was written before the insert was tried
    assert list(folder.iterdir()) == []
