"""Submitting a milestone with its evidence: the files are kept only if it is submitted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from grants.models import MilestoneStatus
from grants.services import submissions
from grants.services.access import SYSTEM
from grants.services.errors import Invalid, InvalidTransition
from tests import factories as f
from tests.factories import TODAY

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _stored(data_dir: Path) -> list[str]:
    folder = data_dir / "attachments"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("status", "files", "refusal"),
    [
        (
            MilestoneStatus.SUBMITTED,
            [("sheet.pdf", PDF), ("photos.pdf", PDF)],
            InvalidTransition,
        ),
        (
            MilestoneStatus.IN_PROGRESS,
            [("sheet.pdf", PDF), ("photos.pdf", b"not a PDF at all")],
            Invalid,
        ),
    ],
    ids=["submitted already", "second file refused after the first was stored"],
)
def test_a_refused_submission_keeps_none_of_its_evidence(
    tx_session: Session,
    data_dir: Path,
    status: MilestoneStatus,
    files: list[tuple[str, bytes]],
    refusal: type[Exception],
) -> None:
    milestone = f.milestone_in(tx_session, status)

    with pytest.raises(refusal):
        submissions.submit_milestone(
            tx_session, SYSTEM, milestone, files, note="", today=TODAY, expected_version=None
        )
    assert _stored(data_dir) == []
    assert milestone.status == status


def test_a_submission_with_evidence_keeps_the_files(tx_session: Session, data_dir: Path) -> None:
    milestone = f.milestone_in(tx_session, MilestoneStatus.IN_PROGRESS)

    submissions.submit_milestone(
        tx_session,
        SYSTEM,
        milestone,
        [("sheet.pdf", PDF)],
        note="All sessions held",
        today=TODAY,
        expected_version=None,
    )
    assert milestone.status == MilestoneStatus.SUBMITTED
    assert milestone.submitted_on == TODAY
    assert len(_stored(data_dir)) == 1
