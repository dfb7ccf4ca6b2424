"""Charts of the HTML edition: inline SVG written by hand, no image file and no script.

Each chart is one ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``
(what it shows, the highest and lowest value, where its data table is); the numbers it draws
are the ones the report's tables print, formatted the same way (``pl_number``). The matplotlib
PNGs of the PDF and these charts are drawn from the same ``Results``.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from saas_platform.core.templating import pl_number
from tenants.reports.stats import GroupRow, Results

BRAND = "#1d4f91"
WARN = "#b00020"  # 7.5:1 on white
INK = "#1a1a1a"
GRID = "#767676"  # 4.5:1 on white: the threshold line and axes are non-text graphics (3:1)
WIDTH = 720
LABEL_WIDTH = 300
ROW = 26
FONT = 'font-family="DejaVu Sans, Verdana, sans-serif" font-size="13"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    flagged: bool


def _short(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _frame(chart_id: str, title: str, description: str, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def bar_chart(
    chart_id: str, title: str, bars: list[Bar], threshold: float, table_name: str
) -> Markup | None:
    """Horizontal bars of indices (0–100) in the given order; flagged bars in red with a
    "!" beside their value (colour is never the only sign), the threshold as a dashed line."""
    if not bars:
        return None
    plot_left, plot_width = LABEL_WIDTH + 10, WIDTH - LABEL_WIDTH - 70
    height = ROW * len(bars) + 48
    highest = max(bars, key=lambda bar: bar.value)
    lowest = min(bars, key=lambda bar: bar.value)
    flagged = sum(1 for bar in bars if bar.flagged)
    description = (
        f"Wykres słupkowy indeksu satysfakcji (0–100), {len(bars)} pozycji. Najwyżej: "
        f"{highest.label} ({pl_number(highest.value)}), najniżej: {lowest.label} "
        f"({pl_number(lowest.value)}). Próg urzędu: {pl_number(threshold, 0)}; pozycji "
        f"oznaczonych do poprawy: {flagged}. Dane wykresu są w tabeli „{table_name}”."
    )
    body: list[str] = []
    for index, bar in enumerate(bars):
        y = 8 + index * ROW
        length = plot_width * max(0.0, min(bar.value, 100.0)) / 100
        colour = WARN if bar.flagged else BRAND
        mark = " !" if bar.flagged else ""
        body.append(
            f'<text x="{LABEL_WIDTH}" y="{y + 17}" text-anchor="end" fill="{INK}" {FONT}>'
            f"{escape(_short(bar.label))}</text>"
            f'<rect x="{plot_left}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" '
            f'fill="{colour}"/>'
            f'<text x="{plot_left + length + 6:.1f}" y="{y + 17}" fill="{INK}" {FONT}>'
            f"{pl_number(bar.value)}{mark}</text>"
        )
    axis_y = 8 + ROW * len(bars) + 4
    line_x = plot_left + plot_width * threshold / 100
    body.append(
        f'<line x1="{line_x:.1f}" y1="6" x2="{line_x:.1f}" y2="{axis_y}" stroke="{GRID}" '
        f'stroke-width="1.5" stroke-dasharray="5 4"/>'
        f'<line x1="{plot_left}" y1="{axis_y}" x2="{plot_left + plot_width}" y2="{axis_y}" '
        f'stroke="{GRID}"/>'
    )
    for tick in (0, 25, 50, 75, 100):
        x = plot_left + plot_width * tick / 100
        body.append(
            f'<text x="{x:.1f}" y="{axis_y + 18}" text-anchor="middle" fill="{INK}" {FONT}>'
            f"{tick}</text>"
        )
    return _frame(chart_id, title, description, height + 8, body)


def trend_chart(chart_id: str, months: list[GroupRow], table_name: str) -> Markup | None:
    """The monthly index as a line with a dot and its value per month; months with too few
    responses are gaps. None under two shown months (as the PDF's chart)."""
    shown = [m for m in months if not m.hidden and m.score.index is not None]
    if len(shown) < 2:
        return None
    left, right, top, plot_height = 90, 30, 24, 200
    height = top + plot_height + 100  # room for the month names, slanted
    step = (WIDTH - left - right) / max(1, len(months) - 1)
    highest = max(shown, key=lambda m: m.score.index or 0)
    lowest = min(shown, key=lambda m: m.score.index or 0)
    description = (
        f"Wykres liniowy indeksu satysfakcji (0–100) w kolejnych miesiącach, od {months[0].label} "
        f"do {months[-1].label}. Najwyżej: {highest.label} ({pl_number(highest.score.index)}), "
        f"najniżej: {lowest.label} ({pl_number(lowest.score.index)}). Miesiące z mniej niż 5 "
        f"odpowiedziami są pominięte. Dane wykresu są w tabeli „{table_name}”."
    )

    def y_of(value: float) -> float:
        return top + plot_height * (1 - value / 100)

    body: list[str] = []
    for tick in (0, 25, 50, 75, 100):
        y = y_of(tick)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="0.5"/><text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{INK}" {FONT}>{tick}</text>'
        )
    segment: list[str] = []
    every = max(1, len(months) // 12)
    for index, month in enumerate(months):
        x = left + step * index
        if index % every == 0:
            y = top + plot_height + 18
            body.append(
                f'<text x="{x:.1f}" y="{y}" text-anchor="end" transform="rotate(-35 {x:.1f} {y})" '
                f'fill="{INK}" {FONT}>{escape(month.label)}</text>'
            )
        if month.hidden or month.score.index is None:
            if len(segment) > 1:
                body.append(_polyline(segment))
            segment = []
            continue
        y = y_of(month.score.index)
        segment.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BRAND}"/>'
            f'<text x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle" fill="{INK}" {FONT}>'
            f"{pl_number(month.score.index)}</text>"
        )
    if len(segment) > 1:
        body.append(_polyline(segment))
    return _frame(chart_id, "Indeks satysfakcji miesiąc po miesiącu", description, height, body)


def _polyline(points: list[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{BRAND}" stroke-width="2"/>'


def report_svgs(results: Results) -> dict[str, Markup]:
    """Every chart of the HTML edition, by name (the PDF's names); one without data is left
    out."""
    charts: dict[str, Markup | None] = {
        "trend": trend_chart("wykres-trend", list(results.monthly), "Wyniki miesiąc po miesiącu"),
        "areas": bar_chart(
            "wykres-obszary",
            "Indeks satysfakcji według obszarów",
            [
                Bar(a.title, a.score.index, a.below_threshold or a.significantly_worse)
                for a in results.areas
                if not a.score.hidden and a.score.index is not None
            ],
            results.threshold,
            "Wyniki według obszarów",
        ),
    }
    return {name: chart for name, chart in charts.items() if chart is not None}
