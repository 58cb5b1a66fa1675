"""The web tests share the security tests' demo copies: one per module and engine."""

from __future__ import annotations

from tests.security.conftest import (  # noqa: F401 - fixtures, found by name
    app,
    attachment_folder,
    browsers,
    demo,
    demo_templates,
)
