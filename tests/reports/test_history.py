"""History: who changed what, when, old and new values, visible to administrators, never deletable."""

import datetime
import re
from decimal import Decimal

import pghistory
import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications.models import Certification
from certifications.services import revoke_certification
from courses import services
from courses.models import CourseSession, Enrollment
from tests import factories
from trainees.models import Trainee


@pytest.fixture
def admin_client(admin_user):
    client = Client(headers={"accept-language": "en"})
    client.force_login(admin_user)
    return client


@pytest.fixture
def graded_session(db, instructor):
    cert_type = factories.CertificationTypeFactory(code="UNMEM", name="UN Military Experts", validity_months=24)
    return factories.CourseSessionFactory(
        code="UNMEM-2026-01",
        course__grants=cert_type,
        course__pass_mark=70,
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 13),
        instructors=[instructor],
    )


def _record(session, by, rows):
    """Record results as a signed-in user does: the middleware puts the user in the history context."""
    with pghistory.context(user=by.pk, url=f"/sessions/{session.pk}/results/"):
        return services.record_results(session=session, results={e.pk: row for e, row in rows.items()}, by=by)


def _row(result, score=None, attendance=None, remarks=""):
    return {"result": result, "score": score, "attendance": attendance, "remarks": remarks}


def _text(response):
    """The page's visible text with whitespace collapsed, for assertions a reader would make."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_admin_edit_through_a_request_is_recorded_with_the_user_and_both_values(admin_client, admin_user):
    trainee = factories.TraineeFactory(rank="Capitán", status=Trainee.Status.ACTIVE)
    form = {
        "service_number": trainee.service_number,
        "given_names": trainee.given_names,
        "paternal_surname": trainee.paternal_surname,
        "maternal_surname": trainee.maternal_surname,
        "rank": "Mayor",
        "category": trainee.category,
        "branch": "",
        "organization": trainee.organization_id,
        "nationality": "MX",
        "gender": trainee.gender,
        "email": trainee.email,
        "phone": "",
        "status": Trainee.Status.DEPLOYED,
        "preferred_language": "es",
        "user": "",
        "languages-TOTAL_FORMS": "0",
        "languages-INITIAL_FORMS": "0",
        "languages-MIN_NUM_FORMS": "0",
        "languages-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(reverse("admin:trainees_trainee_change", args=[trainee.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]

    response = admin_client.get(reverse("reports:trainee-history", args=[trainee.pk]))

    assert response.status_code == 200
    text = _text(response)
    assert "by Adriana Sánchez" in text
    assert "Rank Capitán Mayor" in text
    # Choice labels, not stored values.
    assert "Status Active Deployed" in text
    assert "deployed" not in text


def test_session_history_shows_results_grid_changes_with_who_and_labels(
    admin_client, graded_session, instructor, admin_user
):
    maria = factories.EnrollmentFactory(
        session=graded_session, trainee__given_names="María", trainee__paternal_surname="Núñez"
    )
    _record(graded_session, instructor, {maria: _row("passed", Decimal("85.50"), 95, "Excelente desempeño")})
    _record(graded_session, instructor, {maria: _row("passed", Decimal("88"), 95, "Excelente desempeño")})

    response = admin_client.get(reverse("reports:session-history", args=[graded_session.pk]))

    assert response.status_code == 200
    text = _text(response)
    assert "Enrolment of María Núñez" in text
    assert "by Iván Ortega" in text
    assert "Result Pending Passed" in text
    assert "Score — 85.50" in text
    assert "Score 85.50 88" in text  # the second recording, old and new
    assert "Attendance (%) — 95" in text
    assert "Remarks — Excelente desempeño" in text
    # Newest first.
    assert text.index("Score 85.50 88") < text.index("Score — 85.50")


def test_bulk_grid_writes_are_recorded_one_entry_per_trainee(graded_session, instructor):
    enrollments = [factories.EnrollmentFactory(session=graded_session) for _ in range(3)]
    _record(graded_session, instructor, {e: _row("failed", Decimal("40"), 100) for e in enrollments})

    events = Enrollment.pgh_event_model.objects.filter(session_id=graded_session.pk, pgh_label="update")
    assert events.count() == 3
    assert {event.pgh_context.metadata["user"] for event in events} == {instructor.pk}


def test_reopening_reason_shows_in_the_session_timeline(admin_client, graded_session, instructor, admin_user):
    enrollment = factories.EnrollmentFactory(session=graded_session)
    _record(graded_session, instructor, {enrollment: _row("passed", Decimal("90"), 100)})
    with pghistory.context(user=instructor.pk):
        services.finalize_session(session=graded_session, by=instructor)
    with pghistory.context(user=admin_user.pk):
        services.reopen_session(session=graded_session, by=admin_user, reason="Score typed wrong for one trainee")

    text = _text(admin_client.get(reverse("reports:session-history", args=[graded_session.pk])))

    assert "Reopened Session by Adriana Sánchez" in text
    assert "Reason: Score typed wrong for one trainee" in text
    assert "Finalized Session by Iván Ortega" in text
    assert "Status Finalized In progress" in text


def test_revocation_reason_shows_in_the_trainee_timeline(admin_client, admin_user):
    certification = factories.CertificationFactory(type__name="Protección de Civiles")
    with pghistory.context(user=admin_user.pk):
        revoke_certification(certification=certification, reason="Issued to the wrong person", by=admin_user)

    text = _text(admin_client.get(reverse("reports:trainee-history", args=[certification.trainee_id])))

    assert f"Revoked Certification Protección de Civiles ({certification.code}) by Adriana Sánchez" in text
    assert "Reason: Issued to the wrong person" in text
    assert "Created Certification Protección de Civiles" in text


def test_trainee_timeline_includes_enrollments_with_their_results(admin_client, graded_session, instructor):
    enrollment = factories.EnrollmentFactory(session=graded_session)
    _record(graded_session, instructor, {enrollment: _row("failed", Decimal("55"), 80)})

    text = _text(admin_client.get(reverse("reports:trainee-history", args=[enrollment.trainee_id])))

    assert "Enrolment in UNMEM-2026-01" in text
    assert "Result Pending Failed" in text
    assert "Created Personal record by System" in text  # created by the factory, outside any request


def test_a_command_without_a_user_is_named_by_its_source(admin_client):
    with pghistory.context(source="import_trainees"):
        trainee = factories.TraineeFactory()

    text = _text(admin_client.get(reverse("reports:trainee-history", args=[trainee.pk])))

    assert "Created Personal record by System (import_trainees)" in text


def test_htmx_request_gets_the_timeline_fragment(admin_client, graded_session):
    response = admin_client.get(
        reverse("reports:session-history", args=[graded_session.pk]), headers={"hx-request": "true"}
    )

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="history"' in response.content


@pytest.mark.parametrize("who", ["instructor", "trainee_user", "other_instructor"])
def test_history_is_refused_to_anyone_but_administrators(who, request, graded_session):
    user = request.getfixturevalue(who)
    enrollment = factories.EnrollmentFactory(session=graded_session)
    own_trainee = getattr(user, "trainee", None)
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)

    assert client.get(reverse("reports:session-history", args=[graded_session.pk])).status_code == 403
    assert client.get(reverse("reports:trainee-history", args=[enrollment.trainee_id])).status_code == 403
    if own_trainee is not None:  # not even one's own history: it names who changed it
        assert client.get(reverse("reports:trainee-history", args=[own_trainee.pk])).status_code == 403


def test_history_asks_anonymous_visitors_to_sign_in(client, graded_session):
    response = client.get(reverse("reports:session-history", args=[graded_session.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_history_of_a_missing_record_is_404(admin_client, db):
    assert admin_client.get(reverse("reports:trainee-history", args=[999999])).status_code == 404
    assert admin_client.get(reverse("reports:session-history", args=[999999])).status_code == 404


def _grade_many(session, instructor, count):
    enrollments = [factories.EnrollmentFactory(session=session) for _ in range(count)]
    _record(session, instructor, {e: _row("passed", Decimal("80"), 100, "ok") for e in enrollments})
    _record(session, instructor, {e: _row("passed", Decimal("81"), 90, "ok") for e in enrollments})


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_session_history_query_count_does_not_grow_with_events(admin_client, instructor):
    small = factories.CourseSessionFactory(instructors=[instructor])
    large = factories.CourseSessionFactory(instructors=[instructor])
    _grade_many(small, instructor, 2)
    _grade_many(large, instructor, 15)

    small_count = _queries(admin_client, reverse("reports:session-history", args=[small.pk]))
    large_count = _queries(admin_client, reverse("reports:session-history", args=[large.pk]))

    assert large_count == small_count


def test_trainee_history_query_count_does_not_grow_with_events(admin_client, instructor):
    def trainee_with(sessions):
        trainee = factories.TraineeFactory()
        for _ in range(sessions):
            session = factories.CourseSessionFactory(instructors=[instructor])
            enrollment = factories.EnrollmentFactory(session=session, trainee=trainee)
            _record(session, instructor, {enrollment: _row("passed", Decimal("90"), 100)})
            factories.CertificationFactory(trainee=trainee, type=session.course.grants, enrollment=enrollment)
        return trainee

    few, many = trainee_with(1), trainee_with(6)

    assert _queries(admin_client, reverse("reports:trainee-history", args=[many.pk])) == _queries(
        admin_client, reverse("reports:trainee-history", args=[few.pk])
    )


@pytest.mark.parametrize("model", [Trainee, CourseSession, Enrollment, Certification])
def test_history_rows_cannot_be_deleted_or_changed(model, graded_session):
    factories.CertificationFactory(enrollment=factories.EnrollmentFactory(session=graded_session))
    event_model = model.pgh_event_model
    assert event_model.objects.exists()

    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        event_model.objects.all().delete()
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        event_model.objects.update(pgh_label="tampered")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{event_model._meta.db_table}"')

    assert event_model.objects.exists()
    assert not event_model.objects.filter(pgh_label="tampered").exists()


def test_history_is_not_reachable_through_the_admin(settings):
    """The admin edits records, never their history: no event model is registered there."""
    assert "pghistory.admin" not in settings.INSTALLED_APPS
    for model in (Trainee, CourseSession, Enrollment, Certification):
        assert not admin.site.is_registered(model.pgh_event_model)


def test_results_grid_post_is_recorded_with_the_instructor_and_both_values(admin_client, graded_session, instructor):
    """Through the real page: the instructor saves the grid; the history names them with old and new values."""
    from tests.courses.test_results_grid import _grid_data

    enrollment = factories.EnrollmentFactory(
        session=graded_session, trainee__given_names="Jesús", trainee__paternal_surname="Peña"
    )
    instructor_client = Client(headers={"accept-language": "en"})
    instructor_client.force_login(instructor)
    response = instructor_client.post(
        reverse("courses:session-results", args=[graded_session.pk]),
        _grid_data([enrollment], {enrollment: ("passed", "91", "100", "Muy bien")}),
    )
    assert response.status_code == 302

    event = Enrollment.pgh_event_model.objects.filter(pgh_obj_id=enrollment.pk, pgh_label="update").get()
    assert event.pgh_context.metadata["user"] == instructor.pk
    text = _text(admin_client.get(reverse("reports:session-history", args=[graded_session.pk])))
    assert "Enrolment of Jesús Peña" in text
    assert "by Iván Ortega" in text
    assert "Result Pending Passed" in text
    assert "Score — 91" in text
