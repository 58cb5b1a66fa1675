"""Uploaded import files kept server-side, by their sha256, between preview and confirmation."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath

from grants.i18n import _
from grants.services.errors import NotFound

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _folder(data_dir: Path) -> Path:
    folder = data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep(data_dir: Path, filename: str, content: bytes) -> str:
    """Store an uploaded file under its sha256 (with its name beside it); return the digest."""
    digest = hashlib.sha256(content).hexdigest()
    folder = _folder(data_dir)
    (folder / f"{digest}.upload").write_bytes(content)
    name = PurePosixPath(filename.replace("\\", "/")).name or "upload"
    (folder / f"{digest}.name").write_text(name[:200], encoding="utf-8")
    return digest


def kept(data_dir: Path, digest: str) -> tuple[str, bytes]:
    """Return the name and bytes of a kept upload; raise ``NotFound`` if it is gone or altered."""
    if not SHA256.match(digest):
        raise NotFound(_("This upload does not exist."))
    folder = _folder(data_dir)
    path = folder / f"{digest}.upload"
    if not path.is_file():
        raise NotFound(_("This upload does not exist."))
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != digest:
        raise NotFound(_("This upload does not exist."))
    name_file = folder / f"{digest}.name"
    return (name_file.read_text(encoding="utf-8") if name_file.is_file() else "upload"), content


def forget(data_dir: Path, digest: str) -> None:
    """Remove a kept upload once it has been imported."""
    if SHA256.match(digest):
        for suffix in (".upload", ".name"):
            (_folder(data_dir) / f"{digest}{suffix}").unlink(missing_ok=True)
