"""The cached rendering of a trainee's record (trainees/records.py).

A second visit reads none of the record's rows; any change to any row the record shows, made
by any means (here: queryset.update(), which no signal sees), shows on the next visit; and the
rendering never crosses languages, days or readers.
"""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications.models import Certification, CertificationType, ExpiryReminder
from courses.models import Course, CourseSession, Enrollment
from tests.factories import (
    CertificationFactory,
    CourseSessionFactory,
    EnrollmentFactory,
    ExpiryReminderFactory,
)
from trainees.models import Organization, Trainee, TraineeLanguage

pytestmark = pytest.mark.django_db

ME = reverse("reports:me")
RECORD_TABLES = ("courses_", "certifications_", "trainees_traineelanguage", "trainees_organization")


def main_of(response):
    """The page's <main>: the navigation around it holds a fresh CSRF token on every response."""
    assert response.status_code == 200
    return re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)


@pytest.fixture
def record(trainee_user, session):
    """trainee_user's record: a finalized course with a certificate and a pending reminder."""
    trainee = trainee_user.trainee
    TraineeLanguage.objects.create(trainee=trainee, language="fr", proficiency="basic")
    session.status = CourseSession.Status.FINALIZED
    session.save()
    enrollment = EnrollmentFactory(session=session, trainee=trainee, result="passed", score=91)
    certification = CertificationFactory(trainee=trainee, type=session.course.grants, enrollment=enrollment)
    reminder = ExpiryReminderFactory(certification=certification, state="pending")
    return {"trainee": trainee, "enrollment": enrollment, "certification": certification, "reminder": reminder}


def test_a_second_visit_reads_none_of_the_record(client, trainee_user, record):
    client.force_login(trainee_user)
    first = client.get(ME)
    with CaptureQueriesContext(connection) as captured:
        second = client.get(ME)
    assert main_of(second) == main_of(first)
    assert "SES-" in main_of(second) and "91" in main_of(second)
    read = [query["sql"] for query in captured if any(table in query["sql"] for table in RECORD_TABLES)]
    assert read == [], read
    assert len(captured) < 10


def _now():
    return timezone.now()


# Each change is made with queryset.update() or a plain create/delete, as a bulk job or a psql
# session would: the record must notice it without any code telling it.
CHANGES = {
    "trainee": (
        lambda r: Trainee.objects.filter(pk=r["trainee"].pk).update(email="nuevo.correo@sedena.example.mx"),
        "nuevo.correo@sedena.example.mx",
    ),
    "organization": (
        lambda r: Organization.objects.filter(pk=r["trainee"].organization_id).update(name="Guardia Nacional Zona 9"),
        "Guardia Nacional Zona 9",
    ),
    "language added": (
        lambda r: TraineeLanguage.objects.create(trainee=r["trainee"], language="pt", proficiency="advanced"),
        "pt (Advanced)",
    ),
    "enrolment": (
        lambda r: Enrollment.objects.filter(pk=r["enrollment"].pk).update(score=77),
        ">77<",
    ),  # scores print as people write them (the score filter)
    "session": (
        lambda r: CourseSession.objects.filter(pk=r["enrollment"].session_id).update(code="SES-RENOMBRADA"),
        "SES-RENOMBRADA",
    ),
    "course": (
        lambda r: Course.objects.filter(pk=r["enrollment"].session.course_id).update(title="Curso Renombrado"),
        "Curso Renombrado",
    ),
    "certification": (
        lambda r: Certification.objects.filter(pk=r["certification"].pk).update(
            revoked_at=_now(), revoked_reason="Error de captura del acta"
        ),
        "Error de captura del acta",
    ),
    "certification type": (
        lambda r: CertificationType.objects.filter(pk=r["certification"].type_id).update(name="Tipo Renombrado"),
        "Tipo Renombrado",
    ),
    "new certification": (
        lambda r: CertificationFactory(trainee=r["trainee"], type__name="Seguridad en el Terreno"),
        "Seguridad en el Terreno",
    ),
    "reminder": (
        lambda r: ExpiryReminder.objects.filter(pk=r["reminder"].pk).update(state="sent", sent_at=_now()),
        "days before expiry",
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_a_shown_row_shows_on_the_next_visit(client, trainee_user, record, change):
    make_change, expected = CHANGES[change]
    client.force_login(trainee_user)
    assert expected not in main_of(client.get(ME))
    assert expected not in main_of(client.get(ME))  # served from the cache
    make_change(record)
    page = main_of(client.get(ME))
    assert expected in page, page


def test_a_removed_row_disappears(client, trainee_user, record):
    client.force_login(trainee_user)
    assert "fr (Basic)" in main_of(client.get(ME))
    TraineeLanguage.objects.filter(trainee=record["trainee"], language="fr").delete()
    assert "fr (Basic)" not in main_of(client.get(ME))


def test_a_change_rolled_back_restores_the_rendering_it_had(client, trainee_user, record):
    """A savepoint rolled back leaves the rows, and so the version, as they were."""
    from django.db import transaction

    client.force_login(trainee_user)
    before = main_of(client.get(ME))
    with pytest.raises(RuntimeError), transaction.atomic():
        Course.objects.filter(pk=record["enrollment"].session.course_id).update(title="Nunca Guardado")
        assert "Nunca Guardado" in main_of(client.get(ME))
        raise RuntimeError("roll back")
    assert main_of(client.get(ME)) == before


def test_each_language_has_its_own_rendering(trainee_user, record):
    english, spanish = Client(HTTP_ACCEPT_LANGUAGE="en"), Client(HTTP_ACCEPT_LANGUAGE="es")
    for browser in (english, spanish):
        browser.force_login(trainee_user)
    assert "Personal data" in main_of(english.get(ME))
    page = main_of(spanish.get(ME))
    assert "Datos personales" in page and "Personal data" not in page


def test_a_certificate_expires_on_the_record_the_day_after_its_expiry(client, trainee_user, record):
    expires_on = timezone.localdate() + datetime.timedelta(days=10)
    Certification.objects.filter(pk=record["certification"].pk).update(expires_on=expires_on)
    client.force_login(trainee_user)
    assert ">Expiring soon<" in main_of(client.get(ME))
    day_after = datetime.datetime.combine(expires_on + datetime.timedelta(days=1), datetime.time(9))
    with time_machine.travel(timezone.make_aware(day_after), tick=False):
        client.force_login(trainee_user)  # the session of ten days ago has expired
        page = main_of(client.get(ME))
    assert ">Expired<" in page and ">Expiring soon<" not in page


def test_each_reader_has_their_own_rendering(client, admin_user, instructor, trainee_user, record):
    """The administrator's rendering (revoke buttons, draft scores) is never shown to others."""
    draft = CourseSessionFactory(instructors=[instructor], course__title="Curso en Curso")
    EnrollmentFactory(session=draft, trainee=record["trainee"], score=58)
    url = reverse("reports:trainee", args=[record["trainee"].pk])

    client.force_login(admin_user)
    page = main_of(client.get(url))
    assert "Revoke" in page and ">58<" in page

    client.force_login(instructor)
    page = main_of(client.get(url))
    assert "Revoke" not in page and ">58<" in page

    client.force_login(trainee_user)
    page = main_of(client.get(url))
    assert "Revoke" not in page and ">58<" not in page and "Awaiting results" in page  # ended, not finalized


def test_another_trainees_record_is_still_refused(client, other_trainee_user, record):
    client.force_login(other_trainee_user)
    client.get(reverse("reports:trainee", args=[other_trainee_user.trainee.pk]))
    assert client.get(reverse("reports:trainee", args=[record["trainee"].pk])).status_code == 404
    assert record["trainee"].service_number not in main_of(client.get(ME))
