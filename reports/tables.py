"""The shape every report figure takes: a table of cells (each may link to the list that makes
it), with the chart drawn from it. Pages render tables through reports/includes/table.html,
the CSV/XLSX downloads write their cells' values, the charts read `chart`, and the PDF draws
the same chart as SVG (reports/charts.py)."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse


@dataclass
class Cell:
    value: Any
    url: str = ""
    # Words shown beside the value (a parity status: "met", "below", ...) and its badge class.
    note: str = ""
    badge: str = ""

    @property
    def is_number(self):
        return isinstance(self.value, int | float) and not isinstance(self.value, bool)


@dataclass
class Table:
    name: str  # slug: element ids, /reports/tables/<name>.csv
    title: str
    columns: list
    rows: list = field(default_factory=list)
    # {"type": "bar" | "line", "labels": [...], "datasets": [{"label": ..., "data": [...]}], "unit": "%"}
    chart: dict | None = None
    caption: str = ""

    def values(self):
        """The rows as plain values, for CSV and XLSX."""
        for row in self.rows:
            yield [cell.value if isinstance(cell, Cell) else cell for cell in row]


def link(name, params=None, *args):
    """The path of URL pattern `name`, with `params` (empty values left out) as its query."""
    path = reverse(name, args=args)
    query = {key: value for key, value in (params or {}).items() if value not in (None, "")}
    return f"{path}?{urlencode(query)}" if query else path


def share(part, whole):
    """`part` as a percentage of `whole`, one decimal (None when `whole` is zero)."""
    if not whole:
        return None
    return round(part * 100 / whole, 1)
