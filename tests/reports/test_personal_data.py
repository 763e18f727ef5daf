"""The ARCO right of access: a trainee downloads their whole record (JSON, PDF) from /me/, an
administrator from the record page; both are logged; draft results never leave."""

import datetime
import json

import pytest
from django.urls import reverse

from accounts.models import ExportLog
from courses.models import CourseSession
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(trainee_user):
    trainee = trainee_user.trainee
    final = factories.CourseSessionFactory(code="FIN-1", status=CourseSession.Status.FINALIZED)
    factories.EnrollmentFactory(session=final, trainee=trainee, result="passed", score=91, remarks="Excelente")
    draft = factories.CourseSessionFactory(
        code="DRAFT-1",
        status=CourseSession.Status.IN_PROGRESS,
        starts_on=datetime.date(2026, 10, 5),
        ends_on=datetime.date(2026, 10, 9),
    )
    factories.EnrollmentFactory(session=draft, trainee=trainee, result="failed", score=12, remarks="Borrador")
    factories.CertificationFactory(trainee=trainee, type=final.course.grants, issued_on=final.ends_on)
    trainee.languages.create(language="en", proficiency="advanced")
    return trainee


def test_trainee_downloads_own_data_as_json_without_drafts(client, trainee_user, record):
    client.force_login(trainee_user)
    me = client.get(reverse("reports:me")).content.decode()
    assert reverse("reports:my-personal-data", args=["json"]) in me
    response = client.get(reverse("reports:my-personal-data", args=["json"]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    assert data["trainee"]["service_number"] == record.service_number
    assert data["trainee"]["languages"] == [{"language": "en", "proficiency": "advanced"}]
    sessions = {row["session"]: row for row in data["enrollments"]}
    assert sessions["FIN-1"]["result"] == "passed" and sessions["FIN-1"]["score"] == 91.0
    assert sessions["DRAFT-1"]["results_final"] is False
    assert sessions["DRAFT-1"]["result"] is None and sessions["DRAFT-1"]["score"] is None
    assert "Borrador" not in response.content.decode()
    assert len(data["certifications"]) == 1
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.parameters) == (trainee_user, "personal-data-json", {"trainee": record.pk})


def test_trainee_downloads_own_data_as_pdf(client, trainee_user, record):
    client.force_login(trainee_user)
    response = client.get(reverse("reports:my-personal-data", args=["pdf"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert ExportLog.objects.get().kind == "personal-data-pdf"


def test_administrator_exports_from_the_record_page(client, admin_user, record):
    client.force_login(admin_user)
    page = client.get(reverse("reports:trainee", args=[record.pk])).content.decode()
    url = reverse("reports:trainee-personal-data", args=[record.pk, "json"])
    assert url in page
    data = json.loads(client.get(url).content)
    assert {row["session"] for row in data["enrollments"]} == {"FIN-1", "DRAFT-1"}
    assert next(row for row in data["enrollments"] if row["session"] == "DRAFT-1")["result"] is None
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.parameters) == (admin_user, "personal-data-json", {"trainee": record.pk})


def test_nobody_else_gets_someone_elses_data(client, other_trainee_user, instructor, record):
    for user in (other_trainee_user, instructor):
        client.force_login(user)
        assert client.get(reverse("reports:trainee-personal-data", args=[record.pk, "json"])).status_code == 403
    # /me/ exports the signed-in trainee's own record, never another's.
    client.force_login(other_trainee_user)
    data = json.loads(client.get(reverse("reports:my-personal-data", args=["json"])).content)
    assert data["trainee"]["service_number"] == other_trainee_user.trainee.service_number
    assert data["enrollments"] == []
    assert not ExportLog.objects.filter(parameters__trainee=record.pk).exists()
