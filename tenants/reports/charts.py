"""Chart images for the PDF: PNGs made by the worker with matplotlib (no display needed).

Every chart is drawn at the size it is printed (``CHART_WIDTH_INCHES`` wide; the template
prints it ``CHART_WIDTH_PX`` CSS pixels wide, 96 to the inch), so its smallest text,
``MIN_FONT_PT``, is that many points on the A4 page."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from saas_platform.core.templating import pl_number
from tenants.reports.stats import GroupRow, Results

BRAND = "#1d4f91"
WARN = "#b00020"
MIN_FONT_PT = 8
CHART_WIDTH_INCHES = 6.5
CHART_WIDTH_PX = int(CHART_WIDTH_INCHES * 96)
plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "xtick.labelsize": MIN_FONT_PT + 1,
        "ytick.labelsize": MIN_FONT_PT + 1,
        "axes.labelsize": 9,
    }
)


def _png(figure: Figure) -> bytes:
    # No "tight" bounding box: it would crop the figure and the print size would drift.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150)
    plt.close(figure)
    return buffer.getvalue()


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    labels: list[str], values: list[float], flagged: list[bool], threshold: float
) -> bytes:
    """Horizontal bars of indices (0–100), flagged bars in red, the threshold as a line."""
    height = max(1.2, 0.32 * len(labels) + 0.6)
    figure, axes = plt.subplots(figsize=(CHART_WIDTH_INCHES, height), layout="constrained")
    positions = range(len(labels))
    axes.barh(positions, values, color=[WARN if f else BRAND for f in flagged])
    axes.set_yticks(list(positions), [_short(label) for label in labels])
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.axvline(threshold, color="#555555", linestyle="--", linewidth=1)
    for position, value in zip(positions, values, strict=True):
        axes.text(min(value + 1, 90), position, pl_number(value), va="center", fontsize=MIN_FONT_PT)
    axes.set_xlabel("Indeks satysfakcji (0–100)")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def trend_chart(months: list[GroupRow]) -> bytes | None:
    """The monthly index as a line; months with too few responses are gaps."""
    shown = [(m.label, m.score.index) for m in months if not m.hidden and m.score.index is not None]
    if len(shown) < 2:
        return None
    figure, axes = plt.subplots(figsize=(CHART_WIDTH_INCHES, 2.4), layout="constrained")
    labels = [m.label for m in months]
    values = [None if m.hidden else m.score.index for m in months]
    axes.plot(
        range(len(labels)),
        [v if v is not None else float("nan") for v in values],
        marker="o",
        color=BRAND,
    )
    step = max(1, len(labels) // 12)
    axes.set_xticks(
        range(0, len(labels), step),
        [labels[i] for i in range(0, len(labels), step)],
        rotation=45,
        ha="right",
    )
    axes.set_ylim(0, 100)
    axes.set_ylabel("Indeks (0–100)")
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def report_charts(results: Results) -> dict[str, bytes]:
    """Every chart of the report, by name; a chart without enough data is left out."""
    charts: dict[str, bytes] = {}
    areas = [a for a in results.areas if not a.score.hidden]
    if areas:
        charts["areas"] = bar_chart(
            [a.title for a in areas],
            [a.score.index for a in areas],
            [a.below_threshold or a.significantly_worse for a in areas],
            results.threshold,
        )
    items = [i for i in results.items if not i.score.hidden]
    if items:
        charts["items"] = bar_chart(
            [i.text for i in items],
            [i.score.index for i in items],
            [i.below_threshold or i.significantly_worse for i in items],
            results.threshold,
        )
    trend = trend_chart(list(results.monthly))
    if trend:
        charts["trend"] = trend
    return charts
