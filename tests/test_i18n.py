"""Every user-facing string goes through gettext, so French and Arabic can follow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from jinja2 import Environment

from grants.paths import templates_dir

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted(templates_dir().rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_show_no_text_outside_gettext(template: Path) -> None:
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    raw_text = "".join(
        value for _line, kind, value in env.lex(template.read_text()) if kind == "data"
    )
    visible = re.sub(r"<[^>]*>", " ", raw_text)
    assert not re.search(r"[^\W\d_]{2,}", visible), f"untranslated text in {template.name}"


def test_extraction_finds_template_and_service_messages() -> None:
    method_map = [("grants/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    messages = {message for _f, _l, message, *_ in extract_from_dir(ROOT, method_map, options)}
    assert "Skip to content" in messages
    assert "Cannot {step} a {label} that is {state}; allowed: {allowed}." in messages
