"""Trainee: sign in → /me/ shows only their own courses, results and certificates, each with
its state and expiry date; another trainee's record is refused."""

import datetime
import re

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from courses.models import CourseSession, Enrollment
from tests import factories

from .conftest import check_page

pytestmark = pytest.mark.e2e


def _shown(day):
    """A date as the English pages may print it: the locale's format, or ISO."""
    with translation.override("en"):
        forms = {formats.date_format(day), formats.date_format(day, "SHORT_DATE_FORMAT"), day.isoformat()}
    return re.compile("|".join(re.escape(form) for form in forms))


@pytest.fixture
def two_trainees():
    today = timezone.localdate()
    me = factories.TraineeUserFactory(
        username="mariana",
        trainee__given_names="Mariana",
        trainee__paternal_surname="Ibáñez",
        trainee__maternal_surname="Peña",
    ).trainee
    other = factories.TraineeUserFactory(
        username="rodrigo",
        trainee__given_names="Rodrigo",
        trainee__paternal_surname="Cárdenas",
        trainee__maternal_surname="Ortiz",
    ).trainee

    types = {
        code: factories.CertificationTypeFactory(code=code, name=name, validity_months=months)
        for code, name, months in [
            ("CPTM", "UN core pre-deployment training", 36),
            ("UFL", "Legal use of force", 12),
            ("DDHH", "Human rights in peace operations", 24),
        ]
    }
    course = factories.CourseFactory(code="UFL", title="Legal Use of Force", grants=types["UFL"])
    past = factories.CourseSessionFactory(
        course=course,
        code="UFL-2026-01",
        starts_on=today - datetime.timedelta(days=320),
        ends_on=today - datetime.timedelta(days=318),
        status=CourseSession.Status.FINALIZED,
    )
    upcoming = factories.CourseSessionFactory(
        code="GEN-2027-01",
        course__title="Gender in Peace Operations",
        starts_on=today + datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=34),
    )
    mine = factories.EnrollmentFactory(
        session=past, trainee=me, result=Enrollment.Result.PASSED, score=88, attendance=100
    )
    factories.EnrollmentFactory(session=past, trainee=other, result=Enrollment.Result.FAILED, score=40, attendance=90)
    factories.EnrollmentFactory(session=upcoming, trainee=me)

    certificates = {
        "valid": factories.CertificationFactory(
            trainee=me, type=types["CPTM"], issued_on=today - datetime.timedelta(days=200)
        ),
        "expiring": factories.CertificationFactory(
            trainee=me,
            type=types["UFL"],
            issued_on=past.ends_on,
            expires_on=today + datetime.timedelta(days=40),
            enrollment=mine,
        ),
        "expired": factories.CertificationFactory(
            trainee=me,
            type=types["DDHH"],
            issued_on=today - datetime.timedelta(days=800),
            expires_on=today - datetime.timedelta(days=70),
        ),
    }
    factories.CertificationFactory(trainee=other, type=types["DDHH"], issued_on=today - datetime.timedelta(days=10))
    return me, other, certificates


def test_trainee_sees_only_their_own_record(page, live_server, sign_in, two_trainees):
    me, other, certificates = two_trainees

    sign_in("mariana")
    expect(page).to_have_url(re.compile(r"/me/$"))
    main = page.get_by_role("main")
    expect(main).to_contain_text(me.full_name)
    expect(main).to_contain_text("Legal Use of Force")
    expect(main).to_contain_text("Gender in Peace Operations")
    expect(main).to_contain_text("Passed")

    for state, label in [("valid", "Valid"), ("expiring", "Expiring"), ("expired", "Expired")]:
        certificate = certificates[state]
        # Case-sensitive: the course "Legal Use of Force" has a row of its own.
        row = main.get_by_role("row").filter(has_text=re.compile(re.escape(certificate.type.name)))
        expect(row).to_contain_text(label)
        expect(row).to_contain_text(_shown(certificate.expires_on))
    page.screenshot(path="/tmp/e2e-trainee.png", full_page=True)

    # Nothing of the other trainee, who sat the same session.
    expect(page.get_by_text("Cárdenas")).to_have_count(0)
    expect(page.get_by_text("Failed")).to_have_count(0)

    response = page.goto(f"{live_server.url}/trainees/{other.pk}/")
    assert response.status in (403, 404)
    check_page(page)
    expect(page.get_by_text("Cárdenas")).to_have_count(0)
