"""The report tests share the security tests' demo copies: one per module and engine."""

from __future__ import annotations

from tests.security.conftest import (  # noqa: F401 - fixtures, found by name
    attachment_folder,
    demo,
    demo_templates,
)
