"""Charts drawn on the server as SVG, for the printable PDF (WeasyPrint runs no JavaScript):
the same chart specification the page hands to Chart.js (reports/tables.py), drawn as
horizontal bars, one group per label, one bar per dataset, each with its value written."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

COLOURS = ("#1b6f3a", "#c26d00", "#b3261e", "#2f5fa7", "#6b4fa3", "#3d8c8c")
LABEL_WIDTH = 190
BAR_AREA = 330
BAR_HEIGHT = 11
GAP = 6
MAX_LABELS = 24


def _number(value):
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def svg_bars(chart, *, title=""):
    """An <svg> (safe markup) of `chart`: labels on the left, bars scaled to the largest value
    (or the chart's `max`), a legend when there are several datasets."""
    if not chart or not chart.get("labels"):
        return ""
    labels = chart["labels"][:MAX_LABELS]
    datasets = chart["datasets"]
    values = [value for dataset in datasets for value in dataset["data"][: len(labels)] if value is not None]
    top = chart.get("max") or max(values, default=0) or 1
    group = len(datasets) * BAR_HEIGHT + GAP
    legend = 16 if len(datasets) > 1 else 0
    height = legend + len(labels) * group + GAP
    width = LABEL_WIDTH + BAR_AREA + 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif" font-size="9">'
    ]
    if legend:
        x = LABEL_WIDTH
        for index, dataset in enumerate(datasets):
            colour = COLOURS[index % len(COLOURS)]
            parts.append(f'<rect x="{x}" y="2" width="9" height="9" fill="{colour}"/>')
            parts.append(f'<text x="{x + 12}" y="10">{escape(dataset["label"])}</text>')
            x += 20 + 6 * len(str(dataset["label"]))
    for row, label in enumerate(labels):
        y = legend + row * group + GAP
        text = str(label)
        text = text if len(text) <= 34 else text[:33] + "…"
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + group / 2}" text-anchor="end">{escape(text)}</text>')
        for index, dataset in enumerate(datasets):
            value = dataset["data"][row] if row < len(dataset["data"]) else None
            length = 0 if value is None else max(0.0, BAR_AREA * float(value) / float(top))
            bar_y = y + index * BAR_HEIGHT
            colour = COLOURS[index % len(COLOURS)]
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{length:.1f}" height="{BAR_HEIGHT - 2}" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{LABEL_WIDTH + length + 3:.1f}" y="{bar_y + BAR_HEIGHT - 3}">{_number(value)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
