"""Data the reports' tests share: finalized sessions with results, a draft, certifications in each
standing. Tests compute what the reports must say from these rows."""

import datetime

import pytest

from courses.models import CourseSession, Enrollment
from tests import factories

TODAY = datetime.date(2026, 11, 20)


@pytest.fixture
def today(settings):
    """Reports read timezone.localdate(): freeze it on TODAY."""
    import time_machine

    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC), tick=False):
        yield TODAY


def finalized_session(course, starts_on, ends_on, results, **kwargs):
    """A finalized session of `course` with `results`: [(trainee, result, score)]."""
    session = factories.CourseSessionFactory(
        course=course, starts_on=starts_on, ends_on=ends_on, status=CourseSession.Status.FINALIZED, **kwargs
    )
    for trainee, result, score in results:
        factories.EnrollmentFactory(session=session, trainee=trainee, result=result, score=score)
    return session


@pytest.fixture
def people(db):
    mexico = factories.OrganizationFactory(name="SEDENA", kind="military", country="MX")
    police = factories.OrganizationFactory(name="Guardia Nacional", kind="police", country="MX")
    guatemala = factories.OrganizationFactory(name="Ejército de Guatemala", kind="partner", country="GT")
    return {
        "ana": factories.TraineeFactory(given_names="Ana", gender="female", category="military", organization=mexico),
        "beto": factories.TraineeFactory(given_names="Beto", gender="male", category="military", organization=mexico),
        "carla": factories.TraineeFactory(given_names="Carla", gender="female", category="police", organization=police),
        "dora": factories.TraineeFactory(
            given_names="Dora", gender="female", category="civilian", organization=None, nationality="GT"
        ),
        "eli": factories.TraineeFactory(
            given_names="Eli", gender="male", category="military", organization=guatemala, nationality="GT"
        ),
        "fer": factories.TraineeFactory(given_names="Fer", gender="", category="police", organization=police),
    }


@pytest.fixture
def training(people):
    """2026: Ana is trained twice (March and September) in POC; Beto passes once and fails once;
    Carla, Dora (a civilian) and Fer pass; Eli fails. 2025: Ana and Beto in the staff-officer
    course (UGPS observers_staff). A draft session (not finalized) in 2026 where Eli and Beto
    'passed' must never count."""
    poc = factories.CourseFactory(code="POC", title="Protección de civiles", pass_mark=70)
    staff = factories.CourseFactory(code="UNSOC", title="Oficiales de Estado Mayor", ugps_category="observers_staff")
    p = people
    march = finalized_session(
        poc,
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 13),
        [(p["ana"], "passed", 90), (p["beto"], "passed", 80), (p["carla"], "passed", 75), (p["eli"], "failed", 40)],
    )
    september = finalized_session(
        poc,
        datetime.date(2026, 9, 7),
        datetime.date(2026, 9, 18),
        [(p["ana"], "passed", 95), (p["beto"], "failed", 50), (p["dora"], "passed", 88), (p["fer"], "passed", 71)],
    )
    finalized_session(
        staff,
        datetime.date(2025, 5, 5),
        datetime.date(2025, 5, 30),
        [(p["ana"], "passed", 85), (p["beto"], "passed", 82)],
    )
    draft = factories.CourseSessionFactory(
        course=poc,
        starts_on=datetime.date(2026, 10, 5),
        ends_on=datetime.date(2026, 10, 16),
        status=CourseSession.Status.IN_PROGRESS,
    )
    factories.EnrollmentFactory(session=draft, trainee=p["eli"], result="passed", score=99)
    factories.EnrollmentFactory(session=draft, trainee=p["beto"], result="passed", score=99)
    # A withdrawn enrolment with a stale "passed" result does not count either.
    factories.EnrollmentFactory(
        session=september, trainee=p["eli"], status=Enrollment.Status.WITHDRAWN, result="passed"
    )
    return {"poc": poc, "staff": staff, "march": march, "september": september, "draft": draft}
