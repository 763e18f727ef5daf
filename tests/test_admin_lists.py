"""The Django admin's lists at scale: searches through the trainee search index, filters
without a scan of the table, and query counts that do not grow with the rows shown.
(Who may enter the admin is tested in tests/test_hardening.py.)"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications.services import issue_certification
from tests import factories

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, captured


def test_trainee_search_ignores_accents_and_case(client, admin_user):
    factories.TraineeFactory(paternal_surname="Núñez", given_names="María José")
    factories.TraineeFactory(paternal_surname="Ortega")
    client.force_login(admin_user)
    response, captured = _queries(client, reverse("admin:trainees_trainee_changelist") + "?q=NUNEZ maria")
    page = response.content.decode()
    assert "Núñez" in page and "Ortega" not in page
    assert any("search_text" in query["sql"] for query in captured)


def test_certification_list_queries_do_not_grow_with_superseded_rows(client, admin_user):
    holder = factories.TraineeFactory()
    cert_type = factories.CertificationTypeFactory(validity_months=12)
    client.force_login(admin_user)
    url = reverse("admin:certifications_certification_changelist")
    issue_certification(trainee=holder, type=cert_type, issued_on=datetime.date(2020, 1, 10))
    _response, few = _queries(client, url)
    for year in range(2021, 2027):
        issue_certification(trainee=holder, type=cert_type, issued_on=datetime.date(year, 1, 10))
    response, many = _queries(client, url)
    assert len(many) == len(few)
    newest = holder.certifications.order_by("-issued_on").first()
    assert newest.code in response.content.decode()


def test_reminder_stage_filter_offers_the_configured_stages(client, admin_user, settings):
    settings.CERT_REMINDER_DAYS = [90, 30, 7, 0]
    reminder = factories.ExpiryReminderFactory(stage=30)
    factories.ExpiryReminderFactory(stage=7)
    client.force_login(admin_user)
    url = reverse("admin:certifications_expiryreminder_changelist")
    response, captured = _queries(client, url)
    assert "?stage=90" in response.content.decode() and "?stage=0" in response.content.decode()
    assert not any("DISTINCT" in query["sql"] for query in captured)
    filtered = client.get(url + "?stage=30")
    assert filtered.context["cl"].result_count == 1
    assert list(filtered.context["cl"].result_list) == [reminder]
