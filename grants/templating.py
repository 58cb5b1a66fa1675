"""The Jinja2 environment that web pages, the API's docs page and PDF reports share.

Templates are autoescaped, messages go through gettext (``grants.i18n``), and numbers through
the filters ``money``, ``percent`` and ``number``: the formats of ``grants.i18n``.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, select_autoescape

from grants import __version__, i18n
from grants.paths import templates_dir


@lru_cache
def environment() -> Environment:
    """Return the autoescaping Jinja2 environment with gettext and the number filters."""
    env = Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["app_version"] = __version__
    env.globals["place"] = i18n.format_place
    env.filters.update(
        money=i18n.format_money, percent=i18n.format_percent, number=i18n.format_number
    )
    return env
