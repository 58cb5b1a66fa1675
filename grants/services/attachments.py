"""Evidence files: checked, stored under generated names outside any served folder."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path, PurePath
from urllib.parse import quote

from sqlmodel import Session

from grants.config import get_settings
from grants.i18n import _
from grants.models import (
    Attachment,
    Milestone,
    MilestoneStatus,
    ProgressUpdate,
    Project,
    ReviewStatus,
)
from grants.services.access import Principal, manages_project, require_partner_editor
from grants.services.common import flush, get_or_404, writes
from grants.services.errors import Conflict, Invalid, TooLarge
from grants.services.forms import HIDDEN_IN_NAMES
from grants.services.rules import require_reporting

MAX_BYTES = 10 * 1024 * 1024
"""The largest evidence file."""
MAX_BYTES_PER_FORM = 5 * MAX_BYTES
"""The largest total of the evidence files one portal form sends (a partner may choose several)."""
ZIP = b"PK\x03\x04"
SETTLED = frozenset({MilestoneStatus.ACCEPTED, MilestoneStatus.CANCELLED, ReviewStatus.APPROVED})
SIGNATURES: dict[str, tuple[str, bytes | None]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", ZIP),
    ".txt": ("text/plain", None),
    ".csv": ("text/csv", None),
}


def storage_dir() -> Path:
    """Return the folder attachments are stored in, creating it if needed."""
    folder = get_settings().data_dir / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_file(filename: str, content: bytes) -> tuple[str, str]:
    """Return a safe display name and the content type; raise ``Invalid`` if refused."""
    if HIDDEN_IN_NAMES.search(filename):
        raise Invalid("file", repr(filename), _("the file name holds control characters"))
    name = PurePath(filename.replace("\\", "/")).name.strip()[:255]
    suffix = PurePath(name).suffix.lower()
    if not name or suffix not in SIGNATURES:
        raise Invalid(
            "file",
            filename,
            _("allowed types: {types}").format(types=", ".join(sorted(SIGNATURES))),
        )
    if len(content) > MAX_BYTES:
        raise TooLarge("file", filename, _("files may be at most 10 MB"))
    content_type, magic = SIGNATURES[suffix]
    if magic is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Invalid("file", filename, _("a text file must be UTF-8")) from error
        if b"\x00" in content:
            raise Invalid("file", filename, _("a text file must not contain binary data"))
    elif not content.startswith(magic):
        raise Invalid(
            "file", filename, _("the content is not a {suffix} file").format(suffix=suffix)
        )
    return name, content_type


@writes
def attach(
    session: Session,
    principal: Principal,
    owner: Milestone | ProgressUpdate,
    filename: str,
    content: bytes,
) -> Attachment:
    """Store ``content`` as evidence on ``owner`` and return the attachment record."""
    project = get_or_404(session, Project, owner.project_id, "Project")
    if not manages_project(session, principal, project):
        organisation = (
            owner.responsible_organisation_id
            if isinstance(owner, Milestone)
            else owner.organisation_id
        )
        require_partner_editor(session, principal, project, organisation)
    require_reporting(project)
    if owner.status in SETTLED:
        raise Conflict(
            _("Evidence cannot be added to a {label} that is {status}.").format(
                label=_("milestone") if isinstance(owner, Milestone) else _("progress update"),
                status=owner.status.value,
            )
        )
    name, content_type = check_file(filename, content)
    stored_name = secrets.token_hex(16)
    path = storage_dir() / stored_name
    path.write_bytes(content)
    attachment = Attachment(
        project_id=project.id,
        filename=name,
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by_id=principal.user_id,
        milestone_id=owner.id if isinstance(owner, Milestone) else None,
        progress_update_id=owner.id if isinstance(owner, ProgressUpdate) else None,
    )
    session.add(attachment)
    try:
        flush(session)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return attachment


def read_attachment(attachment: Attachment) -> bytes:
    """Return the stored bytes of ``attachment``."""
    return (storage_dir() / attachment.stored_name).read_bytes()


def disposition(attachment: Attachment | str) -> str:
    """Return a Content-Disposition that downloads the file under its (safe) name."""
    name = attachment if isinstance(attachment, str) else attachment.filename
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def discard(attachment: Attachment) -> None:
    """Remove the stored file of an attachment whose record is being rolled back."""
    (storage_dir() / attachment.stored_name).unlink(missing_ok=True)
