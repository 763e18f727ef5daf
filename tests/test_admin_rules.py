"""The Django admin obeys the rules the pages obey, through its real change forms:

- a finalized session's course, dates, capacity and status are read-only until it is reopened
  through courses.services.reopen_session (CourseSession.frozen_fields, the session page's
  rule); a change goes through courses.services.update_session (the waitlist moves up);
- enrolments and results change only through the services: nothing of a result is editable,
  and an enrolment of a finalized session not at all;
- a certificate's stated content never changes in place, a revoked one not at all, and none
  is added here (issue_certification supersedes and codes them).
"""

import datetime
import re

import pytest
from django.urls import reverse

from certifications import services as certification_services
from certifications.models import Certification
from courses import services
from courses.models import CourseSession, Enrollment
from tests import factories

pytestmark = pytest.mark.django_db

NEW = {"starts_on": "2027-01-04", "ends_on": "2027-01-15", "capacity": "5"}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def input_names(response):
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', response.content.decode()))


def session_post(session, **changes):
    data = {
        "course": session.course_id,
        "code": session.code,
        "starts_on": session.starts_on.isoformat(),
        "ends_on": session.ends_on.isoformat(),
        "location": session.location,
        "capacity": session.capacity,
        "instructors": [user.pk for user in session.instructors.all()],
        "_save": "Save",
    }
    return {**data, **changes}


def test_a_finalized_session_is_read_only_in_the_admin_until_reopened(admin_client, admin_user, instructor):
    session = factories.CourseSessionFactory(status=CourseSession.Status.FINALIZED, instructors=[instructor])
    other_course = factories.CourseFactory()
    before = CourseSession.objects.values("course", "starts_on", "ends_on", "capacity", "status").get(pk=session.pk)

    form = admin_client.get(change_url(session))
    assert form.status_code == 200
    assert {"course", "starts_on", "ends_on", "capacity"}.isdisjoint(input_names(form))
    response = admin_client.post(
        change_url(session), session_post(session, course=other_course.pk, location="Campo Militar 1", **NEW)
    )
    assert response.status_code == 302

    after = CourseSession.objects.values("course", "starts_on", "ends_on", "capacity", "status").get(pk=session.pk)
    assert after == before
    assert CourseSession.objects.get(pk=session.pk).location == "Campo Militar 1"  # not locked, as on the page

    services.reopen_session(session=session, by=admin_user, reason="Fechas mal capturadas")
    assert {"starts_on", "ends_on", "capacity"} <= input_names(admin_client.get(change_url(session)))
    response = admin_client.post(change_url(session), session_post(session, **NEW))
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.starts_on, session.ends_on, session.capacity) == (
        datetime.date(2027, 1, 4),
        datetime.date(2027, 1, 15),
        5,
    )


def test_added_seats_in_the_admin_move_the_waitlist_up(admin_client):
    session = factories.CourseSessionFactory(capacity=1)
    factories.EnrollmentFactory(session=session)
    waiting = factories.EnrollmentFactory(session=session, status=Enrollment.Status.WAITLISTED)

    admin_client.post(change_url(session), session_post(session, capacity=2))

    waiting.refresh_from_db()
    assert waiting.status == Enrollment.Status.ENROLLED


def test_results_never_change_in_the_admin(admin_client):
    finalized = factories.CourseSessionFactory(status=CourseSession.Status.FINALIZED)
    final = factories.EnrollmentFactory(session=finalized, result="passed", score=90, remarks="Final")
    running = factories.EnrollmentFactory(result="failed", score=40, remarks="Borrador")

    assert admin_client.post(change_url(final), {"remarks": "changed", "_save": "Save"}).status_code == 403
    form = admin_client.get(change_url(running))
    assert {"result", "score", "attendance", "remarks"}.isdisjoint(input_names(form))
    admin_client.post(change_url(running), {"remarks": "changed", "result": "passed", "score": "99", "_save": "Save"})

    assert Enrollment.objects.values_list("result", "score", "remarks").get(pk=final.pk) == ("passed", 90, "Final")
    assert Enrollment.objects.values_list("result", "score", "remarks").get(pk=running.pk) == ("failed", 40, "Borrador")


def test_a_certificate_does_not_change_in_the_admin(admin_client, admin_user):
    certification = factories.CertificationFactory()
    assert admin_client.get(reverse("admin:certifications_certification_add")).status_code == 403
    assert {"trainee", "type", "issued_on", "expires_on"}.isdisjoint(
        input_names(admin_client.get(change_url(certification)))
    )
    admin_client.post(
        change_url(certification), {"expires_on": "2099-01-01", "issued_on": "2020-01-01", "_save": "Save"}
    )
    certification.refresh_from_db()
    assert (certification.issued_on, certification.expires_on) == (
        datetime.date(2026, 1, 15),
        datetime.date(2028, 1, 15),
    )

    certification_services.revoke_certification(certification=certification, reason="Error de captura", by=admin_user)
    revoked = admin_client.get(change_url(certification))
    assert input_names(revoked) <= {"csrfmiddlewaretoken", "_save", "_continue", "_addanother"}
    admin_client.post(change_url(certification), {"scan": "", "_save": "Save"})
    assert Certification.objects.get(pk=certification.pk).revoked_reason == "Error de captura"
