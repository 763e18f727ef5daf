"""Recording results and finalizing a session: certificates issued, revoked on re-finalize, grid locked."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from certifications.models import Certification
from courses import services
from courses.models import CourseSession, Enrollment
from tests import factories


@pytest.fixture
def cert_type(db):
    return factories.CertificationTypeFactory(code="POC", name="Protection of Civilians", validity_months=24)


@pytest.fixture
def session(db, instructor, cert_type):
    return factories.CourseSessionFactory(
        course__grants=cert_type,
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 13),
        instructors=[instructor],
    )


def _enroll(session, count):
    return [factories.EnrollmentFactory(session=session) for _ in range(count)]


def _row(result, score=None, attendance=100, remarks=""):
    return {"result": result, "score": score, "attendance": attendance, "remarks": remarks}


def _record(session, by, rows):
    return services.record_results(session=session, results={e.pk: row for e, row in rows.items()}, by=by)


def test_finalizing_issues_one_certificate_per_passed_trainee(session, instructor, cert_type):
    passed_a, passed_b, failed, incomplete = _enroll(session, 4)
    _record(
        session,
        instructor,
        {
            passed_a: _row("passed", Decimal("91.5")),
            passed_b: _row("passed", Decimal("80")),
            failed: _row("failed", Decimal("40")),
            incomplete: _row("incomplete", attendance=50),
        },
    )

    outcome = services.finalize_session(session=session, by=instructor)

    certs = Certification.objects.filter(enrollment__session=session)
    assert sorted(c.trainee_id for c in certs) == sorted([passed_a.trainee_id, passed_b.trainee_id])
    assert len(outcome.issued) == 2 and outcome.revoked == []
    for cert in certs:
        assert cert.type == cert_type
        assert cert.issued_on == datetime.date(2026, 3, 13)
        assert cert.expires_on == datetime.date(2028, 3, 13)
        assert cert.enrollment.trainee_id == cert.trainee_id
    assert not Certification.objects.filter(trainee__in=[failed.trainee, incomplete.trainee]).exists()
    session.refresh_from_db()
    assert session.status == CourseSession.Status.FINALIZED
    assert session.finalized_by == instructor
    assert session.finalized_at is not None


def test_a_29_february_end_date_expires_on_28_february(instructor):
    cert_type = factories.CertificationTypeFactory(validity_months=12)
    session = factories.CourseSessionFactory(
        course__grants=cert_type,
        starts_on=datetime.date(2028, 2, 21),
        ends_on=datetime.date(2028, 2, 29),
        instructors=[instructor],
    )
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed", 88)})

    services.finalize_session(session=session, by=instructor)

    cert = Certification.objects.get(enrollment=enrollment)
    assert cert.issued_on == datetime.date(2028, 2, 29)
    assert cert.expires_on == datetime.date(2029, 2, 28)


def test_a_type_without_validity_never_expires(instructor):
    session = factories.CourseSessionFactory(course__grants__validity_months=None, instructors=[instructor])
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed")})

    services.finalize_session(session=session, by=instructor)

    assert Certification.objects.get(enrollment=enrollment).expires_on is None


def test_a_course_that_grants_nothing_issues_nothing(instructor):
    session = factories.CourseSessionFactory(course__grants=None, instructors=[instructor])
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed", 95)})

    outcome = services.finalize_session(session=session, by=instructor)

    assert outcome.issued == []
    assert not Certification.objects.filter(trainee=enrollment.trainee).exists()
    session.refresh_from_db()
    assert session.is_finalized


def test_pending_results_block_finalization(session, instructor):
    done, pending = _enroll(session, 2)
    pending.trainee.given_names = "Xóchitl"
    pending.trainee.save()
    _record(session, instructor, {done: _row("passed", 90)})

    with pytest.raises(ValidationError) as excinfo:
        services.finalize_session(session=session, by=instructor)

    assert "Xóchitl" in excinfo.value.messages[0]
    assert "1 pending" in excinfo.value.messages[0]
    session.refresh_from_db()
    assert session.status == CourseSession.Status.OPEN
    assert not Certification.objects.filter(enrollment__session=session).exists()


def test_waitlisted_and_withdrawn_trainees_neither_block_nor_receive(session, instructor):
    (seated,) = _enroll(session, 1)
    factories.EnrollmentFactory(session=session, status=Enrollment.Status.WAITLISTED)
    factories.EnrollmentFactory(session=session, status=Enrollment.Status.WITHDRAWN)
    _record(session, instructor, {seated: _row("passed", 75)})

    outcome = services.finalize_session(session=session, by=instructor)

    assert [c.trainee_id for c in outcome.issued] == [seated.trainee_id]


def test_finalizing_twice_without_reopening_is_refused(session, instructor):
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed", 90)})
    services.finalize_session(session=session, by=instructor)

    with pytest.raises(ValidationError, match="already finalized"):
        services.finalize_session(session=session, by=instructor)
    assert Certification.objects.filter(enrollment=enrollment).count() == 1


def test_record_results_on_a_finalized_session_is_refused(session, instructor, admin_user):
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed", 90)})
    services.finalize_session(session=session, by=instructor)

    for user in (instructor, admin_user):
        with pytest.raises(ValidationError, match="finalized"):
            _record(session, user, {enrollment: _row("failed", 10)})
    enrollment.refresh_from_db()
    assert enrollment.result == "passed"


def test_an_instructor_who_does_not_teach_the_session_cannot_record_or_finalize(session, instructor, other_instructor):
    (enrollment,) = _enroll(session, 1)

    with pytest.raises(PermissionDenied):
        _record(session, other_instructor, {enrollment: _row("passed", 90)})
    enrollment.refresh_from_db()
    assert enrollment.result == "pending"
    assert enrollment.recorded_by is None

    _record(session, instructor, {enrollment: _row("passed", 90)})
    with pytest.raises(PermissionDenied):
        services.finalize_session(session=session, by=other_instructor)
    session.refresh_from_db()
    assert not session.is_finalized


def test_a_trainee_cannot_record_results(session, trainee_user):
    (enrollment,) = _enroll(session, 1)

    with pytest.raises(PermissionDenied):
        _record(session, trainee_user, {enrollment: _row("passed", 90)})


def test_record_results_saves_the_grid_and_who_recorded_it(session, instructor):
    first, second = _enroll(session, 2)

    changed = _record(
        session,
        instructor,
        {first: _row("passed", Decimal("88.25"), 95, "Excelente desempeño"), second: _row("failed", 30, 60)},
    )

    assert changed == 2
    first.refresh_from_db()
    assert (first.result, first.score, first.attendance, first.remarks) == (
        "passed",
        Decimal("88.25"),
        95,
        "Excelente desempeño",
    )
    assert first.recorded_by == instructor
    assert first.recorded_at is not None
    # Saving the same grid again changes nothing.
    assert _record(session, instructor, {first: _row("passed", Decimal("88.25"), 95, "Excelente desempeño")}) == 0


def test_record_results_refuses_a_row_from_another_session(session, instructor):
    (mine,) = _enroll(session, 1)
    foreign = factories.EnrollmentFactory()

    with pytest.raises(ValidationError):
        _record(session, instructor, {mine: _row("passed", 90), foreign: _row("passed", 90)})
    mine.refresh_from_db()
    assert mine.result == "pending"


def test_record_results_refuses_a_pass_below_the_pass_mark(instructor):
    session = factories.CourseSessionFactory(course__pass_mark=70, instructors=[instructor])
    good, low = _enroll(session, 2)

    with pytest.raises(ValidationError, match="below the pass mark"):
        _record(session, instructor, {good: _row("passed", 85), low: _row("passed", 60)})
    good.refresh_from_db()
    assert good.result == "pending"  # all or nothing


def test_each_refused_row_is_named_in_a_fixed_number_of_queries(instructor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def refuse(count):
        session = factories.CourseSessionFactory(course__pass_mark=70, instructors=[instructor])
        rows = _enroll(session, count)
        with CaptureQueriesContext(connection) as captured, pytest.raises(ValidationError) as refused:
            _record(session, instructor, {enrollment: _row("passed", 60) for enrollment in rows})
        names = [enrollment.trainee.full_name for enrollment in rows]
        assert all(any(name in message for message in refused.value.messages) for name in names)
        return len(captured)

    refuse(1)  # warms per-process caches (content types), which the first call fills
    assert refuse(2) == refuse(6)


def test_reopen_is_for_administrators_with_a_reason(session, instructor, admin_user):
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed", 90)})
    services.finalize_session(session=session, by=instructor)

    with pytest.raises(PermissionDenied):
        services.reopen_session(session=session, by=instructor, reason="Typo in a score")
    with pytest.raises(ValidationError):
        services.reopen_session(session=session, by=admin_user, reason="   ")
    session.refresh_from_db()
    assert session.is_finalized

    services.reopen_session(session=session, by=admin_user, reason="Score transcribed wrongly")
    session.refresh_from_db()
    assert session.status == CourseSession.Status.IN_PROGRESS
    assert session.reopen_reason == "Score transcribed wrongly"


def test_reopen_then_refinalize_revokes_and_issues(session, instructor, admin_user):
    was_passed, was_failed, stays_passed = _enroll(session, 3)
    _record(
        session,
        instructor,
        {was_passed: _row("passed", 90), was_failed: _row("failed", 40), stays_passed: _row("passed", 80)},
    )
    services.finalize_session(session=session, by=instructor)
    original = Certification.objects.get(enrollment=was_passed)
    kept = Certification.objects.get(enrollment=stays_passed)

    services.reopen_session(session=session, by=admin_user, reason="Exam papers swapped")
    _record(session, instructor, {was_passed: _row("failed", 40), was_failed: _row("passed", 90)})
    outcome = services.finalize_session(session=session, by=admin_user)

    original.refresh_from_db()
    assert original.revoked_at is not None
    assert "Failed" in original.revoked_reason
    assert original.revoked_by == admin_user
    assert [c.pk for c in outcome.revoked] == [original.pk]
    new = Certification.objects.get(enrollment=was_failed)
    assert [c.pk for c in outcome.issued] == [new.pk]
    assert new.issued_on == session.ends_on
    # The unchanged trainee keeps the same certificate: exactly one live one, not a second.
    assert list(Certification.objects.filter(enrollment=stays_passed)) == [kept]
    kept.refresh_from_db()
    assert kept.revoked_at is None
    assert Certification.objects.filter(enrollment__session=session, revoked_at__isnull=True).count() == 2


def test_refinalizing_without_changes_issues_no_second_certificate(session, instructor, admin_user):
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed", 90)})
    services.finalize_session(session=session, by=instructor)
    services.reopen_session(session=session, by=admin_user, reason="Check attendance sheet")

    outcome = services.finalize_session(session=session, by=instructor)

    assert outcome.issued == [] and outcome.revoked == []
    assert Certification.objects.filter(enrollment=enrollment).count() == 1


def test_a_trainee_withdrawn_after_reopening_loses_the_certificate(session, instructor, admin_user):
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed", 90)})
    services.finalize_session(session=session, by=instructor)
    services.reopen_session(session=session, by=admin_user, reason="Trainee left on day two")
    services.withdraw(enrollment=enrollment)

    outcome = services.finalize_session(session=session, by=admin_user)

    (revoked,) = outcome.revoked
    assert revoked.enrollment_id == enrollment.pk
    assert "Withdrawn" in revoked.revoked_reason


def test_passing_again_after_a_revocation_issues_a_fresh_certificate(session, instructor, admin_user):
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed", 90)})
    services.finalize_session(session=session, by=instructor)
    services.reopen_session(session=session, by=admin_user, reason="Appeal pending")
    _record(session, instructor, {enrollment: _row("failed", 50)})
    services.finalize_session(session=session, by=instructor)
    services.reopen_session(session=session, by=admin_user, reason="Appeal upheld")
    _record(session, instructor, {enrollment: _row("passed", 90)})

    services.finalize_session(session=session, by=instructor)

    certs = Certification.objects.filter(enrollment=enrollment).order_by("id")
    assert [c.revoked_at is None for c in certs] == [False, True]
    assert certs[0].code != certs[1].code


def test_record_results_refuses_an_unknown_result(session, instructor):
    (enrollment,) = _enroll(session, 1)

    with pytest.raises(ValidationError, match="unknown result"):
        _record(session, instructor, {enrollment: _row("excellent", 90)})
    enrollment.refresh_from_db()
    assert enrollment.result == "pending"


def test_a_field_left_out_of_a_row_keeps_its_value(session, instructor):
    (enrollment,) = _enroll(session, 1)
    _record(session, instructor, {enrollment: _row("passed", 90, 95, "Puntual")})

    services.record_results(session=session, results={enrollment.pk: {"result": "failed", "score": 50}}, by=instructor)

    enrollment.refresh_from_db()
    assert (enrollment.result, enrollment.score, enrollment.attendance, enrollment.remarks) == (
        "failed",
        Decimal("50.00"),
        95,
        "Puntual",
    )
