"""The exchange tests share the security tests' demo copies, and find the published standards."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.conftest import (  # noqa: F401 - fixtures, found by name
    app,
    attachment_folder,
    browsers,
    demo,
    demo_templates,
)

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"


@pytest.fixture(scope="session")
def standards() -> Path:
    """The folder of the IATI and 360Giving standards beside the repository."""
    if not (STANDARDS / "iati-2.03" / "iati-activities-schema.xsd").is_file():
        pytest.skip(f"the published standards are not at {STANDARDS}")
    return STANDARDS
