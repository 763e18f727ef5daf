"""Server time and query counts of the busiest pages, through Django's test client (DEBUG off).

`measure_pages(...)` runs inside a configured Django (bench/settings.py) against a generated
database and returns, for each page, the median and 95th percentile of `requests` timed
requests after `warmup` untimed ones, and the number of queries one request makes:

- trainee_list: /trainees/?q=nunez&status=active (administrator): a search and a filter;
- trainee_list_unfiltered: /trainees/ (administrator): the whole list, first page;
- trainee_list_last_page: /trainees/?page=<last> (administrator): the deepest page by number;
- trainee_list_next_to_last: the same page through the Next link of the one before (keyset);
- session_list: /sessions/ (administrator): every session, newest first, with seats taken;
- expiring_report: /certifications/expiring/ (administrator): certificates expiring soon;
- reports_dashboard: /reports/?period=<this year> (administrator): certifications by standing,
  people trained by month, year, course, category, nationality and gender, pass rates, upcoming
  sessions; reports_parity and reports_parity_csv: /reports/parity/ and /reports/parity.csv;
  their figures are kept under the data's version (reports/cache.py): reports_dashboard_computed
  and reports_parity_computed are the same pages with the figures computed (after any write to
  the rows they count, a Celery worker computes them off the request path; here the task runs
  in-process, bench/settings.py, so these time the worker's computation plus the page);
- trainee_detail: /trainees/<id>/ of the trainee with the most enrolments (administrator);
- me: /me/ of the trainee account with the most enrolments;
- trainee_detail_first_visit / me_first_visit: the same with the record's cached rendering
  missing (the cache is emptied before each request, outside the timing), as on the first
  visit after any change to the record (trainees/records.py);
- session_detail_instructor: /sessions/<id>/ of the grid's 200-trainee class (below), by its instructor;
- results_grid_get / results_grid_post: /sessions/<id>/results/ of a 200-trainee class (its
  instructor), and the one submit that changes every row.

The grid needs a class of exactly 200: the largest session not yet finalized is topped up to
200 enrolled trainees inside a transaction that is rolled back at the end, and each POST runs
in a savepoint that is rolled back, so every POST changes the same 200 rows and the database is
left as it was. Deferred constraints are checked immediately in that transaction, so a POST
pays for its foreign-key checks as a committed one would. The other pages run outside any
transaction, as a server runs them (each request's session save commits).
"""

import contextlib
import html
import math
import re
import statistics
import time
from urllib.parse import urlencode

SEARCH = {"q": "nunez", "status": "active"}
GRID_SIZE = 200


def percentile(values, share):
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _time(call, *, requests, warmup, check, around=contextlib.nullcontext):
    """Time `requests` calls after `warmup` untimed ones; `check` validates every response.
    Each call runs inside `around()` (entered and left outside the timing and the query count)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        with around():
            check(call())
    with around(), CaptureQueriesContext(connection) as captured:
        check(call())
    queries = len(captured)  # now: the next request's request_started signal clears the log
    timings = []
    for _ in range(requests):
        with around():
            started = time.perf_counter()
            response = call()
            timings.append((time.perf_counter() - started) * 1000)
        check(response)
    return {
        "p95_ms": round(percentile(timings, 0.95), 1),
        "median_ms": round(statistics.median(timings), 1),
        "queries": queries,
    }


@contextlib.contextmanager
def _cache_emptied():
    """Before the request: no cached rendering of any record (kept in this process's
    CACHES["records"]; bench/settings.py gives the benchmarks a Redis database of their own)."""
    from django.core.cache import caches

    for alias in ("default", "records"):
        caches[alias].clear()
    yield


@contextlib.contextmanager
def _report_cache_emptied():
    """Before the request: no report figures kept (reports/cache.py: CACHES["reports"] for the
    downloads, the shared cache for the pages)."""
    from django.core.cache import cache, caches

    caches["reports"].clear()
    cache.delete_pattern("report-kept:*")
    yield


def _expect(status, text=None):
    def check(response):
        assert response.status_code == status, (response.status_code, response.get("Location"))
        if text is not None:
            assert text in response.content.decode(), f"{text!r} not on the page"

    return check


def _subjects():
    """The administrator, the trainee with the most enrolments, the trainee account with the
    most enrolments, deterministically (ties by id)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from common.permissions import is_administrator
    from trainees.models import Trainee

    User = get_user_model()
    admin = User.objects.filter(username="bench.admin.0001").first() or User.objects.filter(is_superuser=True).first()
    assert admin is not None and is_administrator(admin), "no administrator: was the database generated?"
    busiest = Trainee.objects.annotate(n=Count("enrollments")).order_by("-n", "pk").values_list("pk", "n").first()
    account = (
        Trainee.objects.filter(user__isnull=False)
        .annotate(n=Count("enrollments"))
        .order_by("-n", "pk")
        .select_related("user")
        .first()
    )
    return admin, Trainee.objects.get(pk=busiest[0]), account


def _grid_class():
    """Top up the largest session that is not finalized to GRID_SIZE enrolled trainees (call inside
    a transaction that will be rolled back); return (session, instructor, added)."""
    from django.db.models import Count, Q

    from courses.models import CourseSession, Enrollment
    from trainees.models import Trainee

    session = (
        CourseSession.objects.exclude(status__in=[CourseSession.Status.FINALIZED, CourseSession.Status.CANCELLED])
        .annotate(enrolled=Count("enrollments", filter=Q(enrollments__status=Enrollment.Status.ENROLLED)))
        .filter(instructors__isnull=False)
        .order_by("-enrolled", "pk")
        .first()
    )
    assert session is not None, "no open session with an instructor"
    instructor = session.instructors.order_by("pk").first()
    CourseSession.objects.filter(pk=session.pk).update(capacity=max(session.capacity, GRID_SIZE))
    enrolled = session.enrollments.filter(status=Enrollment.Status.ENROLLED)
    missing = GRID_SIZE - enrolled.count()
    assert missing >= 0, "the largest class has more than GRID_SIZE trainees"
    waiting = list(
        session.enrollments.filter(status=Enrollment.Status.WAITLISTED)
        .order_by("enrolled_at", "pk")
        .values_list("pk", flat=True)[:missing]
    )
    Enrollment.objects.filter(pk__in=waiting).update(status=Enrollment.Status.ENROLLED)
    missing -= len(waiting)
    newcomers = Trainee.objects.exclude(enrollments__session=session).order_by("pk")[:missing]
    Enrollment.objects.bulk_create([Enrollment(session=session, trainee=trainee) for trainee in newcomers])
    assert enrolled.count() == GRID_SIZE
    return session, instructor, len(waiting) + missing


def _grid_post_data(session):
    """Every row of the grid set to passed, 95, 100 %, a remark: a submit that changes each row.
    Built from the grid itself (prefix, management form, rows) over the enrolled trainees."""
    from courses.forms import ResultsGrid
    from courses.models import Enrollment

    enrollments = session.enrollments.filter(status=Enrollment.Status.ENROLLED).select_related("trainee")
    grid = ResultsGrid(enrollments=enrollments, course=session.course)
    management = grid.management_form
    data = {management.add_prefix(name): value for name, value in management.initial.items()}
    for row in grid.rows:
        data[f"{row.prefix}-enrollment"] = str(row.record.pk)
        data[f"{row.prefix}-result"] = "passed"
        data[f"{row.prefix}-score"] = "95"
        data[f"{row.prefix}-attendance"] = "100"
        data[f"{row.prefix}-remarks"] = "Benchmark"
    return data


def measure_pages(*, requests=50, warmup=5, out=print):
    """Measure every page; return {page: {p95_ms, median_ms, queries}} and the subjects used."""
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse

    from accounts.testing import verify_second_factor
    from cecopam.runtime import tune_garbage_collector
    from trainees import views as trainee_views
    from trainees.models import Trainee

    admin, busiest, account = _subjects()
    # As cecopam/wsgi.py does in a server process once the application is loaded.
    tune_garbage_collector()
    results = {}
    subjects = {
        "trainee_detail": f"trainee {busiest.pk} ({busiest.enrollments.count()} enrolments, "
        f"{busiest.certifications.count()} certifications)",
        "me": f"{account.user.username} ({account.enrollments.count()} enrolments, "
        f"{account.certifications.count()} certifications)",
    }

    def run(name, call, check, around=contextlib.nullcontext, times=None):
        timed, untimed = (requests, warmup) if times is None else times
        results[name] = _time(call, requests=timed, warmup=untimed, check=check, around=around)
        out(
            f"  {name:<26} p95 {results[name]['p95_ms']:>7} ms   median {results[name]['median_ms']:>7} ms   "
            f"{results[name]['queries']} queries"
        )

    administrator = Client()
    administrator.force_login(admin)
    verify_second_factor(administrator, admin)  # administrators sign in with a code too
    list_url = reverse("trainees:list")
    matches = Trainee.objects.search(SEARCH["q"]).filter(status=SEARCH["status"]).count()
    subjects["trainee_list"] = f"?q={SEARCH['q']}&status={SEARCH['status']}: {matches} matches"
    # The yardstick: a view that does nothing behind the same middleware (bench/urls.py), timed the
    # same way; page_p95_vs_bare = each page's p95 over this one (bench/run.py).
    bare = _time(lambda: administrator.get("/bench/bare/"), requests=requests, warmup=warmup, check=_expect(200))
    out(f"  {'bare':<26} p95 {bare['p95_ms']:>7} ms   median {bare['median_ms']:>7} ms   {bare['queries']} queries")
    run("trainee_list", lambda: administrator.get(list_url, SEARCH), _expect(200))
    run("trainee_list_unfiltered", lambda: administrator.get(list_url), _expect(200))
    last_page = math.ceil(Trainee.objects.count() / trainee_views.TRAINEES_PER_PAGE)
    subjects["trainee_list_last_page"] = f"?page={last_page} (typed, no key)"
    run("trainee_list_last_page", lambda: administrator.get(list_url, {"page": last_page}), _expect(200))
    # The Next link of the page before the last, as the list renders it.
    before_last = administrator.get(list_url, {"page": last_page - 1})
    next_link = re.search(r'href="\?([^"]*after=[^"]*)">', before_last.content.decode())
    assert next_link, "no keyset Next link on the trainee list"
    next_query = html.unescape(next_link.group(1))
    subjects["trainee_list_next_to_last"] = f"?{next_query[:40]}... (the Next link)"
    run("trainee_list_next_to_last", lambda: administrator.get(f"{list_url}?{next_query}"), _expect(200))
    run("session_list", lambda: administrator.get(reverse("courses:session-list")), _expect(200))
    run("expiring_report", lambda: administrator.get(reverse("certifications:expiring")), _expect(200))
    # The reports: every figure an aggregate in the database (reports/statistics.py, parity.py).
    from django.utils import timezone

    year = timezone.localdate().year
    subjects["reports_dashboard"] = f"/reports/?period={year} (every table and chart)"
    run(
        "reports_dashboard",
        lambda: administrator.get(reverse("reports:dashboard"), {"period": year}),
        _expect(200, "trained-total"),
    )
    subjects["reports_parity"] = "/reports/parity/ (every year, category and stage)"
    run("reports_parity", lambda: administrator.get(reverse("reports:parity")), _expect(200))
    run("reports_parity_csv", lambda: administrator.get(reverse("reports:parity-csv")), _expect(200))
    # The same with the figures computed (after any write to the data they count; reports/cache.py):
    # seconds each at national scale, so a tenth of the requests (at least 5) after one warm-up.
    computed_times = (max(5, requests // 10), 1)
    run(
        "reports_dashboard_computed",
        lambda: administrator.get(reverse("reports:dashboard"), {"period": year}),
        _expect(200, "trained-total"),
        around=_report_cache_emptied,
        times=computed_times,
    )
    run(
        "reports_parity_computed",
        lambda: administrator.get(reverse("reports:parity")),
        _expect(200),
        around=_report_cache_emptied,
        times=computed_times,
    )
    detail_url = reverse("reports:trainee", args=[busiest.pk])
    run("trainee_detail", lambda: administrator.get(detail_url), _expect(200, busiest.service_number))
    trainee_client = Client()
    trainee_client.force_login(account.user)
    me_url = reverse("reports:me")
    run("me", lambda: trainee_client.get(me_url), _expect(200, account.service_number))
    run(
        "trainee_detail_first_visit",
        lambda: administrator.get(detail_url),
        _expect(200, busiest.service_number),
        around=_cache_emptied,
    )
    run(
        "me_first_visit",
        lambda: trainee_client.get(me_url),
        _expect(200, account.service_number),
        around=_cache_emptied,
    )

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        session, instructor, added = _grid_class()
        subjects["results_grid"] = (
            f"session {session.code} ({session.status}), {GRID_SIZE} enrolled ({added} added for the benchmark), "
            f"instructor {instructor.username}"
        )
        teacher = Client()
        teacher.force_login(instructor)
        grid_url = reverse("courses:session-results", args=[session.pk])
        # The session's page as its instructor sees it: every row read through the instructor's
        # visibility of trainees (Trainee.objects.visible_to), which once read every trainee
        # they had ever taught to show this class (130 ms at national scale).
        detail_url = reverse("courses:session-detail", args=[session.pk])
        run("session_detail_instructor", lambda: teacher.get(detail_url), _expect(200))
        run("results_grid_get", lambda: teacher.get(grid_url), _expect(200))
        data = _grid_post_data(session)

        @contextlib.contextmanager
        def rolled_back():
            with transaction.atomic():
                yield
                transaction.set_rollback(True)

        def saved(response):
            assert response.status_code == 302, "the grid did not save (validation errors?)"
            assert response["Location"] == grid_url

        # Posted as a browser posts a form (urlencoded), not as the test client's default multipart.
        body = urlencode(data)
        form = "application/x-www-form-urlencoded"
        run("results_grid_post", lambda: teacher.post(grid_url, body, content_type=form), saved, around=rolled_back)
        transaction.set_rollback(True)
    return {"pages": results, "subjects": subjects, "bare": bare}
