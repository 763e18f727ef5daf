"""`manage.py seed_demo`: idempotent demo data and working demo logins for each role."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.testing import code_from_otpauth_uri
from certifications.models import Certification, CertificationType
from common.permissions import is_administrator, is_instructor, is_trainee
from courses.demo import DEMO_PASSWORD, seed_demo
from courses.models import Course, CourseSession, Enrollment
from deployments.models import Deployment, Nomination, RequirementProfile
from deployments.readiness import readiness
from trainees.models import Organization, Trainee, TraineeLanguage

pytestmark = pytest.mark.django_db

MODELS = (
    User,
    Organization,
    Trainee,
    TraineeLanguage,
    CertificationType,
    Course,
    CourseSession,
    Enrollment,
    Certification,
    RequirementProfile,
    Deployment,
    Nomination,
)


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def _seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module (a few seconds), run it a second time, and undo it all afterwards."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            first_output = _seed()
            first = _counts()
            first_codes = set(Certification.objects.values_list("code", flat=True))
            second_output = _seed()
            yield {
                "first": first,
                "first_codes": first_codes,
                "first_output": first_output,
                "second_output": second_output,
            }
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_second_run_adds_nothing(seeded):
    assert _counts() == seeded["first"]
    assert set(Certification.objects.values_list("code", flat=True)) == seeded["first_codes"]
    assert seeded["first"]["Trainee"] >= 300
    assert seeded["first"]["Course"] >= 8
    assert Trainee.objects.filter(paternal_surname="Núñez").exists()
    assert Trainee.objects.exclude(nationality="MX").values("nationality").distinct().count() >= 10


def test_sessions_in_the_past_are_finalized_through_the_service(seeded):
    today = timezone.localdate()
    past = CourseSession.objects.past(today)
    assert past.exists()
    assert not past.exclude(status=CourseSession.Status.FINALIZED).exists()
    # Every passed trainee of a finalized session holds its certificate, issued on the last day.
    passed = Enrollment.objects.filter(session__in=past, status="enrolled", result="passed")
    assert passed.count() == Certification.objects.filter(enrollment__in=passed).count()
    assert not Certification.objects.filter(enrollment__isnull=False).exclude(
        issued_on=F("enrollment__session__ends_on")
    )
    assert CourseSession.objects.running(today).exists()
    assert CourseSession.objects.upcoming(today).filter(enrollments__status="waitlisted").exists()


def test_some_certifications_expire_within_weeks(seeded):
    today = timezone.localdate()
    expiring = Certification.objects.expiring_between(today, today + timedelta(days=30))
    assert expiring.exists()
    assert "expiring within 30 days" in seeded["first_output"]


@pytest.mark.parametrize(
    ("username", "predicate", "landing"),
    [
        ("admin", is_administrator, "/overview/"),
        ("instructor", is_instructor, "/sessions/"),
        ("trainee", is_trainee, "/me/"),
    ],
)
def test_demo_accounts_sign_in_with_the_printed_password(seeded, client, username, predicate, landing):
    assert f"username: {username} " in seeded["second_output"]
    assert f"password: {DEMO_PASSWORD}" in seeded["second_output"]
    user = User.objects.get(username=username)
    assert predicate(user)
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD}, follow=True)
    if username == "admin":
        # The administrator types a code too, computed from the printed otpauth:// URI.
        assert response.redirect_chain[-1][0].startswith("/accounts/login/code/")
        code = code_from_otpauth_uri(_printed_otpauth_uri(seeded["second_output"], username))
        response = client.post(response.redirect_chain[-1][0], {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == landing
    assert response.wsgi_request.user == user


def _printed_otpauth_uri(output, username):
    """The otpauth:// URI printed on the line after the login's username."""
    lines = output.splitlines()
    index = next(i for i, line in enumerate(lines) if f"username: {username} " in line)
    return re.search(r"sign-in code: (otpauth://\S+)", lines[index + 1]).group(1)


def test_the_demo_administrator_keeps_its_authenticator_from_run_to_run(seeded):
    first = _printed_otpauth_uri(seeded["first_output"], "admin")
    assert first == _printed_otpauth_uri(seeded["second_output"], "admin")
    assert first.startswith("otpauth://totp/CECOPAM%3Aadmin?secret=")
    assert "sign-in code" not in "".join(
        line for line in seeded["second_output"].splitlines() if "username: instructor " in line
    )


def test_demo_roles(seeded):
    admin = User.objects.get(username="admin")
    assert admin.is_staff and not admin.is_superuser
    instructor = User.objects.get(username="instructor")
    today = timezone.localdate()
    running = CourseSession.objects.taught_by(instructor).running(today).get()
    pending = running.enrollments.filter(status="enrolled", result="pending")
    assert pending.count() >= 10
    assert CourseSession.objects.taught_by(instructor).upcoming(today).exists()


def test_demo_trainee_holds_valid_expiring_and_expired_certificates(seeded):
    trainee = Trainee.objects.get(user__username="trainee")
    assert trainee.enrollments.filter(result="passed", session__status="finalized").count() >= 3
    states = {c.state() for c in trainee.certifications.all()}
    assert {Certification.State.VALID, Certification.State.EXPIRING, Certification.State.EXPIRED} <= states


def test_a_later_day_adds_nothing_and_keeps_the_running_session_running(seeded):
    """Run a week later: finalized history stays, running and upcoming sessions follow the date."""
    before = _counts()
    later = timezone.localdate() + timedelta(days=7)
    seed_demo(today=later)
    assert _counts() == before
    instructor = User.objects.get(username="instructor")
    assert CourseSession.objects.taught_by(instructor).running(later).exists()


def test_deployments_demo(seeded):
    """seed_demo (deployments' command, which runs courses' demo first) seeds a profile per UN
    role, personal documents from other institutions, and a deployment with nominations."""
    assert set(RequirementProfile.objects.values_list("role", flat=True)) == set(RequirementProfile.Role.values)
    unmem = RequirementProfile.objects.get(code="UNMEM")
    assert {"UNMEM", "CPTM", "DIH", "PASAPORTE", "LICENCIA", "PRIMAUX"} == set(
        unmem.required_types.values_list("code", flat=True)
    )
    assert unmem.languages.get(language="en").minimum == "intermediate"
    assert Certification.objects.filter(type__code="PASAPORTE", issuer__gt="", enrollment__isnull=True).count() > 200
    minurso = Deployment.objects.get(code="MINURSO-OBS-01")
    standing = minurso.nominations.all()
    assert standing.filter(ready_when_nominated=True).count() >= 3
    assert standing.filter(ready_when_nominated=False).exclude(warning="").exists()
    demo = Trainee.objects.get(user__username="trainee")
    assert standing.filter(trainee=demo).exists()
    assert not readiness(demo, unmem, minurso.starts_on, minurso.ends_on).ready
    assert "Deployments ready: 6 requirement profiles" in seeded["first_output"]
