"""``grants report``: drafts to files, and issuing, as an operator would run them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine
from sqlmodel import Session, select

from grants.models import IssuedReport, Organisation, OrganisationKind, Role
from tests import factories


@pytest.fixture
def project_ref(engine: Engine) -> tuple[str, str, str]:
    """An active project; its reference, its programme's code and a manager's email."""
    with Session(engine) as session:
        project, _ms, _ts = factories.active_project(session, title="Accès aux droits")
        programme = factories.programme_of(session, project)
        manager_org = session.get(Organisation, programme.managing_organisation_id)
        manager, _principal = factories.user(session, Role.GRANT_MANAGER, manager_org)
        session.commit()
        return project.reference, programme.code, manager.email


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF"), ("xlsx", b"PK"), ("html", b"<!")])
def test_a_draft_project_report_in_each_format(
    cli: Callable[..., Result],
    project_ref: tuple[str, str, str],
    tmp_path: Path,
    fmt: str,
    magic: bytes,
) -> None:
    output = tmp_path / f"report.{fmt}"
    reference = project_ref[0]
    result = cli(
        [
            "report",
            "project",
            reference,
            "--as-of",
            "2026-06-15",
            "--format",
            fmt,
            "-o",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    assert output.read_bytes().lstrip()[:2] == magic[:2]
    assert f"{reference}-progress-report-2026-06-15-draft.{fmt}" in result.output


def test_a_portfolio_needs_exactly_one_scope(
    cli: Callable[..., Result], project_ref: tuple[str, str, str], tmp_path: Path
) -> None:
    output = tmp_path / "p.pdf"
    refused = cli(["report", "portfolio", "-o", str(output)])
    assert refused.exit_code == 2
    assert "--programme" in refused.output
    assert not output.exists()
    done = cli(
        [
            "report",
            "portfolio",
            "--programme",
            project_ref[1],
            "--as-of",
            "2026-06-15",
            "-o",
            str(output),
        ]
    )
    assert done.exit_code == 0, done.output
    assert output.read_bytes().startswith(b"%PDF")


def test_bad_input_is_one_line_and_exit_status_2(
    cli: Callable[..., Result], project_ref: tuple[str, str, str], tmp_path: Path
) -> None:
    for args in (
        ["report", "project", "NO-SUCH", "-o", str(tmp_path / "x.pdf")],
        ["report", "project", project_ref[0], "--format", "docx", "-o", str(tmp_path / "x")],
        ["report", "project", project_ref[0], "--as-of", "15/06/2026", "-o", str(tmp_path / "x")],
    ):
        result = cli(args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: ")


def test_issuing_freezes_the_pdf_and_only_managers_may(
    cli: Callable[..., Result], engine: Engine, project_ref: tuple[str, str, str], tmp_path: Path
) -> None:
    reference, _code, manager = project_ref
    with Session(engine) as session:
        donor_org = factories.organisation(session, kind=OrganisationKind.DONOR)
        donor, _principal = factories.user(session, Role.DONOR, donor_org)
        donor_email = donor.email
        session.commit()
    refused = cli(["report", "issue", "project", reference, "--as", donor_email])
    assert refused.exit_code == 2
    output = tmp_path / "issued.pdf"
    issued = cli(
        [
            "report",
            "issue",
            "project",
            reference,
            "--as-of",
            "2026-06-15",
            "--as",
            manager,
            "-o",
            str(output),
        ]
    )
    assert issued.exit_code == 0, issued.output
    with Session(engine) as session:
        stored = session.exec(select(IssuedReport)).one()
    assert stored.pdf == output.read_bytes()
    assert stored.sha256 == hashlib.sha256(stored.pdf).hexdigest()
    assert stored.sha256 in issued.output
