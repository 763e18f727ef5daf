"""Course and session pages: who may open each page, the catalogue and session forms,
enrolment, withdrawal, finalize and reopen through the views, and query budgets."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications.models import Certification
from courses.models import Course, CourseSession, Enrollment
from tests import factories

ANONYMOUS = "anonymous"
ROLES = ["anonymous", "trainee", "other_trainee", "instructor", "other_instructor", "admin"]


@pytest.fixture
def cast(admin_user, instructor, other_instructor, trainee_user, other_trainee_user):
    return {
        "anonymous": None,
        "trainee": trainee_user,
        "other_trainee": other_trainee_user,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "admin": admin_user,
    }


@pytest.fixture
def class_session(session, trainee_user):
    """`session` (taught by `instructor`) with `trainee_user` and a classmate enrolled."""
    factories.EnrollmentFactory(session=session, trainee=trainee_user.trainee)
    factories.EnrollmentFactory(
        session=session, trainee=factories.TraineeFactory(given_names="Guadalupe", paternal_surname="Classmate")
    )
    return session


def _client_for(client, cast, role):
    if cast[role] is not None:
        client.force_login(cast[role])
    return client


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def _is_login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _count_queries(client, method, url, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


# --- Who may open what -------------------------------------------------------------------

COURSE_LIST = {
    "anonymous": "login",
    "trainee": 403,
    "other_trainee": 403,
    "instructor": 200,
    "other_instructor": 200,
    "admin": 200,
}
ADMIN_ONLY = {
    "anonymous": "login",
    "trainee": 403,
    "other_trainee": 403,
    "instructor": 403,
    "other_instructor": 403,
    "admin": 200,
}
SESSION_DETAIL = {
    "anonymous": "login",
    "trainee": 200,
    "other_trainee": 404,
    "instructor": 200,
    "other_instructor": 404,
    "admin": 200,
}


def _assert_outcome(response, expected):
    if expected == "login":
        assert _is_login_redirect(response)
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_course_pages_are_for_staff_and_their_forms_for_administrators(client, cast, class_session, role):
    course = class_session.course
    client = _client_for(client, cast, role)

    _assert_outcome(client.get(reverse("courses:course-list")), COURSE_LIST[role])
    _assert_outcome(client.get(reverse("courses:course-detail", args=[course.pk])), COURSE_LIST[role])
    _assert_outcome(client.get(reverse("courses:course-create")), ADMIN_ONLY[role])
    _assert_outcome(client.get(reverse("courses:course-edit", args=[course.pk])), ADMIN_ONLY[role])


@pytest.mark.parametrize("role", ROLES)
def test_session_pages_by_role(client, cast, class_session, role):
    client = _client_for(client, cast, role)

    _assert_outcome(client.get(reverse("courses:session-detail", args=[class_session.pk])), SESSION_DETAIL[role])
    _assert_outcome(client.get(reverse("courses:session-create")), ADMIN_ONLY[role])
    _assert_outcome(client.get(reverse("courses:session-edit", args=[class_session.pk])), ADMIN_ONLY[role])
    list_response = client.get(reverse("courses:session-list"))
    if role == ANONYMOUS:
        assert _is_login_redirect(list_response)
    else:
        assert list_response.status_code == 200
        listed = class_session.code in _text(list_response)
        assert listed == (SESSION_DETAIL[role] == 200)


def test_instructor_reads_the_catalogue_without_edit_links(client, instructor, class_session):
    client.force_login(instructor)
    text = _text(client.get(reverse("courses:course-list")))
    assert class_session.course.code in text
    assert reverse("courses:course-create") not in text


def test_a_trainee_sees_only_their_own_enrollment_on_the_session_page(client, trainee_user, class_session):
    client.force_login(trainee_user)
    text = _text(client.get(reverse("courses:session-detail", args=[class_session.pk])))
    assert trainee_user.trainee.full_name in text
    assert "Classmate" not in text
    assert reverse("courses:session-results", args=[class_session.pk]) not in text


def test_session_page_lists_enrolled_waitlist_in_order_and_withdrawn(client, admin_user):
    session = factories.CourseSessionFactory(capacity=1)
    seated = factories.EnrollmentFactory(session=session, trainee__paternal_surname="Seated")
    first = factories.EnrollmentFactory(
        session=session, trainee__paternal_surname="Zavala", status=Enrollment.Status.WAITLISTED
    )
    second = factories.EnrollmentFactory(
        session=session, trainee__paternal_surname="Alvarado", status=Enrollment.Status.WAITLISTED
    )
    Enrollment.objects.filter(pk=first.pk).update(enrolled_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    Enrollment.objects.filter(pk=second.pk).update(enrolled_at=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC))
    factories.EnrollmentFactory(session=session, trainee__paternal_surname="Gone", status=Enrollment.Status.WITHDRAWN)
    client.force_login(admin_user)

    text = _text(client.get(reverse("courses:session-detail", args=[session.pk])))

    enrolled_part = text[text.index('id="enrolled-heading"') : text.index('id="waitlist-heading"')]
    waitlist_part = text[text.index('id="waitlist-heading"') : text.index('id="withdrawn-heading"')]
    withdrawn_part = text[text.index('id="withdrawn-heading"') :]
    assert seated.trainee.full_name in enrolled_part
    # First come, first served, whatever the alphabet says.
    assert waitlist_part.index(first.trainee.full_name) < waitlist_part.index(second.trainee.full_name)
    assert "Gone" in withdrawn_part and "Gone" not in enrolled_part


# --- The catalogue -----------------------------------------------------------------------


def test_course_list_filters_by_query_string(client, admin_user):
    factories.CourseFactory(code="DIH-01", title="Derecho Internacional Humanitario", category="humanitarian_law")
    factories.CourseFactory(code="POC-01", title="Protección de Civiles", category="protection")
    factories.CourseFactory(code="OLD-01", title="Retired course", is_active=False)
    client.force_login(admin_user)
    url = reverse("courses:course-list")

    text = _text(client.get(url, {"q": "proteccion"}))  # accent- and case-insensitive
    assert "POC-01" in text and "DIH-01" not in text
    text = _text(client.get(url, {"q": "dih"}))
    assert "DIH-01" in text and "POC-01" not in text
    text = _text(client.get(url, {"category": "humanitarian_law"}))
    assert "DIH-01" in text and "POC-01" not in text
    text = _text(client.get(url, {"is_active": "false"}))
    assert "OLD-01" in text and "DIH-01" not in text
    assert client.get(url, {"category": "nonsense", "page": "x"}).status_code == 200


def test_administrator_creates_a_course_with_grants_and_prerequisites(client, admin_user):
    grants = factories.CertificationTypeFactory(name="UN military expert on mission")
    core = factories.CertificationTypeFactory(name="UN core pre-deployment training")
    client.force_login(admin_user)

    response = client.post(
        reverse("courses:course-create"),
        {
            "code": "UNMEM",
            "title": "UN Military Experts on Mission",
            "category": "military_experts",
            "duration_hours": "120",
            "pass_mark": "70",
            "grants": grants.pk,
            "prerequisites": [core.pk],
            "is_active": "on",
        },
    )

    course = Course.objects.get(code="UNMEM")
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:course-detail", args=[course.pk])
    assert (course.grants, course.pass_mark, list(course.prerequisites.all())) == (grants, 70, [core])


def test_course_form_errors_are_shown_at_the_field(client, admin_user):
    factories.CourseFactory(code="TAKEN")
    grants = factories.CertificationTypeFactory()
    client.force_login(admin_user)

    response = client.post(
        reverse("courses:course-create"),
        {
            "code": "TAKEN",
            "title": "Duplicate",
            "category": "other",
            "duration_hours": "40",
            "pass_mark": "150",
            "grants": grants.pk,
            "prerequisites": [grants.pk],
        },
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"code", "pass_mark", "prerequisites"}
    assert 'value="Duplicate"' in response.content.decode()
    assert Course.objects.filter(title="Duplicate").count() == 0


def test_administrator_edits_a_course(client, admin_user, session):
    course = session.course
    client.force_login(admin_user)
    data = {
        "code": course.code,
        "title": "New title",
        "category": course.category,
        "duration_hours": "80",
        "grants": course.grants_id,
        "is_active": "on",
    }

    response = client.post(reverse("courses:course-edit", args=[course.pk]), data)

    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.duration_hours) == ("New title", 80)


# --- Session list ------------------------------------------------------------------------


def test_session_list_period_tabs_and_filters(client, admin_user):
    today = datetime.date.today()
    week = datetime.timedelta(days=7)
    upcoming = factories.CourseSessionFactory(
        code="UP-1", starts_on=today + week, ends_on=today + 2 * week, course__title="Género"
    )
    running = factories.CourseSessionFactory(code="RUN-1", starts_on=today - week, ends_on=today + week)
    past = factories.CourseSessionFactory(
        code="PAST-1", starts_on=today - 3 * week, ends_on=today - 2 * week, status=CourseSession.Status.CANCELLED
    )
    client.force_login(admin_user)
    url = reverse("courses:session-list")

    def codes(**params):
        text = _text(client.get(url, params))
        return {code for code in ("UP-1", "RUN-1", "PAST-1") if code in text}

    assert codes() == {"UP-1", "RUN-1", "PAST-1"}
    assert codes(period="upcoming") == {"UP-1"}
    assert codes(period="running") == {"RUN-1"}
    assert codes(period="past") == {"PAST-1"}
    assert codes(q="genero") == {"UP-1"}
    assert codes(q="run-") == {"RUN-1"}
    assert codes(course=running.course_id) == {"RUN-1"}
    assert codes(status="cancelled") == {"PAST-1"}
    assert codes(period="past", status="open") == set()
    assert client.get(url, {"period": "someday", "course": "x"}).status_code == 200
    assert upcoming.pk and past.pk


def test_session_list_shows_enrolled_over_capacity(client, admin_user):
    session = factories.CourseSessionFactory(code="COUNT-1", capacity=7)
    factories.EnrollmentFactory.create_batch(3, session=session)
    factories.EnrollmentFactory(session=session, status=Enrollment.Status.WAITLISTED)
    factories.EnrollmentFactory(session=session, status=Enrollment.Status.WITHDRAWN)
    client.force_login(admin_user)

    response = client.get(reverse("courses:session-list"))

    row = next(s for s in response.context["page_obj"] if s.pk == session.pk)
    assert (row.enrolled_count, row.waitlisted_count) == (3, 1)
    assert "3 / 7" in _text(response)


def _sessions_with_classes(count, instructor):
    for _ in range(count):
        session = factories.CourseSessionFactory(instructors=[instructor])
        factories.EnrollmentFactory.create_batch(2, session=session)


@pytest.mark.parametrize("role", ["admin", "instructor", "trainee"])
def test_session_list_query_count_does_not_grow_with_sessions(client, cast, role):
    user = cast[role]
    client.force_login(user)
    url = reverse("courses:session-list")

    def add_sessions(count):
        for _ in range(count):
            session = factories.CourseSessionFactory(instructors=[cast["instructor"]])
            factories.EnrollmentFactory.create_batch(2, session=session)
            factories.EnrollmentFactory(session=session, trainee=cast["trainee"].trainee)

    add_sessions(3)
    client.get(url)  # warm the per-process caches (content types, ...)
    small = _count_queries(client, "get", url)
    add_sessions(27)
    large = _count_queries(client, "get", url)
    assert len(client.get(url).context["page_obj"]) == 25
    assert small == large


# --- Session forms -----------------------------------------------------------------------


def _session_data(course, **overrides):
    data = {
        "course": course.pk,
        "code": "UNMEM-2027-01",
        "starts_on": "2027-02-01",
        "ends_on": "2027-02-26",
        "location": "CECOPAM, Huehuetoca",
        "capacity": "2",
        "status": "planned",
    }
    data.update(overrides)
    return data


def test_administrator_creates_a_session(client, admin_user, instructor):
    course = factories.CourseFactory()
    client.force_login(admin_user)

    response = client.post(reverse("courses:session-create"), _session_data(course, instructors=[instructor.pk]))

    session = CourseSession.objects.get(code="UNMEM-2027-01")
    assert response["Location"] == reverse("courses:session-detail", args=[session.pk])
    assert (session.capacity, session.starts_on, list(session.instructors.all())) == (
        2,
        datetime.date(2027, 2, 1),
        [instructor],
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": "2027-01-15"}, "ends_on"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "-3"}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"code": "TAKEN"}, "code"),
        ({"status": "finalized"}, "status"),
        ({"starts_on": "not a date"}, "starts_on"),
    ],
)
def test_session_form_errors_are_shown_at_the_field(client, admin_user, overrides, field):
    factories.CourseSessionFactory(code="TAKEN")
    course = factories.CourseFactory()
    client.force_login(admin_user)

    response = client.post(reverse("courses:session-create"), _session_data(course, **overrides))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not CourseSession.objects.filter(course=course).exists()


def test_raising_capacity_promotes_the_waitlist_through_the_service(client, admin_user):
    session = factories.CourseSessionFactory(capacity=1)
    factories.EnrollmentFactory(session=session)
    waiting = factories.EnrollmentFactory(session=session, status=Enrollment.Status.WAITLISTED)
    client.force_login(admin_user)
    data = _session_data(
        session.course,
        code=session.code,
        starts_on=session.starts_on.isoformat(),
        ends_on=session.ends_on.isoformat(),
        capacity="2",
        status=session.status,
    )

    response = client.post(reverse("courses:session-edit", args=[session.pk]), data, follow=True)

    waiting.refresh_from_db()
    session.refresh_from_db()
    assert (session.capacity, waiting.status) == (2, "enrolled")
    assert f"{waiting.trainee.full_name} moved up from the waitlist" in _text(response)


def test_a_finalized_session_keeps_its_status_when_edited(client, admin_user):
    session = factories.CourseSessionFactory(status=CourseSession.Status.FINALIZED)
    client.force_login(admin_user)
    data = _session_data(
        session.course,
        code=session.code,
        starts_on=session.starts_on.isoformat(),
        ends_on=session.ends_on.isoformat(),
        location="Campo Militar 1",
        status="open",
    )

    client.post(reverse("courses:session-edit", args=[session.pk]), data)

    session.refresh_from_db()
    assert (session.status, session.location) == ("finalized", "Campo Militar 1")
    # Certificates were issued from the dates: they too wait for a reopen.
    client.post(reverse("courses:session-edit", args=[session.pk]), {**data, "ends_on": "2026-12-31"})
    session.refresh_from_db()
    assert session.ends_on == datetime.date(2026, 3, 13)


# --- Enrolment ---------------------------------------------------------------------------


@pytest.fixture
def two_seats(db):
    core = factories.CertificationTypeFactory(code="CPTM", name="UN core pre-deployment training")
    course = factories.CourseFactory(code="UNMEM")
    course.prerequisites.add(core)
    session = factories.CourseSessionFactory(
        course=course, capacity=2, starts_on=datetime.date(2027, 2, 1), ends_on=datetime.date(2027, 2, 26)
    )
    return session, core


def _qualified(core):
    trainee = factories.TraineeFactory()
    factories.CertificationFactory(trainee=trainee, type=core, issued_on=datetime.date(2026, 6, 1))
    return trainee


def _enroll(client, session, trainee, **extra):
    return client.post(
        reverse("courses:session-enroll", args=[session.pk]), {"trainee": trainee.pk, **extra}, follow=True
    )


def test_enroll_search_finds_trainees_accent_insensitively(client, admin_user, two_seats):
    session, _core = two_seats
    nunez = factories.TraineeFactory(given_names="José Luis", paternal_surname="Núñez", service_number="MX-777")
    factories.TraineeFactory(given_names="Ana", paternal_surname="Gómez")
    client.force_login(admin_user)

    # Without JavaScript: the search form reloads the session page.
    text = _text(client.get(reverse("courses:session-detail", args=[session.pk]), {"q": "nunez"}))
    assert nunez.full_name in text and "Gómez" not in text
    # With htmx: the partial alone.
    response = client.get(reverse("courses:session-enroll-search", args=[session.pk]), {"q": "mx-777"})
    assert nunez.full_name in _text(response)
    assert "<html" not in response.content.decode()


def test_enroll_search_shows_at_most_ten_matches(client, admin_user, two_seats):
    session, _core = two_seats
    factories.TraineeFactory.create_batch(12, paternal_surname="Hernández")
    client.force_login(admin_user)

    response = client.get(reverse("courses:session-enroll-search", args=[session.pk]), {"q": "hernandez"})

    assert _text(response).count(">Enrol<") == 10
    assert "refine the search" in _text(response)


@pytest.mark.parametrize("role", ["trainee", "instructor"])
def test_only_administrators_enroll_and_search(client, cast, session, role):
    trainee = factories.TraineeFactory()
    client.force_login(cast[role])

    assert client.post(reverse("courses:session-enroll", args=[session.pk]), {"trainee": trainee.pk}).status_code == 403
    assert client.get(reverse("courses:session-enroll-search", args=[session.pk]), {"q": "a"}).status_code == 403
    assert not Enrollment.objects.filter(trainee=trainee).exists()


def test_enroll_fills_seats_then_waitlists(client, admin_user, two_seats):
    session, core = two_seats
    first, second, third = (_qualified(core) for _ in range(3))
    client.force_login(admin_user)

    assert f"{first.full_name} enrolled in {session.code}" in _text(_enroll(client, session, first))
    _enroll(client, session, second)
    text = _text(_enroll(client, session, third))

    assert "waitlist" in text and third.full_name in text
    assert dict(session.enrollments.values_list("trainee_id", "status")) == {
        first.pk: "enrolled",
        second.pk: "enrolled",
        third.pk: "waitlisted",
    }


def test_enrolling_twice_shows_the_service_error(client, admin_user, two_seats):
    session, core = two_seats
    trainee = _qualified(core)
    client.force_login(admin_user)
    _enroll(client, session, trainee)

    text = _text(_enroll(client, session, trainee))

    assert "already on this session" in text
    assert session.enrollments.count() == 1


def test_missing_prerequisite_is_named_and_can_be_overridden_with_a_reason(client, admin_user, two_seats):
    session, _core = two_seats
    lacking = factories.TraineeFactory(given_names="Raúl", paternal_surname="Zúñiga")
    client.force_login(admin_user)

    response = _enroll(client, session, lacking)
    text = _text(response)
    assert re.search(r"lacks a prerequisite.*UN core pre-deployment training", text)
    assert "Override prerequisites" in text
    assert not session.enrollments.exists()

    # The override needs a reason: without one, an error at the field and nothing written.
    response = _enroll(client, session, lacking, override="1", override_reason="   ")
    assert "override_reason" in response.context["override_form"].errors
    assert not session.enrollments.exists()

    response = _enroll(client, session, lacking, override="1", override_reason="Validated by the UN mission")
    enrollment = session.enrollments.get()
    assert (enrollment.trainee, enrollment.status, enrollment.prerequisites_overridden) == (lacking, "enrolled", True)
    assert enrollment.override_reason == "Validated by the UN mission"
    assert enrollment.enrolled_by == admin_user


def test_enroll_with_a_bad_trainee_id_is_refused_without_error(client, admin_user, two_seats):
    session, _core = two_seats
    client.force_login(admin_user)

    response = client.post(reverse("courses:session-enroll", args=[session.pk]), {"trainee": "nope"}, follow=True)

    assert response.status_code == 200
    assert "Choose a trainee" in _text(response)


def test_withdraw_promotes_the_first_waitlisted(client, admin_user, two_seats):
    session, core = two_seats
    first, second, third = (_qualified(core) for _ in range(3))
    client.force_login(admin_user)
    for trainee in (first, second, third):
        _enroll(client, session, trainee)
    leaving = session.enrollments.get(trainee=first)

    response = client.post(
        reverse("courses:enrollment-withdraw", args=[session.pk, leaving.pk]),
        follow=True,
    )

    statuses = dict(session.enrollments.values_list("trainee_id", "status"))
    assert statuses == {first.pk: "withdrawn", second.pk: "enrolled", third.pk: "enrolled"}
    text = _text(response)
    assert f"{first.full_name} withdrawn" in text
    assert f"{third.full_name} moved up from the waitlist" in text


@pytest.mark.parametrize("role", ["trainee", "instructor", "other_instructor"])
def test_only_administrators_withdraw(client, cast, class_session, role):
    enrollment = class_session.enrollments.first()
    client.force_login(cast[role])

    response = client.post(reverse("courses:enrollment-withdraw", args=[class_session.pk, enrollment.pk]))

    assert response.status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == "enrolled"


def test_withdraw_needs_an_enrollment_of_that_session(client, admin_user, class_session):
    elsewhere = factories.EnrollmentFactory()
    client.force_login(admin_user)

    response = client.post(reverse("courses:enrollment-withdraw", args=[class_session.pk, elsewhere.pk]))

    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == "enrolled"


# --- Finalize and reopen -----------------------------------------------------------------


@pytest.fixture
def graded(session):
    """`session` with two passed trainees and one failed, its course granting a certification."""
    for result in ("passed", "passed", "failed"):
        factories.EnrollmentFactory(session=session, result=result, score=80 if result == "passed" else 30)
    return session


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_finalize_via_the_view_issues_certificates(client, cast, graded, role):
    client.force_login(cast[role])

    response = client.post(reverse("courses:session-finalize", args=[graded.pk]), follow=True)

    graded.refresh_from_db()
    assert graded.status == "finalized"
    certificates = Certification.objects.filter(enrollment__session=graded)
    assert certificates.count() == 2
    assert {c.issued_on for c in certificates} == {graded.ends_on}
    assert "finalized: 2 certificates issued" in _text(response)


@pytest.mark.parametrize("role", ["trainee", "other_trainee", "other_instructor"])
def test_finalize_is_refused_to_others(client, cast, graded, role, trainee_user):
    factories.EnrollmentFactory(session=graded, trainee=trainee_user.trainee, result="passed", score=90)
    client.force_login(cast[role])

    response = client.post(reverse("courses:session-finalize", args=[graded.pk]))

    assert response.status_code == 404
    graded.refresh_from_db()
    assert graded.status == "open"
    assert not Certification.objects.exists()


def test_finalize_with_pending_results_explains_and_changes_nothing(client, instructor, session):
    factories.EnrollmentFactory(session=session)
    client.force_login(instructor)

    response = client.post(reverse("courses:session-finalize", args=[session.pk]), follow=True)

    assert "Record a result for every enrolled trainee" in _text(response)
    session.refresh_from_db()
    assert session.status == "open"


def test_finalize_is_post_only(client, instructor, graded):
    client.force_login(instructor)
    assert client.get(reverse("courses:session-finalize", args=[graded.pk])).status_code == 405


@pytest.fixture
def finalized(graded, admin_user):
    from courses import services

    services.finalize_session(session=graded, by=admin_user)
    graded.refresh_from_db()
    return graded


def test_reopen_needs_a_reason(client, admin_user, finalized):
    client.force_login(admin_user)

    response = client.post(reverse("courses:session-reopen", args=[finalized.pk]), {"reason": "  "})

    assert response.status_code == 200
    assert "reason" in response.context["reopen_form"].errors
    finalized.refresh_from_db()
    assert finalized.status == "finalized"


def test_administrator_reopens_with_a_reason(client, admin_user, finalized):
    client.force_login(admin_user)

    response = client.post(
        reverse("courses:session-reopen", args=[finalized.pk]), {"reason": "Score typed wrongly"}, follow=True
    )

    finalized.refresh_from_db()
    assert (finalized.status, finalized.reopen_reason) == ("in_progress", "Score typed wrongly")
    assert "reopened" in _text(response)


@pytest.mark.parametrize("role", ["instructor", "trainee", "other_instructor"])
def test_reopen_is_for_administrators_only(client, cast, finalized, role):
    client.force_login(cast[role])

    response = client.post(reverse("courses:session-reopen", args=[finalized.pk]), {"reason": "Please"})

    assert response.status_code == 403
    finalized.refresh_from_db()
    assert finalized.status == "finalized"


def test_session_page_offers_actions_by_role(client, cast, finalized):
    results_url = reverse("courses:session-results", args=[finalized.pk])
    reopen_url = reverse("courses:session-reopen", args=[finalized.pk])

    client.force_login(cast["admin"])
    text = _text(client.get(reverse("courses:session-detail", args=[finalized.pk])))
    assert results_url in text and reopen_url in text and 'id="session-actions"' in text

    client.force_login(cast["instructor"])
    text = _text(client.get(reverse("courses:session-detail", args=[finalized.pk])))
    assert results_url in text and reopen_url not in text
    assert reverse("courses:session-enroll", args=[finalized.pk]) not in text


# --- Query budget of the session page ----------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "instructor"])
def test_session_page_query_count_does_not_grow_with_the_class(client, cast, role):
    client.force_login(cast[role])

    def session_with(size):
        session = factories.CourseSessionFactory(capacity=size, instructors=[cast["instructor"]])
        session.course.prerequisites.add(factories.CertificationTypeFactory())
        factories.EnrollmentFactory.create_batch(size, session=session)
        factories.EnrollmentFactory.create_batch(2, session=session, status=Enrollment.Status.WAITLISTED)
        factories.EnrollmentFactory.create_batch(2, session=session, status=Enrollment.Status.WITHDRAWN)
        factories.TraineeFactory.create_batch(size, paternal_surname="Buscado")
        return reverse("courses:session-detail", args=[session.pk])

    small, large = session_with(3), session_with(30)
    client.get(small)
    counts = [_count_queries(client, "get", url, {"q": "buscado"}) for url in (small, large)]
    assert counts[0] == counts[1]
