"""Counts over time as bar charts drawn on the server: the geometry of an SVG with axes and
labels, and the same figures as rows for a table, the chart's text alternative."""

from dataclasses import dataclass, field
from datetime import date

MONTHS_AT_MOST = 36  # a longer span is drawn by year: bars of a month would be hairlines
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 28  # room for the axes' labels


@dataclass
class Chart:
    title: str  # "Releases per month"
    summary: str  # the figures in a sentence
    rows: list[tuple[str, int]]  # (period, count), oldest first
    bars: list[dict] = field(default_factory=list)
    ticks: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def counts_over_time(by_month: dict[tuple[int, int], int], noun: str) -> Chart | None:
    """A chart of `noun` ("releases") per month, or per year over a span too long for
    months, from counts by (year, month); None when there is nothing to draw."""
    by_month = {key: n for key, n in by_month.items() if n}
    if not by_month:
        return None
    (first_year, first_month), (last_year, last_month) = min(by_month), max(by_month)
    months = (last_year - first_year) * 12 + last_month - first_month + 1
    if months <= MONTHS_AT_MOST:
        periods = []
        for index in range(months):
            year, month = divmod(first_month - 1 + index, 12)
            periods.append((first_year + year, month + 1))
        rows = [(f"{date(y, m, 1):%b %Y}", by_month.get((y, m), 0)) for y, m in periods]
        unit = "month"
        # Every month named when there are few, else each January and the first month.
        shown = {i for i, (_, m) in enumerate(periods) if months <= 12 or m == 1 or i == 0}
    else:
        by_year: dict[int, int] = {}
        for (year, _), n in by_month.items():
            by_year[year] = by_year.get(year, 0) + n
        rows = [(str(year), by_year.get(year, 0)) for year in range(first_year, last_year + 1)]
        unit = "year"
        step = 1 if len(rows) <= 16 else 5
        shown = {i for i, (year, _) in enumerate(rows) if int(year) % step == 0 or i == 0}
    total, (peak_period, peak) = sum(n for _, n in rows), max(rows, key=lambda row: row[1])
    chart = Chart(
        title=f"{noun.capitalize()} per {unit}, {rows[0][0]} to {rows[-1][0]}",
        summary=f"{total:,} {noun} in all; the most, {peak:,}, in {peak_period}.",
        rows=rows)
    _draw(chart, shown)
    return chart


def _draw(chart: Chart, shown: set[int]) -> None:
    """Bars, the value axis's ticks and the time axis's labels, in SVG units."""
    peak = max(n for _, n in chart.rows)
    step = _tick_step(peak)
    top_value = -(-peak // step) * step
    plot_height = chart.bottom - chart.top
    slot = (chart.right - chart.left) / len(chart.rows)
    for index, (period, n) in enumerate(chart.rows):
        height = plot_height * n / top_value
        x = chart.left + index * slot
        chart.bars.append({"x": round(x + slot * 0.1, 1), "y": round(chart.bottom - height, 1),
                           "w": round(max(slot * 0.8, 1), 1), "h": round(height, 1),
                           "label": f"{period}: {n:,}"})
        if index in shown:
            chart.labels.append({"x": round(x + slot / 2, 1), "text": period.split()[-1]
                                 if len(chart.rows) > 12 else period})
    for value in range(0, top_value + 1, step):
        chart.ticks.append({"y": round(chart.bottom - plot_height * value / top_value, 1),
                            "label": f"{value:,}"})


def _tick_step(peak: int) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving at most five ticks above 0."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if peak <= factor * magnitude * 5:
                return factor * magnitude
        magnitude *= 10
