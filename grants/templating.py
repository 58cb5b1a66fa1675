"""The Jinja2 environment that web pages, the API's docs page and PDF reports share.

Templates are autoescaped, messages go through gettext (``grants.i18n``), and numbers through
the filters ``money``, ``percent`` and ``number``: the formats of ``grants.i18n``. The data
tables' cells are written by ``table_cell`` and ``table_cells`` (``templates/_tables.html``
says how each kind of cell reads), one call per row rather than a macro call per cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, Undefined, pass_environment, select_autoescape
from jinja2.filters import make_attrgetter
from markupsafe import Markup

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
    env.globals["table_cell"] = table_cell
    env.globals["table_cells"] = table_cells
    env.filters.update(
        money=i18n.format_money, percent=i18n.format_percent, number=i18n.format_number
    )
    return env


def table_cell(value: Any, kind: str, currency: str | None = None) -> Markup | str:
    """Return ``value`` written as a cell of ``kind`` (blank when missing)."""
    if value is None or isinstance(value, Undefined) or value != value:  # NaN too
        return ""
    if kind == "money":
        return i18n.format_money(value, currency)
    if kind == "percent":
        return i18n.format_percent(value)
    if kind == "number":
        return i18n.format_number(value)
    if kind == "date":
        return str(value.isoformat())
    if kind == "status":
        return i18n.gettext(str(getattr(value, "value", value))).replace("_", " ")
    if kind == "days":
        return str(value or "")
    if kind == "link":
        return Markup('<a href="{}">{}</a>').format(value.href, value.text)
    return str(value)


@pass_environment
def table_cells(
    env: Environment, row: Any, columns: Iterable[tuple[str, str, str]], currency: str | None
) -> Markup:
    """Return the ``<td>`` cells of ``row`` for ``columns`` (key, label, kind); money in the
    row's own currency when it has one, else in ``currency``."""
    own = make_attrgetter(env, "currency")(row)
    money_in = own if isinstance(own, str) else currency
    cells = [
        Markup('<td class="{}"{}>{}</td>').format(
            kind,
            Markup(' dir="auto"') if kind == "free" else "",
            table_cell(make_attrgetter(env, key)(row), kind, money_in),
        )
        for key, _label, kind in columns
    ]
    return Markup("").join(cells)
