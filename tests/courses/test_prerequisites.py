"""Prerequisites at enrolment: valid on the session's start date, named when missing, overridable with a reason."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses import services
from courses.models import Enrollment
from tests import factories

TODAY = timezone.localdate()
# A session far enough ahead that a certificate can be valid today and lapse before it starts.
STARTS_ON = TODAY + datetime.timedelta(days=60)


@pytest.fixture
def observer_cert(db):
    return factories.CertificationTypeFactory(code="UNMEM", name="UN Military Experts on Mission", validity_months=36)


@pytest.fixture
def session(db, observer_cert):
    course = factories.CourseFactory(code="UNSOC", title="UN Staff Officers Course")
    course.prerequisites.add(observer_cert)
    return factories.CourseSessionFactory(
        course=course, starts_on=STARTS_ON, ends_on=STARTS_ON + datetime.timedelta(days=11)
    )


@pytest.fixture
def trainee(db):
    return factories.TraineeFactory(given_names="María José", paternal_surname="Hernández", maternal_surname="Ávila")


def _hold(trainee, cert_type, *, issued_on, expires_on=None):
    return factories.CertificationFactory(trainee=trainee, type=cert_type, issued_on=issued_on, expires_on=expires_on)


def test_a_prerequisite_valid_on_the_start_date_admits_the_trainee(session, trainee, observer_cert, admin_user):
    _hold(trainee, observer_cert, issued_on=TODAY - datetime.timedelta(days=400))

    enrollment = services.enroll(session=session, trainee=trainee, by=admin_user)

    assert enrollment.status == "enrolled"
    assert enrollment.prerequisites_overridden is False


def test_a_prerequisite_expiring_on_the_start_date_still_counts(session, trainee, observer_cert, admin_user):
    _hold(trainee, observer_cert, issued_on=TODAY - datetime.timedelta(days=700), expires_on=STARTS_ON)

    assert services.enroll(session=session, trainee=trainee, by=admin_user).status == "enrolled"


def test_a_prerequisite_valid_today_but_expiring_before_the_start_is_an_error_naming_it(
    session, trainee, observer_cert, admin_user
):
    _hold(
        trainee,
        observer_cert,
        issued_on=TODAY - datetime.timedelta(days=700),
        expires_on=STARTS_ON - datetime.timedelta(days=1),
    )

    with pytest.raises(ValidationError) as excinfo:
        services.enroll(session=session, trainee=trainee, by=admin_user)

    assert excinfo.value.code == "prerequisites"
    message = excinfo.value.messages[0]
    assert "UN Military Experts on Mission" in message
    assert "María José Hernández Ávila" in message
    assert not Enrollment.objects.filter(session=session).exists()


def test_a_missing_prerequisite_is_an_error_naming_it(session, trainee, admin_user):
    with pytest.raises(ValidationError) as excinfo:
        services.enroll(session=session, trainee=trainee, by=admin_user)

    assert excinfo.value.code == "prerequisites"
    assert "UN Military Experts on Mission" in excinfo.value.messages[0]


def test_only_the_missing_prerequisite_is_named(session, trainee, observer_cert, admin_user):
    gender = factories.CertificationTypeFactory(code="GEN", name="Gender in Peace Operations")
    session.course.prerequisites.add(gender)
    _hold(trainee, observer_cert, issued_on=TODAY)

    with pytest.raises(ValidationError) as excinfo:
        services.enroll(session=session, trainee=trainee, by=admin_user)

    message = excinfo.value.messages[0]
    assert "Gender in Peace Operations" in message
    assert "UN Military Experts on Mission" not in message


def test_a_revoked_prerequisite_does_not_count(session, trainee, observer_cert, admin_user):
    from certifications.services import revoke_certification

    held = _hold(trainee, observer_cert, issued_on=TODAY - datetime.timedelta(days=30))
    revoke_certification(certification=held, reason="Issued in error", by=admin_user)

    with pytest.raises(ValidationError) as excinfo:
        services.enroll(session=session, trainee=trainee, by=admin_user)
    assert "UN Military Experts on Mission" in excinfo.value.messages[0]


def test_someone_elses_certificate_does_not_count(session, trainee, observer_cert, admin_user):
    _hold(factories.TraineeFactory(), observer_cert, issued_on=TODAY)

    with pytest.raises(ValidationError):
        services.enroll(session=session, trainee=trainee, by=admin_user)


def test_an_override_with_a_reason_is_recorded(session, trainee, admin_user):
    enrollment = services.enroll(
        session=session,
        trainee=trainee,
        by=admin_user,
        override_prerequisites=True,
        override_reason="  Certificate renewal in progress at the UN; confirmed by DOS.  ",
    )

    enrollment.refresh_from_db()
    assert enrollment.status == "enrolled"
    assert enrollment.prerequisites_overridden is True
    assert enrollment.override_reason == "Certificate renewal in progress at the UN; confirmed by DOS."
    assert enrollment.enrolled_by == admin_user


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused(session, trainee, admin_user, reason):
    with pytest.raises(ValidationError) as excinfo:
        services.enroll(
            session=session, trainee=trainee, by=admin_user, override_prerequisites=True, override_reason=reason
        )

    assert excinfo.value.code == "override_reason"
    assert not Enrollment.objects.filter(session=session).exists()


def test_an_override_that_is_not_needed_is_not_recorded(session, trainee, observer_cert, admin_user):
    _hold(trainee, observer_cert, issued_on=TODAY)

    enrollment = services.enroll(
        session=session, trainee=trainee, by=admin_user, override_prerequisites=True, override_reason="Just in case"
    )

    assert enrollment.prerequisites_overridden is False
    assert enrollment.override_reason == ""


def test_missing_prerequisites_checks_the_given_date(session, trainee, observer_cert):
    _hold(trainee, observer_cert, issued_on=TODAY, expires_on=TODAY + datetime.timedelta(days=10))

    assert services.missing_prerequisites(course=session.course, trainee=trainee, on_date=TODAY) == []
    assert services.missing_prerequisites(course=session.course, trainee=trainee, on_date=STARTS_ON) == [observer_cert]
