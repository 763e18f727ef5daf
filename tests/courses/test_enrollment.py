"""Enrolment rules: capacity, waitlist, withdrawal, re-enrolment and concurrent enrolments."""

import datetime
import threading
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from courses import services
from courses.models import CourseSession, Enrollment
from tests import factories


def _enroll_many(session, by, count):
    return [services.enroll(session=session, trainee=factories.TraineeFactory(), by=by) for _ in range(count)]


def _statuses(session):
    return dict(session.enrollments.values_list("trainee_id", "status"))


@pytest.fixture
def small_session(db):
    return factories.CourseSessionFactory(capacity=2, course__grants=None)


def test_enrollments_beyond_capacity_are_waitlisted(small_session, admin_user):
    first, second, third, fourth = _enroll_many(small_session, admin_user, 4)

    assert [e.status for e in (first, second, third, fourth)] == ["enrolled", "enrolled", "waitlisted", "waitlisted"]
    assert small_session.enrollments.active().count() == 2
    assert third.enrolled_by == admin_user


def test_withdrawal_promotes_the_first_waitlisted_by_enrollment_time(small_session, admin_user):
    first, _second = _enroll_many(small_session, admin_user, 2)
    early, late = factories.TraineeFactory(), factories.TraineeFactory()
    # `late` has the lower row id but joined the waitlist after `early`:
    # promotion follows enrolled_at, not the row id.
    late_enrollment = services.enroll(session=small_session, trainee=late, by=admin_user)
    early_enrollment = services.enroll(session=small_session, trainee=early, by=admin_user)
    Enrollment.objects.filter(pk=early_enrollment.pk).update(enrolled_at=timezone.now() - datetime.timedelta(hours=1))

    promoted = services.withdraw(enrollment=first)

    assert [e.pk for e in promoted] == [early_enrollment.pk]
    statuses = _statuses(small_session)
    assert statuses[first.trainee_id] == "withdrawn"
    assert statuses[early.pk] == "enrolled"
    assert statuses[late.pk] == "waitlisted"
    assert small_session.enrollments.active().count() == 2
    assert late_enrollment.pk < early_enrollment.pk


def test_withdrawing_a_waitlisted_trainee_promotes_nobody(small_session, admin_user):
    _enroll_many(small_session, admin_user, 2)
    waiting = services.enroll(session=small_session, trainee=factories.TraineeFactory(), by=admin_user)

    assert services.withdraw(enrollment=waiting) == []
    waiting.refresh_from_db()
    assert waiting.status == "withdrawn"
    assert small_session.enrollments.active().count() == 2


def test_withdrawing_twice_changes_nothing(small_session, admin_user):
    first, second = _enroll_many(small_session, admin_user, 2)
    services.enroll(session=small_session, trainee=factories.TraineeFactory(), by=admin_user)
    services.withdraw(enrollment=first)

    assert services.withdraw(enrollment=first) == []
    assert small_session.enrollments.active().count() == 2


def test_a_withdrawn_trainee_can_enroll_again_on_the_same_row(small_session, admin_user):
    first, second = _enroll_many(small_session, admin_user, 2)
    services.withdraw(enrollment=first)

    again = services.enroll(session=small_session, trainee=first.trainee, by=admin_user)

    assert again.pk == first.pk  # the row (and its history) is reused, not duplicated
    assert again.status == "enrolled"
    assert again.result == "pending"
    assert small_session.enrollments.count() == 2


def test_a_withdrawn_trainee_enrolling_again_joins_the_back_of_the_waitlist(small_session, admin_user):
    first, second = _enroll_many(small_session, admin_user, 2)
    waiting = services.enroll(session=small_session, trainee=factories.TraineeFactory(), by=admin_user)
    services.withdraw(enrollment=first)  # promotes `waiting`

    again = services.enroll(session=small_session, trainee=first.trainee, by=admin_user)

    assert again.status == "waitlisted"
    waiting.refresh_from_db()
    assert waiting.status == "enrolled"


@pytest.mark.parametrize("status", [CourseSession.Status.FINALIZED, CourseSession.Status.CANCELLED])
def test_a_finalized_or_cancelled_session_takes_no_enrollments(admin_user, status):
    session = factories.CourseSessionFactory(status=status)
    trainee = factories.TraineeFactory()

    with pytest.raises(ValidationError, match="takes no enrolments"):
        services.enroll(session=session, trainee=trainee, by=admin_user)
    assert not Enrollment.objects.filter(session=session).exists()


@pytest.mark.parametrize("existing_status", ["enrolled", "waitlisted"])
def test_a_duplicate_enrollment_is_refused(small_session, admin_user, existing_status):
    trainee = factories.TraineeFactory(given_names="Lucía", paternal_surname="Gómez")
    factories.EnrollmentFactory(session=small_session, trainee=trainee, status=existing_status)

    with pytest.raises(ValidationError) as excinfo:
        services.enroll(session=small_session, trainee=trainee, by=admin_user)

    assert excinfo.value.code == "duplicate"
    assert "Lucía Gómez" in excinfo.value.messages[0]
    assert Enrollment.objects.filter(session=small_session, trainee=trainee).count() == 1


def test_withdrawing_from_a_finalized_session_is_refused(small_session, admin_user):
    (first,) = _enroll_many(small_session, admin_user, 1)
    CourseSession.objects.filter(pk=small_session.pk).update(status=CourseSession.Status.FINALIZED)

    with pytest.raises(ValidationError):
        services.withdraw(enrollment=first)
    first.refresh_from_db()
    assert first.status == "enrolled"


def test_raising_capacity_fills_the_new_seats_from_the_waitlist_in_order(small_session, admin_user):
    _enroll_many(small_session, admin_user, 2)
    waiting = _enroll_many(small_session, admin_user, 3)

    promoted = services.change_capacity(session=small_session, capacity=4)

    assert [e.pk for e in promoted] == [waiting[0].pk, waiting[1].pk]
    small_session.refresh_from_db()
    assert small_session.capacity == 4
    assert small_session.enrollments.active().count() == 4
    assert _statuses(small_session)[waiting[2].trainee_id] == "waitlisted"


def test_lowering_capacity_keeps_seated_trainees_and_waitlists_newcomers(small_session, admin_user):
    _enroll_many(small_session, admin_user, 2)

    assert services.change_capacity(session=small_session, capacity=1) == []
    newcomer = services.enroll(session=small_session, trainee=factories.TraineeFactory(), by=admin_user)

    assert small_session.enrollments.active().count() == 2
    assert newcomer.status == "waitlisted"


def test_capacity_below_one_is_a_clear_error(small_session, admin_user):
    with pytest.raises(ValidationError) as excinfo:
        services.change_capacity(session=small_session, capacity=0)
    assert "capacity" in excinfo.value.message_dict
    small_session.refresh_from_db()
    assert small_session.capacity == 2


# --- concurrency -------------------------------------------------------------------------


def _slow_now():
    """timezone.now() that lingers: enroll() calls it between counting seats and saving, so
    without the session lock both threads would count the same free seat."""
    import time

    time.sleep(0.3)
    return datetime.datetime.now(tz=datetime.UTC)


def _enroll_concurrently(session_pk, trainee_pks, by_pk):
    from accounts.models import User
    from trainees.models import Trainee

    barrier = threading.Barrier(len(trainee_pks))
    errors = []

    def worker(trainee_pk):
        try:
            session = CourseSession.objects.get(pk=session_pk)
            trainee = Trainee.objects.get(pk=trainee_pk)
            by = User.objects.get(pk=by_pk)
            barrier.wait(timeout=10)
            services.enroll(session=session, trainee=trainee, by=by)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(pk,)) for pk in trainee_pks]
    with mock.patch("courses.services.timezone.now", side_effect=_slow_now):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_enrollments_for_the_last_seat_never_overfill():
    admin = factories.AdministratorFactory()
    session = factories.CourseSessionFactory(capacity=2, course__grants=None)
    factories.EnrollmentFactory(session=session)  # one seat left
    contenders = [factories.TraineeFactory(), factories.TraineeFactory()]

    _enroll_concurrently(session.pk, [t.pk for t in contenders], admin.pk)

    statuses = sorted(Enrollment.objects.filter(trainee__in=contenders).values_list("status", flat=True))
    assert statuses == ["enrolled", "waitlisted"]
    assert Enrollment.objects.filter(session=session).active().count() == 2
