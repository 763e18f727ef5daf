"""Pages that show the data of several apps: the role landing pages, a trainee's record
(/trainees/<id>/ and /me/) and the history timelines.

Records are fetched through Trainee.objects.visible_to(user), so a trainee cannot reach
another trainee's record by editing the URL (404). The record's rows are read, and rendered,
only when its cached rendering is missing or stale (records.py). A history request from htmx
(HX-Request header) gets the timeline fragment alone, so a record page can load it into a
panel; any other request gets the full page.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts.models import ExportLog
from certifications.models import Certification, ExpiryReminder
from common.downloads import attach_file, being_prepared, throttled_download
from common.permissions import administrator_required, is_administrator, is_instructor
from common.spreadsheets import csv_response, xlsx_response
from courses.models import CourseSession
from deployments.models import OPEN_DEPLOYMENT_STATUSES, Deployment, Nomination
from deployments.readiness import with_readiness
from trainees.models import Trainee

from . import personal_data, statistics, summary
from .cache import cached, kept
from .filters import read_filters
from .history import deployment_timeline, session_timeline, trainee_timeline
from .parity import CSV_COLUMNS, ParityFilterForm, parity_rows, parity_status_legend, parity_tables
from .records import RECORD_CACHE_SECONDS, lazy_record, own_record_version, reader_key, with_record_version

PREPARING_REFRESH_SECONDS = 3  # the report being prepared asks again after this many seconds


@login_required
def home(request):
    """Send each role where its work is: administrators to the overview, instructors to
    their sessions, trainees to their own record."""
    if is_administrator(request.user):
        return redirect("reports:overview")
    if is_instructor(request.user):
        return redirect("courses:session-list")
    return redirect("reports:me")


@administrator_required
def overview(request):
    today = timezone.localdate()
    context = {
        "trainee_count": Trainee.objects.count(),
        "running_sessions": CourseSession.objects.running(today).select_related("course").order_by("ends_on")[:10],
        "upcoming_sessions": CourseSession.objects.upcoming(today).select_related("course").order_by("starts_on")[:10],
        "expiring_count": Certification.objects.expiring_soon(today).count(),
        "expired_recently_count": Certification.objects.lapsed_recently(today).count(),
        "reminder_problems": ExpiryReminder.objects.needs_attention().count(),
        "soon_days": settings.CERT_EXPIRING_SOON_DAYS,
    }
    return render(request, "reports/overview.html", context)


def _record_context(user, queryset, trainee_id, record_version, *, own_record):
    return {
        "trainee_id": trainee_id,
        "record_version": record_version,
        "record": lazy_record(queryset, trainee_id, user),
        "own_record": own_record,
        "reader": reader_key(user, own_record=own_record),
        "record_cache_seconds": RECORD_CACHE_SECONDS,
        "today": timezone.localdate().isoformat(),
    }


@login_required
def trainee_record(request, pk):
    visible = Trainee.objects.visible_to(request.user)
    trainee = get_object_or_404(with_record_version(visible), pk=pk)
    # A trainee reaching their own record here sees what /me/ shows.
    own_record = not (is_administrator(request.user) or is_instructor(request.user))
    context = _record_context(request.user, visible, trainee.pk, trainee.record_version, own_record=own_record)
    return render(request, "reports/trainee_record.html", {**context, "trainee": trainee})


@login_required
def me(request):
    own = own_record_version(request.user)
    if own is None:
        return render(request, "reports/me_unlinked.html")
    context = _record_context(request.user, Trainee.objects.filter(user=request.user), *own, own_record=True)
    # Not part of the cached record: readiness changes with the calendar and other people's edits.
    nominations = (
        Nomination.objects.visible_to(request.user)
        .active()
        .filter(trainee_id=own[0], deployment__status__in=OPEN_DEPLOYMENT_STATUSES)
        .select_related("deployment__profile")
        .order_by("deployment__starts_on", "pk")
    )
    context["nominations"] = with_readiness(nominations)
    return render(request, "reports/me.html", context)


def _render(request, template, context):
    if request.headers.get("HX-Request"):
        template = "reports/includes/history.html"
    return render(request, template, context)


@administrator_required
def trainee_history(request, pk):
    trainee = get_object_or_404(Trainee.objects.visible_to(request.user), pk=pk)
    return _render(request, "reports/history/trainee.html", {"trainee": trainee, "entries": trainee_timeline(trainee)})


@administrator_required
def session_history(request, pk):
    session = get_object_or_404(CourseSession.objects.visible_to(request.user).select_related("course"), pk=pk)
    return _render(request, "reports/history/session.html", {"session": session, "entries": session_timeline(session)})


@administrator_required
def deployment_history(request, pk):
    deployment = get_object_or_404(Deployment.objects.visible_to(request.user), pk=pk)
    return _render(
        request,
        "reports/history/deployment.html",
        {"deployment": deployment, "entries": deployment_timeline(deployment)},
    )


# --- Reports: the dashboard, UN gender parity, their downloads (reports/statistics.py, parity.py) ---


def _preparing(request):
    """202: the report's first figures are being computed by a worker (reports/cache.py); the
    page asks again by itself (HTTP Refresh, no script)."""
    return being_prepared(request, "reports/preparing.html", PREPARING_REFRESH_SECONDS)


@administrator_required
@require_GET
def dashboard(request):
    """Certifications by standing, people trained, pass rates and upcoming sessions, filtered
    by the query string; an invalid filter is shown as an error (400), not as "everything"."""
    today = timezone.localdate()
    form, filters = read_filters(request.GET, today=today)
    if filters is None:
        return render(request, "reports/dashboard.html", {"form": form}, status=400)
    figures = kept("dashboard", filters.query(), today)
    if figures is None:
        return _preparing(request)
    tables, total = figures.value
    context = {
        "figures": figures,
        "form": form,
        "filters": filters,
        "query": urlencode(filters.query()),
        "today": today,
        "total": total,
        "tables": tables,
        "charts": {table.name: table.chart for table in tables if table.chart},
    }
    return render(request, "reports/dashboard.html", context)


@administrator_required
@require_GET
@throttled_download
def dashboard_pdf(request):
    """The dashboard as a printable PDF (tables and server-drawn SVG charts), for `?period=`
    (a month, by default this one) and the other filters."""
    today = timezone.localdate()
    params = request.GET.copy()
    params.setdefault("period", today.strftime("%Y-%m"))
    form, filters = read_filters(params, today=today)
    if filters is None:
        return render(request, "reports/dashboard.html", {"form": form}, status=400)
    content = summary.dashboard_pdf(filters, today=today)
    ExportLog.objects.record(user=request.user, kind="dashboard-pdf", parameters=filters.query())
    response = HttpResponse(content, content_type="application/pdf")
    return attach_file(response, f"cecopam-dashboard-{filters.period.value}.pdf", inline=True)


@administrator_required
@require_GET
@throttled_download
def dashboard_table(request, table, export):
    """One dashboard table (the data of one chart) as CSV or XLSX, with the page's filters."""
    if table not in statistics.TABLES:
        raise Http404
    today = timezone.localdate()
    form, filters = read_filters(request.GET, today=today)
    if filters is None:
        return render(request, "reports/dashboard.html", {"form": form}, status=400)
    data = cached(table, (sorted(filters.query().items()), today), lambda: statistics.TABLES[table](filters, today))
    ExportLog.objects.record(
        user=request.user,
        kind=f"report-{export}",
        parameters={"table": table, **filters.query()},
        row_count=len(data.rows),
    )
    filename = f"{table}-{filters.period.value}.{export}"
    if export == "csv":
        return csv_response(data.columns, data.values(), filename)
    return xlsx_response(data.columns, data.values(), filename, title=str(data.title))


def _parity_rows(form):
    key = sorted((name, getattr(value, "pk", value)) for name, value in form.cleaned_data.items())
    return cached("parity", key, lambda: parity_rows(form.cleaned_data))


@administrator_required
@require_GET
def parity_report(request):
    form = ParityFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/parity.html", {"form": form}, status=400)
    figures = kept("parity", {name: form.data.get(name, "") for name in form.fields}, timezone.localdate())
    if figures is None:
        return _preparing(request)
    rows = figures.value
    tables = parity_tables(rows)
    context = {
        "figures": figures,
        "form": form,
        "rows": rows,
        "tables": tables,
        "charts": {table.name: table.chart for table in tables},
        "legend": parity_status_legend(),
        "close_points": settings.UGPS_CLOSE_POINTS,
        "query": urlencode({key: value for key, value in request.GET.items() if value}),
    }
    return render(request, "reports/parity.html", context)


@administrator_required
@require_GET
@throttled_download
def parity_csv(request, export="csv"):
    """DESIGN.md's columns: year, category, stage, women, total, share, target (the XLSX has the same)."""
    form = ParityFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/parity.html", {"form": form}, status=400)
    rows = _parity_rows(form)
    ExportLog.objects.record(
        user=request.user,
        kind=f"parity-{export}",
        parameters={key: value for key, value in request.GET.items()},
        row_count=len(rows),
    )
    if export == "xlsx":
        return xlsx_response(CSV_COLUMNS, (row.csv() for row in rows), "gender-parity.xlsx", title="parity")
    return csv_response(CSV_COLUMNS, (row.csv() for row in rows), "gender-parity.csv")


# --- Personal data (ARCO right of access): a trainee's whole record, by them or an administrator ---


def _personal_data_response(request, trainee, export):
    data = personal_data.collect(trainee)
    ExportLog.objects.record(
        user=request.user, kind=f"personal-data-{export}", parameters={"trainee": trainee.pk}, row_count=1
    )
    name = slugify(f"{trainee.paternal_surname} {trainee.given_names}") or "trainee"
    if export == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        return attach_file(response, f"personal-data-{name}.json")
    response = HttpResponse(personal_data.pdf(data), content_type="application/pdf")
    return attach_file(response, f"personal-data-{name}.pdf", inline=True)


@login_required
@require_GET
@throttled_download
def my_personal_data(request, export):
    trainee = get_object_or_404(Trainee.objects.filter(user=request.user).select_related("organization"))
    return _personal_data_response(request, trainee, export)


@administrator_required
@require_GET
@throttled_download
def trainee_personal_data(request, pk, export):
    trainee = get_object_or_404(Trainee.objects.visible_to(request.user).select_related("organization"), pk=pk)
    return _personal_data_response(request, trainee, export)
