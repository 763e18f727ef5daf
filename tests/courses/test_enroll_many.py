"""Enrolling a whole class at once (services.enroll_many and the session page's class form): the
single-enrolment rules for each person, a per-person outcome, a query count that does not grow
with the class, and two administrators enrolling classes at once never overfill a session."""

import datetime
import re
import threading
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import services
from courses.models import CourseSession, Enrollment
from tests import factories

from .test_enrollment import _slow_now


@pytest.fixture
def session(db):
    """Four seats; the course requires a certification valid on the start date (2026-03-02)."""
    core = factories.CertificationTypeFactory(code="CPTM", name="UN core pre-deployment training")
    course = factories.CourseFactory(code="UNMEM", grants=None)
    course.prerequisites.add(core)
    return factories.CourseSessionFactory(course=course, capacity=4)


def _qualified(session, count, **fields):
    """`count` trainees holding the session's prerequisite, valid on its start date."""
    (core,) = session.course.prerequisites.all()
    people = []
    for _ in range(count):
        trainee = factories.TraineeFactory(**fields)
        factories.CertificationFactory(trainee=trainee, type=core, issued_on=datetime.date(2025, 6, 1))
        people.append(trainee)
    return people


def _outcomes(results):
    return [(result.trainee.pk, result.outcome) for result in results]


def test_seats_go_in_list_order_and_the_rest_wait(session, admin_user):
    people = _qualified(session, 6)

    results = services.enroll_many(session=session, trainees=people, by=admin_user)

    assert [r.outcome for r in results] == ["enrolled"] * 4 + ["waitlisted"] * 2
    assert session.enrollments.active().count() == 4
    waiting = list(session.enrollments.filter(status="waitlisted").order_by("enrolled_at", "pk"))
    assert [e.trainee_id for e in waiting] == [people[4].pk, people[5].pk]
    assert {e.enrolled_by_id for e in session.enrollments.all()} == {admin_user.pk}
    # The waitlist then moves up as for one-by-one enrolments.
    services.withdraw(enrollment=session.enrollments.get(trainee=people[0]))
    assert session.enrollments.get(trainee=people[4]).status == "enrolled"


def test_each_person_gets_the_single_enrollment_rules(session, admin_user):
    enrolled, waitlisted, withdrawn, fresh = _qualified(session, 4)
    services.enroll(session=session, trainee=enrolled, by=admin_user)
    Enrollment.objects.create(session=session, trainee=waitlisted, status="waitlisted")
    old = Enrollment.objects.create(session=session, trainee=withdrawn, status="withdrawn")
    lacking = factories.TraineeFactory(paternal_surname="Zúñiga")
    lapsing = factories.TraineeFactory(paternal_surname="Ávila")
    (core,) = session.course.prerequisites.all()
    # Valid today, but expired before the session starts: refused.
    factories.CertificationFactory(
        trainee=lapsing, type=core, issued_on=datetime.date(2024, 1, 1), expires_on=datetime.date(2026, 3, 1)
    )

    results = services.enroll_many(
        session=session, trainees=[enrolled, waitlisted, withdrawn, fresh, lacking, lapsing, fresh], by=admin_user
    )

    by_pk = {r.trainee.pk: r for r in results}
    assert len(results) == 6  # `fresh` listed twice counts once
    assert by_pk[enrolled.pk].outcome == "refused" and "already on this session (Enrolled)" in by_pk[enrolled.pk].reason
    assert by_pk[waitlisted.pk].outcome == "refused" and "(Waitlisted)" in by_pk[waitlisted.pk].reason
    assert by_pk[withdrawn.pk].outcome == "enrolled"
    assert by_pk[withdrawn.pk].enrollment.pk == old.pk  # the same row, its history kept
    assert by_pk[fresh.pk].outcome == "enrolled"
    for person in (lacking, lapsing):
        assert by_pk[person.pk].outcome == "refused"
        assert re.search(
            r"lacks a prerequisite valid on .*: .*UN core pre-deployment training", by_pk[person.pk].reason
        )
    assert not Enrollment.objects.filter(trainee__in=[lacking, lapsing]).exists()


def test_an_administrator_overrides_prerequisites_with_a_recorded_reason(session, admin_user, instructor):
    lacking = factories.TraineeFactory()
    qualified = _qualified(session, 1)[0]

    with pytest.raises(PermissionDenied):
        services.enroll_many(
            session=session, trainees=[lacking], by=instructor, override_prerequisites=True, override_reason="x"
        )
    with pytest.raises(ValidationError):
        services.enroll_many(session=session, trainees=[lacking], by=admin_user, override_prerequisites=True)
    results = services.enroll_many(
        session=session,
        trainees=[lacking, qualified],
        by=admin_user,
        override_prerequisites=True,
        override_reason="Curso equivalente de la ONU",
    )

    assert [r.outcome for r in results] == ["enrolled", "enrolled"]
    overridden = Enrollment.objects.get(trainee=lacking)
    assert overridden.prerequisites_overridden and overridden.override_reason == "Curso equivalente de la ONU"
    assert not Enrollment.objects.get(trainee=qualified).prerequisites_overridden


@pytest.mark.parametrize("status", [CourseSession.Status.FINALIZED, CourseSession.Status.CANCELLED])
def test_a_closed_session_takes_no_class(session, admin_user, status):
    CourseSession.objects.filter(pk=session.pk).update(status=status)
    with pytest.raises(ValidationError, match="takes no enrolments"):
        services.enroll_many(session=session, trainees=_qualified(session, 2), by=admin_user)
    assert not session.enrollments.exists()


def _queries(session, admin_user, count):
    people = _qualified(session, count)
    withdrawn = people[0]
    Enrollment.objects.create(session=session, trainee=withdrawn, status="withdrawn")
    with CaptureQueriesContext(connection) as queries:
        services.enroll_many(session=session, trainees=people, by=admin_user)
    return len(queries)


def test_the_query_count_does_not_grow_with_the_class(admin_user):
    small = factories.CourseSessionFactory(course__grants=None, capacity=3)
    large = factories.CourseSessionFactory(course=small.course, capacity=30)
    small.course.prerequisites.add(factories.CertificationTypeFactory())

    assert _queries(small, admin_user, 5) == _queries(large, admin_user, 60)


# --- Two administrators enrolling classes at once ---------------------------------------------


def _enroll_classes_concurrently(session_pk, classes, by_pk):
    from accounts.models import User
    from trainees.models import Trainee

    barrier = threading.Barrier(len(classes))
    errors = []

    def worker(pks):
        try:
            session = CourseSession.objects.get(pk=session_pk)
            people = list(Trainee.objects.filter(pk__in=pks))
            by = User.objects.get(pk=by_pk)
            barrier.wait(timeout=10)
            services.enroll_many(session=session, trainees=people, by=by)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(pks,)) for pks in classes]
    with mock.patch("courses.services.timezone.now", side_effect=_slow_now):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_two_classes_enrolled_at_once_into_a_nearly_full_session_never_overfill():
    admin = factories.AdministratorFactory()
    session = factories.CourseSessionFactory(capacity=5, course__grants=None)
    for _ in range(2):
        factories.EnrollmentFactory(session=session)  # three seats left
    first = [factories.TraineeFactory().pk for _ in range(3)]
    second = [factories.TraineeFactory().pk for _ in range(3)]

    _enroll_classes_concurrently(session.pk, [first, second], admin.pk)

    assert Enrollment.objects.filter(session=session).active().count() == 5
    assert Enrollment.objects.filter(session=session, status="waitlisted").count() == 3
    # One class took all three seats: the other waited for the lock, then found none.
    statuses = {
        tuple(sorted(Enrollment.objects.filter(trainee_id__in=group).values_list("status", flat=True)))
        for group in (first, second)
    }
    assert statuses == {("enrolled",) * 3, ("waitlisted",) * 3}


# --- The session page's class form ----------------------------------------------------------


def _url(session):
    return reverse("courses:session-enroll-many", args=[session.pk])


def _outcome_rows(html):
    table = html.split('id="enrol-outcomes"', 1)[1].split("</table>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>.*?</tr>", table, re.S)[1:]]


def test_a_pasted_list_enrolls_and_reports_each_person(client, admin_user, session):
    ana, luis, twin_mx = _qualified(session, 3)
    guatemala = factories.OrganizationFactory(name="Ejército de Guatemala", country="GT")
    twin_gt = _qualified(session, 1, service_number=twin_mx.service_number, nationality="GT", organization=guatemala)[0]
    lacking = factories.TraineeFactory()
    client.force_login(admin_user)
    pasted = "\n".join(
        [
            ana.service_number,
            f"{luis.service_number}\tMX",
            twin_mx.service_number,  # two countries: ambiguous without the nationality
            f"{twin_gt.service_number}, gt",
            "XX-999999",
            lacking.service_number,
            "",
        ]
    )

    response = client.post(_url(session), {"service_numbers": pasted})

    assert response.status_code == 200
    rows = _outcome_rows(response.content.decode())
    assert len(rows) == 6
    assert any(twin_mx.service_number in row and "Refused" in row and "add the nationality" in row for row in rows)
    assert any("XX-999999" in row and "No trainee has this service number" in row for row in rows)
    assert any(lacking.full_name in row and "Refused" in row and "lacks a prerequisite" in row for row in rows)
    for person in (ana, luis, twin_gt):
        assert any(person.full_name in row and "Enrolled" in row for row in rows), (person, rows)
    assert set(session.enrollments.values_list("trainee_id", flat=True)) == {ana.pk, luis.pk, twin_gt.pk}
    assert "3 enrolled, 0 waitlisted, 3 refused." in response.content.decode()


def test_ticked_search_results_and_whole_groups_are_enrolled(client, admin_user, session):
    ticked = _qualified(session, 2)
    unit = factories.OrganizationFactory(name="Batallón de Ingenieros")
    members = _qualified(session, 2, organization=unit)
    earlier = factories.CourseSessionFactory(code="CPTM-2025-01", status=CourseSession.Status.FINALIZED)
    passed = _qualified(session, 2)
    for trainee in passed:
        factories.EnrollmentFactory(session=earlier, trainee=trainee, result="passed")
    failed = _qualified(session, 1)[0]
    factories.EnrollmentFactory(session=earlier, trainee=failed, result="failed")
    client.force_login(admin_user)

    response = client.post(
        _url(session),
        {"trainees": [t.pk for t in ticked], "passed_session": "cptm-2025-01", "organization": unit.pk},
    )

    rows = _outcome_rows(response.content.decode())
    # Four seats: the ticked first, then those who passed, then the organization: two wait.
    assert [row.rsplit(" ", 1)[-1] for row in rows] == ["Enrolled"] * 4 + ["Waitlisted"] * 2
    statuses = dict(session.enrollments.values_list("trainee_id", "status"))
    assert [statuses[t.pk] for t in ticked + passed] == ["enrolled"] * 4
    assert [statuses[t.pk] for t in members] == ["waitlisted"] * 2
    assert failed.pk not in statuses


def test_the_search_offers_checkboxes_for_the_class_form(client, admin_user, session):
    person = factories.TraineeFactory(paternal_surname="Ixcot")
    client.force_login(admin_user)
    html = client.get(reverse("courses:session-detail", args=[session.pk]), {"q": "ixcot"}).content.decode()
    assert re.search(
        rf'<input[^>]*type="checkbox"[^>]*name="trainees"[^>]*value="{person.pk}"[^>]*form="enrol-many"', html
    )
    assert re.search(r'<form[^>]*action="[^"]*/enrol/class/"[^>]*id="enrol-many"', html)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Tick trainees in the search, paste service numbers"),
        ({"passed_session": "NOPE"}, "No session has the code NOPE"),
        ({"trainees": ["²"]}, "is not a valid value"),
        ({"service_numbers": "MX-1", "override_prerequisites": "on"}, "Give the reason"),
    ],
)
def test_a_bad_class_form_enrolls_nobody_and_says_why(client, admin_user, session, data, message):
    client.force_login(admin_user)
    response = client.post(_url(session), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not session.enrollments.exists()


def test_only_administrators_enroll_classes(client, instructor, session):
    session.instructors.add(instructor)
    person = _qualified(session, 1)[0]
    client.force_login(instructor)
    assert client.post(_url(session), {"trainees": [person.pk]}).status_code == 403
    assert not session.enrollments.exists()


def _page_queries(client, session, count):
    people = _qualified(session, count)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(_url(session), {"service_numbers": "\n".join(p.service_number for p in people)})
    assert response.status_code == 200
    assert session.enrollments.count() == count
    return len(queries)


def test_the_class_page_query_count_does_not_grow_with_the_class(client, admin_user):
    client.force_login(admin_user)
    small = factories.CourseSessionFactory(course__grants=None, capacity=50)
    large = factories.CourseSessionFactory(course=small.course, capacity=50)
    small.course.prerequisites.add(factories.CertificationTypeFactory(code="CPTM"))
    client.get(reverse("courses:session-detail", args=[small.pk]))  # warm the session's caches

    assert _page_queries(client, small, 3) == _page_queries(client, large, 40)
