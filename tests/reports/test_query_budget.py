"""The dashboard and the parity report make as many queries with many rows as with few: their
figures are aggregates in the database (bench/pages.py times them at national scale)."""

import datetime

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import CourseSession
from tests import factories

pytestmark = pytest.mark.django_db


def _add(size, number):
    organizations = [factories.OrganizationFactory(name=f"Org {number}-{index}") for index in range(3)]
    course = factories.CourseFactory(code=f"C-{number}", ugps_category="" if number % 2 else "fpu")
    session = factories.CourseSessionFactory(
        course=course,
        code=f"S-{number}",
        status=CourseSession.Status.FINALIZED,
        starts_on=datetime.date(2026, number, 1),
        ends_on=datetime.date(2026, number, 10),
    )
    upcoming = factories.CourseSessionFactory(
        course=course,
        code=f"U-{number}",
        starts_on=datetime.date(2027, number, 1),
        ends_on=datetime.date(2027, number, 9),
    )
    for index in range(size):
        trainee = factories.TraineeFactory(
            organization=organizations[index % 3],
            gender=("female", "male", "")[index % 3],
            category=("military", "police", "civilian")[index % 3],
        )
        factories.EnrollmentFactory(session=session, trainee=trainee, result="passed", score=80)
        factories.EnrollmentFactory(session=upcoming, trainee=trainee)
        factories.CertificationFactory(trainee=trainee, type=course.grants, issued_on=datetime.date(2026, number, 10))


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [reverse("reports:dashboard") + "?period=2026", reverse("reports:parity")])
def test_report_queries_do_not_grow_with_rows(client, admin_user, url):
    client.force_login(admin_user)
    counts = []
    for number, size in ((1, 6), (2, 30)):
        _add(size, number)
        client.get(url)  # per-process caches (content types, translations)
        caches["reports"].clear()
        cache.delete_pattern("report-kept:*")  # the figures computed (by the task, run here) again
        computed = _queries(client, url)
        kept = _queries(client, url)  # the figures kept under the same data version (reports/cache.py)
        counts.append((computed, kept))
    assert counts[0] == counts[1]
    computed, kept = counts[0]
    assert computed <= 25 and kept < computed


def test_kept_figures_change_with_the_data(client, admin_user):
    client.force_login(admin_user)
    _add(3, 1)
    url = reverse("reports:dashboard") + "?period=2026"
    assert client.get(url).context["total"][0].value == 3
    _add(2, 2)  # new enrolments write history events: a new data version
    assert client.get(url).context["total"][0].value == 5


def test_after_a_change_the_last_figures_are_shown_dated_while_new_ones_are_computed(
    client, admin_user, monkeypatch, settings
):
    """The page never computes: after a write it serves the figures it kept, marked as being
    updated, and leaves the computation to the worker (here: a worker that has not run yet)."""
    from reports.tasks import compute_report

    client.force_login(admin_user)
    _add(3, 1)
    url = reverse("reports:dashboard") + "?period=2026"
    assert client.get(url).context["total"][0].value == 3
    queued = []
    settings.REPORT_WAIT_SECONDS = 0.3
    monkeypatch.setattr(compute_report, "delay", lambda *args: queued.append(args))
    _add(2, 2)
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["total"][0].value == 3 and response.context["figures"].stale
    assert "newer figures are being computed" in response.content.decode()
    client.get(url)
    assert len(queued) == 1  # one computation at a time (a lock in the cache)
    compute_report.apply(args=queued[0])  # the worker's turn
    response = client.get(url)
    assert response.context["total"][0].value == 5 and not response.context["figures"].stale


@pytest.mark.parametrize("language", ["es", "en"])
def test_with_no_figures_yet_the_page_says_they_are_being_prepared(client, admin_user, monkeypatch, settings, language):
    from reports.tasks import compute_report

    settings.REPORT_WAIT_SECONDS = 0
    monkeypatch.setattr(compute_report, "delay", lambda *args: None)  # a busy worker
    client.force_login(admin_user)
    for name in ("reports:dashboard", "reports:parity"):
        response = client.get(reverse(name), headers={"accept-language": language})
        assert response.status_code == 202 and response["Refresh"] == "3"
        assert response["Cache-Control"] == "private, no-store"
        text = "being computed" if language == "en" else "se están calculando"
        assert text in response.content.decode()
