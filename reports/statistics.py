"""The dashboard's figures (/reports/): certifications by standing, people trained, pass rates,
upcoming sessions. Each is one aggregate query in the database (GROUP BY with conditional
counts), whatever the number of people; Python only lays out the aggregated rows.

Every rule comes from the app that owns it: which results count (Enrollment.objects.final(),
trained()), a certification's standing (certifications.models.standing_condition), upcoming
sessions (CourseSession.objects.upcoming). Each figure links to the list that makes it, with
the same filters, so it can be checked person by person.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import formats
from django.utils.translation import gettext as _

from certifications.models import Certification, Standing, standing_condition
from courses.models import CourseSession, Enrollment
from trainees.filters import NOT_RECORDED
from trainees.models import Trainee

from .people import count_people
from .tables import Cell, Table, link, share

EXPIRING_WINDOWS = (30, 60, 90)
UPCOMING_SESSIONS = 20
FEMALE = Trainee.Gender.FEMALE


def _standing_counts():
    """Conditional counts of current certifications per standing (valid, expiring within each
    window, lapsed), for one aggregate query."""
    return lambda today: {
        "valid": Count("pk", filter=standing_condition(Standing.VALID, today)),
        **{
            f"expiring_{days}": Count("pk", filter=standing_condition(Standing.EXPIRING, today, days=days))
            for days in EXPIRING_WINDOWS
        },
        "lapsed": Count("pk", filter=standing_condition(Standing.LAPSED, today)),
    }


def _certifications(filters):
    certifications = Certification.objects.current().filter(filters.people())
    if filters.course is not None:
        certifications = (
            certifications.filter(type=filters.course.grants_id) if filters.course.grants_id else certifications.none()
        )
    return certifications


def _standing_columns():
    return [
        _("Valid beyond %(days)s days") % {"days": settings.CERT_EXPIRING_SOON_DAYS},
        *[_("Expiring within %(days)s days") % {"days": days} for days in EXPIRING_WINDOWS],
        _("Lapsed"),
    ]


def _standing_cells(row, params):
    url = lambda **extra: link("certifications:expiring", {**params, **extra})  # noqa: E731
    return [
        Cell(row["valid"], url(standing=Standing.VALID)),
        *[Cell(row[f"expiring_{days}"], url(days=days)) for days in EXPIRING_WINDOWS],
        Cell(row["lapsed"], url(standing=Standing.LAPSED)),
    ]


def _standing_chart(labels, rows):
    keys = ["valid", "expiring_30", "lapsed"]
    names = [_("Valid"), _("Expiring within %(days)s days") % {"days": 30}, _("Lapsed")]
    return {
        "type": "bar",
        "stacked": True,
        "labels": labels,
        "datasets": [
            {"label": name, "data": [row[key] for row in rows]} for key, name in zip(keys, names, strict=True)
        ],
    }


def certifications_by_organization(filters, today):
    counts = _standing_counts()(today)
    rows = list(
        _certifications(filters)
        .values("trainee__organization", "trainee__organization__name")
        .annotate(**counts)
        .order_by("trainee__organization__name")
    )
    params = filters.people_params()
    if filters.course is not None and filters.course.grants_id:
        params["type"] = filters.course.grants_id
    table = Table(
        "certifications-by-organization",
        _("Certifications by organization"),
        [_("Organization"), *_standing_columns()],
        caption=_("Current certifications (not revoked, not renewed) on %(day)s, by the holder's organization.")
        % {"day": formats.date_format(today, "SHORT_DATE_FORMAT")},
    )
    labels = []
    for row in rows:
        organization = row["trainee__organization"]
        name = row["trainee__organization__name"] or _("No organization")
        labels.append(name)
        cells_params = {**params, "organization": organization if organization is not None else "null"}
        table.rows.append([Cell(name), *_standing_cells(row, cells_params)])
    table.chart = _standing_chart(labels, rows)
    return table


def certifications_by_type(filters, today):
    counts = _standing_counts()(today)
    rows = list(_certifications(filters).values("type", "type__name").annotate(**counts).order_by("type__name"))
    params = filters.people_params()
    table = Table(
        "certifications-by-type",
        _("Certifications by type"),
        [_("Certification type"), *_standing_columns()],
        caption=_("Current certifications on %(day)s, by type.")
        % {"day": formats.date_format(today, "SHORT_DATE_FORMAT")},
    )
    for row in rows:
        table.rows.append([Cell(row["type__name"]), *_standing_cells(row, {**params, "type": row["type"]})])
    table.chart = _standing_chart([row["type__name"] for row in rows], rows)
    return table


def _trained(filters, period=True):
    trained = Enrollment.objects.trained().filter(filters.people())
    if period:
        trained = trained.ended_between(filters.period.start, filters.period.end)
    if filters.course is not None:
        trained = trained.filter(session__course=filters.course)
    return trained


def _trained_params(filters, start, end, **extra):
    params = {**filters.people_params(), "trained_from": start.isoformat(), "trained_until": end.isoformat()}
    if filters.course is not None:
        params["course"] = filters.course.pk
    params.update(extra)
    return params


def _trained_cells(filters, row, start, end, **extra):
    url = link("trainees:list", _trained_params(filters, start, end, **extra))
    women = link("trainees:list", _trained_params(filters, start, end, **{"gender": FEMALE, **extra}))
    return [Cell(row["total"], url), Cell(row["women"], women), Cell(share(row["women"], row["total"]))]


def _people_columns(first):
    return [first, _("People trained"), _("Women"), _("Women (%)")]


def trained_total(filters):
    """People trained in the period (each counted once), with the women among them."""
    (row,) = count_people(_trained(filters), {})
    return _trained_cells(filters, row, filters.period.start, filters.period.end)


def trained_by_month(filters):
    period = filters.period
    # A period lies within one year: the month number is enough.
    rows = sorted(
        count_people(_trained(filters), {"month": ExtractMonth("session__ends_on")}), key=lambda row: row["month"]
    )
    for row in rows:
        row["month"] = date(period.start.year, int(row["month"]), 1)
    table = Table(
        "trained-by-month",
        _("People trained per month"),
        _people_columns(_("Month")),
        caption=_("Passed a finalized session ending that month; a person trained twice in a month counts once."),
    )
    for row in rows:
        month = row["month"]
        end = min(period.end, (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
        label = formats.date_format(month, "YEAR_MONTH_FORMAT")
        table.rows.append([Cell(label), *_trained_cells(filters, row, month, end)])
    table.chart = {
        "type": "bar",
        "labels": [row[0].value for row in table.rows],
        "datasets": [
            {"label": _("People trained"), "data": [row["total"] for row in rows]},
            {"label": _("Women"), "data": [row["women"] for row in rows]},
        ],
    }
    return table


def trained_by_year(filters):
    """Every year (the period filter aside): the trend."""
    rows = sorted(
        count_people(_trained(filters, period=False), {"year": ExtractYear("session__ends_on")}),
        key=lambda row: row["year"],
    )
    for row in rows:
        row["year"] = int(row["year"])  # EXTRACT gives a numeric
    table = Table(
        "trained-by-year",
        _("People trained per year"),
        _people_columns(_("Year")),
        caption=_("Every year, whatever the period chosen: the trend."),
    )
    for row in rows:
        year = row["year"]
        start, end = date(year, 1, 1), date(year, 12, 31)
        table.rows.append([Cell(str(year)), *_trained_cells(filters, row, start, end)])
    table.chart = {
        "type": "line",
        "labels": [str(row["year"]) for row in rows],
        "datasets": [
            {"label": _("People trained"), "data": [row["total"] for row in rows]},
            {"label": _("Women"), "data": [row["women"] for row in rows]},
        ],
    }
    return table


def _trained_by(filters, name, title, first_column, field, label_of, param_of, param_name):
    rows = count_people(_trained(filters), {name.replace("__", "_"): name for name in field})
    rows = [{**row, **{name: row[name.replace("__", "_")] for name in field}} for row in rows]
    rows.sort(key=lambda row: (-row["total"], *[str(row[name]) for name in field]))
    table = Table(name, title, _people_columns(first_column))
    period = filters.period
    labels = []
    for row in rows:
        label = label_of(row)
        labels.append(label)
        extra = {param_name: param_of(row)}
        table.rows.append([Cell(label), *_trained_cells(filters, row, period.start, period.end, **extra)])
    table.chart = {
        "type": "bar",
        "horizontal": True,
        "labels": labels,
        "datasets": [{"label": _("People trained"), "data": [row["total"] for row in rows]}],
    }
    return table


def trained_by_course(filters):
    return _trained_by(
        filters,
        "trained-by-course",
        _("People trained by course"),
        _("Course"),
        ("session__course", "session__course__code", "session__course__title"),
        lambda row: f"{row['session__course__code']} — {row['session__course__title']}",
        lambda row: row["session__course"],
        "course",
    )


def trained_by_category(filters):
    return _trained_by(
        filters,
        "trained-by-category",
        _("People trained by category"),
        _("Category"),
        ("trainee__category",),
        lambda row: str(Trainee.Category(row["trainee__category"]).label),
        lambda row: row["trainee__category"],
        "category",
    )


def trained_by_nationality(filters):
    from django_countries import countries

    names = dict(countries)
    return _trained_by(
        filters,
        "trained-by-nationality",
        _("People trained by nationality"),
        _("Nationality"),
        ("trainee__nationality",),
        lambda row: str(names.get(row["trainee__nationality"], row["trainee__nationality"])),
        lambda row: row["trainee__nationality"],
        "nationality",
    )


def trained_by_gender(filters):
    return _trained_by(
        filters,
        "trained-by-gender",
        _("People trained by gender"),
        _("Gender"),
        ("trainee__gender",),
        lambda row: str(Trainee.Gender(row["trainee__gender"]).label) if row["trainee__gender"] else _("Not recorded"),
        lambda row: row["trainee__gender"] or NOT_RECORDED,
        "gender",
    )


def pass_rates(filters):
    """Per course: final results of sessions ending in the period (drafts never count)."""
    results = (
        Enrollment.objects.final().ended_between(filters.period.start, filters.period.end).filter(filters.people())
    )
    if filters.course is not None:
        results = results.filter(session__course=filters.course)
    Result = Enrollment.Result
    rows = list(
        results.values("session__course", "session__course__code", "session__course__title")
        .annotate(
            assessed=Count("pk", filter=~Q(result=Result.PENDING)),
            passed=Count("pk", filter=Q(result=Result.PASSED)),
            failed=Count("pk", filter=Q(result=Result.FAILED)),
            incomplete=Count("pk", filter=Q(result=Result.INCOMPLETE)),
            average=Avg("score"),
        )
        .order_by("session__course__code")
    )
    table = Table(
        "pass-rates",
        _("Pass rates and average scores by course"),
        [_("Course"), _("Results"), _("Passed"), _("Failed"), _("Incomplete"), _("Pass rate (%)"), _("Average score")],
        caption=_("Final results of sessions finalized and ending in the period; each links to those sessions."),
    )
    for row in rows:
        sessions = link(
            "courses:session-list",
            {
                "course": row["session__course"],
                "status": CourseSession.Status.FINALIZED,
                "ends_from": filters.period.start.isoformat(),
                "ends_until": filters.period.end.isoformat(),
            },
        )
        average = round(float(row["average"]), 1) if row["average"] is not None else None
        table.rows.append(
            [
                Cell(row["session__course__code"], sessions),
                Cell(row["assessed"], sessions),
                Cell(row["passed"], sessions),
                Cell(row["failed"], sessions),
                Cell(row["incomplete"], sessions),
                Cell(share(row["passed"], row["assessed"]), sessions),
                Cell(average, sessions),
            ]
        )
    table.chart = {
        "type": "bar",
        "unit": "%",
        "max": 100,
        "labels": [row["session__course__code"] for row in rows],
        "datasets": [{"label": _("Pass rate (%)"), "data": [share(row["passed"], row["assessed"]) for row in rows]}],
    }
    return table


def upcoming_sessions(filters, today):
    sessions = CourseSession.objects.upcoming(today).exclude(status=CourseSession.Status.CANCELLED)
    if filters.course is not None:
        sessions = sessions.filter(course=filters.course)
    Status = Enrollment.Status
    rows = list(
        sessions.annotate(
            enrolled=Count("enrollments", filter=Q(enrollments__status=Status.ENROLLED)),
            waitlisted=Count("enrollments", filter=Q(enrollments__status=Status.WAITLISTED)),
        )
        .values("pk", "code", "starts_on", "capacity", "enrolled", "waitlisted", "course__code")
        .order_by("starts_on", "code")[:UPCOMING_SESSIONS]
    )
    table = Table(
        "upcoming-sessions",
        _("Upcoming sessions"),
        [_("Session"), _("Course"), _("Starts on"), _("Capacity"), _("Enrolled"), _("Fill rate (%)"), _("Waitlisted")],
        caption=_("The next %(count)s sessions (all of them: the session list).") % {"count": UPCOMING_SESSIONS},
    )
    for row in rows:
        url = link("courses:session-detail", None, row["pk"])
        table.rows.append(
            [
                Cell(row["code"], url),
                Cell(row["course__code"]),
                Cell(row["starts_on"]),
                Cell(row["capacity"], url),
                Cell(row["enrolled"], url),
                Cell(share(row["enrolled"], row["capacity"]), url),
                Cell(row["waitlisted"], url),
            ]
        )
    table.chart = {
        "type": "bar",
        "unit": "%",
        "labels": [row["code"] for row in rows],
        "datasets": [{"label": _("Fill rate (%)"), "data": [share(row["enrolled"], row["capacity"]) for row in rows]}],
    }
    return table


def dashboard_tables(filters, today):
    """Every table of the dashboard, in page order (a fixed number of queries)."""
    return [
        certifications_by_organization(filters, today),
        certifications_by_type(filters, today),
        trained_by_month(filters),
        trained_by_year(filters),
        trained_by_course(filters),
        trained_by_category(filters),
        trained_by_nationality(filters),
        trained_by_gender(filters),
        pass_rates(filters),
        upcoming_sessions(filters, today),
    ]


TABLES = {
    "certifications-by-organization": lambda filters, today: certifications_by_organization(filters, today),
    "certifications-by-type": lambda filters, today: certifications_by_type(filters, today),
    "trained-by-month": lambda filters, today: trained_by_month(filters),
    "trained-by-year": lambda filters, today: trained_by_year(filters),
    "trained-by-course": lambda filters, today: trained_by_course(filters),
    "trained-by-category": lambda filters, today: trained_by_category(filters),
    "trained-by-nationality": lambda filters, today: trained_by_nationality(filters),
    "trained-by-gender": lambda filters, today: trained_by_gender(filters),
    "pass-rates": lambda filters, today: pass_rates(filters),
    "upcoming-sessions": lambda filters, today: upcoming_sessions(filters, today),
}
