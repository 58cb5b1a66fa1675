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
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
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


def _axes(height: float, *, left: float = 0.8, bottom: float = 0.75) -> tuple[Figure, Any]:
    """Return a figure ``height`` inches tall with one axes inside fixed margins (inches).

    Fixed margins, rather than ``tight_layout`` or a tight bounding box, draw the figure
    once instead of three times; the margins leave room for tick labels and the legend.
    """
    figure = Figure(figsize=(WIDTH, height))
    figure.subplots_adjust(
        left=left / WIDTH, right=1 - 0.15 / WIDTH, top=1 - 0.4 / height, bottom=bottom / height
    )
    return figure, figure.add_subplot()


def _svg(figure: Figure, title: str, salt: str) -> str:
    """Return the figure as SVG text ready to embed: no prolog, titled, styles as attributes."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
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
        figure, ax = _axes(2.8)
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


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def progress_to_target(row: dict[str, Any]) -> float | None:
    """Return how far an indicator has gone from its baseline to its target, in percent.

    0 is the baseline and 100 the target, whichever way the target lies (more people
    reached, or fewer days of waiting); past the target is over 100, moving away from it is
    below 0. None when there is no target to go to, or no value reported yet.
    """
    if _absent(row.get("target")) or _absent(row.get("actual")):
        return None
    start, goal = _number(row["baseline"]), _number(row["target"])
    if goal == start:
        return None
    return 100 * (_number(row["actual"]) - start) / (goal - start)


def indicator_chart(indicators: pd.DataFrame) -> str:
    """Return an SVG chart of each indicator's progress from its baseline to its target.

    Indicators count different things (meetings, people, days), so one panel compares them
    on the only common scale: the way from their own baseline (0 %) to their own target
    (100 %); the table beside the chart gives the values themselves.
    """
    title = _("Indicators: progress from the baseline to the target")
    rows = indicators.to_dict("records")
    progress = [progress_to_target(row) for row in rows]
    drawn = [share for share in progress if share is not None]
    with _settings("indicators"):
        figure, ax = _axes(0.95 + 0.5 * max(len(rows), 1), left=0.25, bottom=0.55)
        positions = [index * 1.0 for index in range(len(rows))]
        ax.barh(
            [p + 0.25 for p, share in zip(positions, progress, strict=True) if share is not None],
            drawn,
            0.3,
            color=COLOURS[2],
        )
        ax.axvline(0, color="#1b1f24", linewidth=0.8)
        ax.axvline(100, color=COLOURS[1], linestyle="--", linewidth=1.2)
        low = min([0.0, *drawn])
        for position, row, share in zip(positions, rows, progress, strict=True):
            label = f"{row['title']} ({row['unit']})"
            if share is None:
                label += " · " + _("no target or no value yet")
            ax.annotate(
                label,
                (low, position - 0.05),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
            )
        ax.set_ylim(len(rows) - 0.45, -0.3)
        ax.set_yticks([])
        ax.set_xlim(low * 1.05, max([110.0, *drawn]) * 1.05)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:.0f}\u00a0%"))
        ax.legend(
            handles=[
                Patch(color=COLOURS[2], label=_("Latest value")),
                Line2D([], [], color="#1b1f24", label=_("Baseline (0 %)")),
                Line2D([], [], color=COLOURS[1], linestyle="--", label=_("Target (100 %)")),
            ],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.25 / (0.5 * max(len(rows), 1))),
            ncols=3,
        )
        ax.set_title(title)
        return _svg(figure, title, "indicators")


def money_by_country_chart(by_country: pd.DataFrame, currency: str) -> str:
    """Return an SVG bar chart of amounts awarded, disbursed and spent by country."""
    title = _("Awarded, disbursed and spent by country")
    with _settings("money-by-country"):
        figure, ax = _axes(2.8, left=1.0)
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
        figure, ax = _axes(2.8, left=0.5)
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
