"""The dashboard (/reports/): figures computed from the rows the test creates, each equal to the
number of rows on the list it links to; drafts never counted; invalid filters refused."""

import csv
import datetime
import io
import re
from collections import defaultdict
from html import unescape

import pytest
from django.urls import reverse

from certifications.models import Certification
from courses.models import Enrollment
from tests import factories

pytestmark = pytest.mark.django_db


def _table(response, name):
    return next(table for table in response.context["tables"] if table.name == name)


def _row(table, label):
    return next(row for row in table.rows if str(row[0].value) == label)


def _listed(client, url):
    """How many rows the linked list shows (its paginator's count)."""
    response = client.get(unescape(url))
    assert response.status_code == 200, url
    return response.context["page_obj"].paginator.count


def _expected_trained(start, end, **where):
    """People trained between start and end, computed from the enrolments in plain Python."""
    people = set()
    for enrollment in Enrollment.objects.select_related("session", "trainee"):
        session = enrollment.session
        if (
            session.status == "finalized"
            and enrollment.status == "enrolled"
            and enrollment.result == "passed"
            and start <= session.ends_on <= end
            and all(getattr(enrollment.trainee, key) == value for key, value in where.items())
        ):
            people.add(enrollment.trainee_id)
    return people


def test_people_trained_count_each_person_once_and_match_the_linked_list(client, admin_user, training, today):
    client.force_login(admin_user)
    response = client.get(reverse("reports:dashboard"), {"period": "2026"})
    assert response.status_code == 200
    expected = _expected_trained(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    # Ana twice in 2026, Beto, Carla, Dora, Fer: five people; the draft's Eli is not among them.
    assert len(expected) == 5
    total, women, share = response.context["total"]
    assert total.value == len(expected)
    assert women.value == 3  # Ana, Carla, Dora
    assert share.value == 60.0
    assert _listed(client, total.url) == total.value
    assert _listed(client, women.url) == women.value

    by_course = _table(response, "trained-by-course")
    poc = _row(by_course, "POC — Protección de civiles")
    assert poc[1].value == 5
    assert _listed(client, poc[1].url) == 5

    by_category = _table(response, "trained-by-category")
    for label, category in (("Military", "military"), ("Police", "police"), ("Civilian", "civilian")):
        row = _row(by_category, label)
        expected_here = _expected_trained(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), category=category)
        assert row[1].value == len(expected_here)
        assert _listed(client, row[1].url) == len(expected_here)

    by_gender = _table(response, "trained-by-gender")
    not_recorded = _row(by_gender, "Not recorded")
    assert not_recorded[1].value == 1  # Fer
    assert _listed(client, not_recorded[1].url) == 1

    by_nationality = _table(response, "trained-by-nationality")
    assert _row(by_nationality, "Guatemala")[1].value == 1  # Dora; Eli failed
    assert _listed(client, _row(by_nationality, "Guatemala")[1].url) == 1

    by_month = _table(response, "trained-by-month")
    assert [row[1].value for row in by_month.rows] == [3, 3]  # March: Ana, Beto, Carla; September: Ana, Dora, Fer
    for row in by_month.rows:
        assert _listed(client, row[1].url) == row[1].value

    by_year = _table(response, "trained-by-year")
    assert [(row[0].value, row[1].value) for row in by_year.rows] == [("2025", 2), ("2026", 5)]


def test_filters_narrow_the_figures_and_the_links(client, admin_user, people, training, today):
    client.force_login(admin_user)
    police = people["carla"].organization
    response = client.get(
        reverse("reports:dashboard"), {"period": "2026-09", "organization": police.pk, "category": "police"}
    )
    assert response.status_code == 200
    total = response.context["total"][0]
    assert total.value == 1  # Fer in September (Carla trained in March)
    assert f"organization={police.pk}" in total.url and "category=police" in total.url
    assert _listed(client, total.url) == 1


def test_pass_rates_count_final_results_only(client, admin_user, training, today):
    client.force_login(admin_user)
    response = client.get(reverse("reports:dashboard"), {"period": "2026"})
    poc = _row(_table(response, "pass-rates"), "POC")
    finals = Enrollment.objects.filter(
        session__course=training["poc"], session__status="finalized", status="enrolled", session__ends_on__year=2026
    )
    passed = [enrollment for enrollment in finals if enrollment.result == "passed"]
    assert poc[1].value == len(finals) == 8
    assert poc[2].value == len(passed) == 6
    assert poc[5].value == round(len(passed) * 100 / len(finals), 1) == 75.0
    assert poc[6].value == round(sum(float(e.score) for e in finals) / len(finals), 1)
    # The link lists the two finalized sessions that make the figure, not the draft.
    assert _listed(client, poc[1].url) == 2


def test_certifications_by_standing_match_the_expiring_list(client, admin_user, people, today):
    client.force_login(admin_user)
    first_aid = factories.CertificationTypeFactory(code="FA", name="Primeros auxilios", validity_months=None)
    poc = factories.CertificationTypeFactory(code="POC", name="Protección de civiles")
    ana, beto, dora = people["ana"], people["beto"], people["dora"]
    rows = [
        (ana, poc, today + datetime.timedelta(days=10)),  # expiring within 30, 60, 90
        (ana, first_aid, None),  # never expires: valid
        (beto, poc, today + datetime.timedelta(days=45)),  # within 60 and 90
        (beto, first_aid, today - datetime.timedelta(days=3)),  # lapsed
        (dora, poc, today + datetime.timedelta(days=400)),  # valid; no organization
    ]
    for trainee, kind, expires_on in rows:
        factories.CertificationFactory(
            trainee=trainee, type=kind, issued_on=datetime.date(2024, 1, 1), expires_on=expires_on
        )
    # Neither a revoked nor a superseded certificate counts.
    old = factories.CertificationFactory(
        trainee=ana, type=poc, issued_on=datetime.date(2022, 1, 1), expires_on=today + datetime.timedelta(days=5)
    )
    Certification.objects.filter(pk=old.pk).update(
        superseded_by=Certification.objects.filter(trainee=ana, type=poc).first()
    )
    factories.CertificationFactory(
        trainee=beto,
        type=poc,
        issued_on=datetime.date(2024, 1, 1),
        expires_on=today + datetime.timedelta(days=20),
        revoked_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        revoked_reason="Error",
    )
    response = client.get(reverse("reports:dashboard"))
    by_organization = _table(response, "certifications-by-organization")
    sedena = _row(by_organization, "SEDENA")
    assert [cell.value for cell in sedena[1:]] == [1, 1, 2, 2, 1]  # valid, within 30, 60, 90, lapsed
    none = _row(by_organization, "No organization")
    assert [cell.value for cell in none[1:]] == [1, 0, 0, 0, 0]
    for row in by_organization.rows:
        for cell in row[1:]:
            assert _listed(client, cell.url) == cell.value, cell.url
    by_type = _table(response, "certifications-by-type")
    for row in by_type.rows:
        for cell in row[1:]:
            assert _listed(client, cell.url) == cell.value, cell.url


def test_upcoming_sessions_show_fill_rate_and_waitlist(client, admin_user, people, today):
    client.force_login(admin_user)
    session = factories.CourseSessionFactory(
        code="UP-1",
        starts_on=today + datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=20),
        capacity=4,
    )
    for trainee in (people["ana"], people["beto"], people["carla"]):
        factories.EnrollmentFactory(session=session, trainee=trainee)
    factories.EnrollmentFactory(session=session, trainee=people["dora"], status="waitlisted")
    response = client.get(reverse("reports:dashboard"))
    row = _row(_table(response, "upcoming-sessions"), "UP-1")
    assert [cell.value for cell in row[3:]] == [4, 3, 75.0, 1]
    assert row[0].url == reverse("courses:session-detail", args=[session.pk])


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2026-13"},
        {"period": "last year"},
        {"organization": "999999"},
        {"country": "XX"},
        {"category": "navy"},
    ],
)
def test_an_invalid_filter_is_an_error_not_everything(client, admin_user, training, today, params):
    client.force_login(admin_user)
    response = client.get(reverse("reports:dashboard"), params)
    assert response.status_code == 400
    assert "tables" not in response.context
    assert b"Correct the filters" in response.content
    assert client.get(reverse("reports:dashboard-table", args=["trained-by-course", "csv"]), params).status_code == 400


def test_chart_data_downloads_as_csv_and_xlsx(client, admin_user, training, today):
    from openpyxl import load_workbook

    client.force_login(admin_user)
    response = client.get(reverse("reports:dashboard-table", args=["trained-by-month", "csv"]), {"period": "2026"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Month", "People trained", "Women", "Women (%)"]
    assert [row[1] for row in rows[1:]] == ["3", "3"]
    response = client.get(reverse("reports:dashboard-table", args=["trained-by-course", "xlsx"]), {"period": "2026"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [cell.value for cell in sheet[2]][:2] == ["POC — Protección de civiles", 5]
    assert client.get(reverse("reports:dashboard-table", args=["nothing", "csv"])).status_code == 404


def test_the_page_carries_chart_data_for_the_script_and_no_inline_script(client, admin_user, training, today):
    client.force_login(admin_user)
    content = client.get(reverse("reports:dashboard"), {"period": "2026"}).content.decode()
    assert '<script id="report-charts" type="application/json">' in content
    assert "vendor/chartjs/chart.umd.min.js" in content and "js/report-charts.js" in content
    for tag in re.findall(r"<script[^>]*>", content):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_spanish_dashboard(admin_user, training, today):
    from django.test import Client

    client = Client(headers={"accept-language": "es"})
    client.force_login(admin_user)
    content = client.get(reverse("reports:dashboard"), {"period": "2026"}).content.decode()
    assert "Personas capacitadas por curso" in content


def test_dashboard_pdf_for_a_month(client, admin_user, training, today):
    client.force_login(admin_user)
    response = client.get(reverse("reports:dashboard-pdf"), {"period": "2026-09"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client.get(reverse("reports:dashboard-pdf"), {"period": "2026-99"}).status_code == 400


def test_women_counts_by_month_equal_a_python_count(client, admin_user, training, today):
    client.force_login(admin_user)
    response = client.get(reverse("reports:dashboard"), {"period": "2026"})
    women = defaultdict(set)
    for enrollment in Enrollment.objects.trained().select_related("session", "trainee"):
        if enrollment.session.ends_on.year == 2026 and enrollment.trainee.gender == "female":
            women[enrollment.session.ends_on.month].add(enrollment.trainee_id)
    assert [row[2].value for row in _table(response, "trained-by-month").rows] == [len(women[3]), len(women[9])]
