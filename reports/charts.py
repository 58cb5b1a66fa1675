"""The reports' charts: matplotlib figures returned as SVG text to embed inline in the HTML.

Each chart is drawn on its own ``Figure`` (never pyplot, so nothing is left registered
between calls) inside an ``rc_context``, so no setting leaks into the process. Text stays
text (``svg.fonttype = none``): the reader can select it, Pango shapes Arabic, and
matplotlib's SVG writer escapes ``<`` and ``&``. Styles are written as presentation
attributes, because the web pages' Content-Security-Policy blocks ``style`` attributes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import matplotlib
import pandas as pd
from markupsafe import escape

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from grants.i18n import gettext as _

# Colour-blind safe (Okabe-Ito), distinguishable in grey too.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
FONTS = ["DejaVu Sans", "Noto Naskh Arabic"]
WIDTH = 6.8  # inches: the text width of an A4 page with 2 cm margins


def _settings(salt: str) -> AbstractContextManager[None]:
    """Apply the charts' matplotlib settings for one chart; the salt keeps ids unique."""
    settings: Any = {
        "svg.fonttype": "none",
        "svg.hashsalt": f"grants-{salt}",
        "svg.id": None,
        "text.parse_math": False,
        "font.family": "sans-serif",
        "font.sans-serif": FONTS,
        "font.size": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "legend.frameon": False,
        "figure.facecolor": "none",
        "axes.facecolor": "none",
    }
    return matplotlib.rc_context(settings)


def _number(value: Any) -> float:
    """A value as a float for plotting (missing values plot as 0)."""
    if value is None or (isinstance(value, float) and value != value):
        return 0.0
    return float(Decimal(value))


def _thousands(value: float, _position: int) -> str:
    return f"{value:,.0f}"


def _grouped_bars(
    ax: Any, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> None:
    """Draw one group of bars per label, one bar per series, with a legend."""
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series):
        positions = [x + (index - (len(series) - 1) / 2) * width for x in range(len(labels))]
        ax.bar(positions, values, width, label=name, color=COLOURS[index % len(COLOURS)])
    ax.set_xticks(range(len(labels)), labels)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=len(series))


def _svg(figure: Figure, title: str, salt: str) -> str:
    """Return the figure as SVG text ready to embed: no prolog, titled, styles as attributes."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    text = re.sub(r'\s*<style type="text/css">[^<]*</style>', "", text)
    prefix = f"{salt}-"
    text = re.sub(r"<[^<>]+>", lambda tag: _rewrite_tag(tag[0], prefix), text)
    label = escape(title)
    return text.replace(
        "<svg ",
        f'<svg role="img" aria-label="{label}" stroke-linejoin="round" stroke-linecap="butt" ',
        1,
    ).replace(">", f"><title>{label}</title>", 1)


def _rewrite_tag(tag: str, prefix: str) -> str:
    """Rewrite ``style="a: b"`` as ``a="b"``, and prefix ids so charts on one page differ."""

    def attributes(style: re.Match[str]) -> str:
        pairs = (item.split(":", 1) for item in style[1].split(";") if ":" in item)
        return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)

    tag = re.sub(r' style="([^"]*)"', attributes, tag)
    tag = re.sub(r' id="', f' id="{prefix}', tag)
    return re.sub(r'(url\(#|href="#)', rf"\g<1>{prefix}", tag)


def budget_chart(budget: pd.DataFrame, currency: str) -> str:
    """Return an SVG bar chart of planned against spent amounts by budget category."""
    title = _("Budget and spending by category")
    with _settings("budget"):
        figure = Figure(figsize=(WIDTH, 2.8))
        ax = figure.add_subplot()
        labels = [_(str(category)) for category in budget["category"]]
        _grouped_bars(
            ax,
            labels,
            [
                (_("Budgeted"), [_number(v) for v in budget["planned"]]),
                (_("Spent"), [_number(v) for v in budget["actual"]]),
            ],
        )
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_ylabel(currency)
        ax.set_title(title)
        return _svg(figure, title, "budget")


def indicator_chart(indicators: pd.DataFrame) -> str:
    """Return an SVG chart with one panel per indicator: baseline, target and latest value."""
    title = _("Indicators: baseline, target and latest value")
    rows = max(len(indicators), 1)
    with _settings("indicators"):
        figure = Figure(figsize=(WIDTH, 0.6 + 1.1 * rows))
        axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
        names = [_("Baseline"), _("Target"), _("Latest value")]
        for ax, row in zip(axes, indicators.to_dict("records"), strict=False):
            values = [_number(row["baseline"]), _number(row["target"]), _number(row["actual"])]
            ax.barh(names, values, color=COLOURS[:3])
            ax.invert_yaxis()
            ax.set_title(f"{row['title']} ({row['unit']})", loc="left", fontsize=8)
            ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        figure.suptitle(title, fontsize=10, fontweight="bold")
        figure.tight_layout()
        return _svg(figure, title, "indicators")


def money_by_country_chart(by_country: pd.DataFrame, currency: str) -> str:
    """Return an SVG bar chart of amounts awarded, disbursed and spent by country."""
    title = _("Awarded, disbursed and spent by country")
    with _settings("money-by-country"):
        figure = Figure(figsize=(WIDTH, 2.8))
        ax = figure.add_subplot()
        _grouped_bars(
            ax,
            [str(country) for country in by_country["country"]],
            [
                (_("Awarded"), [_number(v) for v in by_country["awarded"]]),
                (_("Disbursed"), [_number(v) for v in by_country["disbursed"]]),
                (_("Spent"), [_number(v) for v in by_country["spent"]]),
            ],
        )
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_ylabel(currency)
        ax.set_title(title)
        return _svg(figure, title, "money-by-country")


def milestones_by_country_chart(by_country: pd.DataFrame) -> str:
    """Return an SVG bar chart of the share of milestones accepted, and accepted on time."""
    title = _("Milestones accepted, and accepted on time, by country")
    accepted = [
        100 * _number(a) / _number(m) if _number(m) else 0.0
        for a, m in zip(by_country["accepted"], by_country["milestones"], strict=True)
    ]
    with _settings("milestones-by-country"):
        figure = Figure(figsize=(WIDTH, 2.8))
        ax = figure.add_subplot()
        _grouped_bars(
            ax,
            [str(country) for country in by_country["country"]],
            [
                (_("Accepted (% of milestones)"), accepted),
                (_("On time (% of accepted)"), [_number(v) for v in by_country["on_time_rate"]]),
            ],
        )
        ax.set_ylim(0, 100)
        ax.set_ylabel("%")
        ax.set_title(title)
        return _svg(figure, title, "milestones-by-country")
