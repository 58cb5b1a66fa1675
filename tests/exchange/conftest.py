"""The exchange tests find the published standards beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"


@pytest.fixture(scope="session")
def standards() -> Path:
    """The folder of the IATI and 360Giving standards beside the repository."""
    if not (STANDARDS / "iati-2.03" / "iati-activities-schema.xsd").is_file():
        pytest.skip(f"the published standards are not at {STANDARDS}")
    return STANDARDS
