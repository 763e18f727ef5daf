"""UN gender parity (/reports/parity/ and /reports/parity.csv): per year and UGPS category, the
women and the total trained, nominated and deployed, their share and the year's target.

Each person is counted once per year, category and stage (COUNT(DISTINCT trainee) in the
database). Trained: a pass in a finalized session ending that year, under the course's UGPS
category or else the trainee's own (Enrollment.objects.trained().with_ugps_category()).
Nominated and deployed come from deployments (reports/parity_deployments.py). Targets are
settings.UGPS_TARGETS (civilians have none); a share is "met" at or above its target, "close"
within settings.UGPS_CLOSE_POINTS points below it, else "below" (parity_status: one definition,
shown in words as well as colour).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from courses.models import Enrollment, UgpsCategory
from trainees.models import Trainee

from .filters import ReportFilterForm
from .parity_deployments import deployment_stage_counts, deployments_installed
from .people import count_people
from .tables import Cell, Table, share

CSV_COLUMNS = ["year", "category", "stage", "women", "total", "share", "target"]
FEMALE = Trainee.Gender.FEMALE
CATEGORY_ORDER = list(UgpsCategory.values)


class Stage:
    TRAINED = "trained"
    NOMINATED = "nominated"
    DEPLOYED = "deployed"
    ORDER = (TRAINED, NOMINATED, DEPLOYED)
    LABELS = {TRAINED: _("Trained"), NOMINATED: _("Nominated"), DEPLOYED: _("Deployed")}


@dataclass(frozen=True)
class Status:
    code: str
    label: str
    badge: str  # Bootstrap classes; the label always says it in words too
    symbol: str


MET = Status("met", _("Target met"), "text-bg-success", "✔")
CLOSE = Status("close", _("Within 5 points"), "text-bg-warning", "≈")
BELOW = Status("below", _("Below target"), "text-bg-danger", "✘")
NO_TARGET = Status("none", _("No target"), "text-bg-light", "—")


def parity_status(share_value, target):
    """Met (share ≥ target), close (within settings.UGPS_CLOSE_POINTS below), below; no target
    for civilians and years without one."""
    if target is None or share_value is None:
        return NO_TARGET
    if share_value >= target:
        return MET
    if share_value >= target - settings.UGPS_CLOSE_POINTS:
        return CLOSE
    return BELOW


def target_for(year, category):
    if category == UgpsCategory.CIVILIAN:
        return None
    return settings.UGPS_TARGETS.get(year, {}).get(category)


class ParityFilterForm(ReportFilterForm):
    """The parity report narrows by organization and country (every year, every category)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("period", "category", "course"):
            del self.fields[name]


@dataclass
class ParityRow:
    year: int
    category: str
    stage: str
    women: int
    total: int

    @property
    def share(self):
        return share(self.women, self.total)

    @property
    def target(self):
        return target_for(self.year, self.category)

    @property
    def status(self):
        return parity_status(self.share, self.target)

    @property
    def category_label(self):
        return UgpsCategory(self.category).label

    @property
    def stage_label(self):
        return Stage.LABELS[self.stage]

    def csv(self):
        return [
            self.year,
            self.category,
            self.stage,
            self.women,
            self.total,
            "" if self.share is None else f"{self.share:.1f}",
            "" if self.target is None else self.target,
        ]


def people_condition(data, prefix="trainee__"):
    condition = Q()
    if data.get("organization") is not None:
        condition &= Q(**{f"{prefix}organization": data["organization"]})
    if data.get("country"):
        condition &= Q(**{f"{prefix}nationality": data["country"]})
    return condition


def trained_counts(condition):
    """(year, category, women, total) of people trained, one aggregate query."""
    rows = count_people(
        Enrollment.objects.trained().filter(condition).with_ugps_category(),
        {"year": ExtractYear("session__ends_on"), "category": F("ugps_category")},
    )
    return [(int(row["year"]), row["category"], row["women"], row["total"]) for row in rows]


def parity_rows(data=None):
    """Every (year, category, stage) with people in it, ordered by year, category, stage."""
    condition = people_condition(data or {})
    rows = [
        ParityRow(year, category, Stage.TRAINED, women, total)
        for year, category, women, total in trained_counts(condition)
    ]
    rows += [
        ParityRow(year, category, stage, women, total)
        for year, category, stage, women, total in deployment_stage_counts(condition)
    ]
    rows.sort(key=lambda row: (row.year, CATEGORY_ORDER.index(row.category), Stage.ORDER.index(row.stage)))
    return rows


def parity_tables(rows):
    """One table per stage (years down, categories across: share, status), and a trend chart
    of the trained stage's shares against the targets."""
    years = sorted({row.year for row in rows})
    by_key = {(row.year, row.category, row.stage): row for row in rows}
    tables = []
    for stage in Stage.ORDER:
        if not any(row.stage == stage for row in rows):
            tables.append(
                Table(
                    f"parity-{stage}",
                    _("%(stage)s: share of women by category") % {"stage": Stage.LABELS[stage]},
                    [],
                    caption=_("Nominations and deployments are counted once the deployments module is installed.")
                    if stage != Stage.TRAINED and not deployments_installed()
                    else "",
                )
            )
            continue
        table = Table(
            f"parity-{stage}",
            _("%(stage)s: share of women by category") % {"stage": Stage.LABELS[stage]},
            [_("Year"), *[UgpsCategory(category).label for category in CATEGORY_ORDER]],
        )
        for year in years:
            cells = [Cell(str(year))]
            for category in CATEGORY_ORDER:
                row = by_key.get((year, category, stage))
                target = target_for(year, category)
                if row is None:
                    cells.append(Cell("", note=_("nobody"), badge=""))
                    continue
                status = row.status
                cells.append(
                    Cell(
                        f"{row.women}/{row.total} = {row.share:.1f} %",
                        note=f"{status.symbol} {status.label}" + (f" ({target} %)" if target is not None else ""),
                        badge=status.badge,
                    )
                )
            table.rows.append(cells)
        uniformed = [category for category in CATEGORY_ORDER if category != UgpsCategory.CIVILIAN]
        table.chart = {
            "type": "line",
            "unit": "%",
            "labels": [str(year) for year in years],
            "datasets": [
                {
                    "label": str(UgpsCategory(category).label),
                    "data": [
                        by_key[(year, category, stage)].share if (year, category, stage) in by_key else None
                        for year in years
                    ],
                }
                for category in uniformed
            ],
        }
        tables.append(table)
    return tables


def parity_status_legend():
    return [MET, CLOSE, BELOW, NO_TARGET]
