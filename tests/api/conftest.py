"""The API's cast: a token per role (administrator, instructor, other instructor, trainee,
other trainee), with data that each sees differently."""

import datetime

import pytest
from django.test import Client

from api import services
from courses.models import CourseSession, Enrollment
from tests import factories


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """Rate-limit counters in this process's memory, fresh for each test."""
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


class Api:
    """A test client that calls the API with a bearer token (or none) and JSON bodies."""

    def __init__(self, token=None, language="en"):
        self.client = Client(headers={"accept-language": language})
        self.headers = {"authorization": f"Bearer {token}"} if token else {}

    def get(self, path, params=None, **headers):
        return self.client.get(path, params or {}, headers={**self.headers, **headers})

    def post(self, path, data=None, **headers):
        return self.client.post(path, data or {}, content_type="application/json", headers={**self.headers, **headers})

    def patch(self, path, data=None, **headers):
        return self.client.patch(path, data or {}, content_type="application/json", headers={**self.headers, **headers})


@pytest.fixture
def world(db):
    """An administrator, two instructors, two trainees; a finalized session (passed, certified)
    and a running session with a draft result, both taught by `instructor`."""
    cast = {
        "administrator": factories.AdministratorFactory(username="chief"),
        "instructor": factories.InstructorFactory(username="teacher"),
        "other_instructor": factories.InstructorFactory(username="other-teacher"),
        "trainee": factories.TraineeUserFactory(username="owner"),
        "other_trainee": factories.TraineeUserFactory(username="other-trainee"),
    }
    finalized = factories.CourseSessionFactory(
        code="SES-DONE",
        instructors=[cast["instructor"]],
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 13),
        status=CourseSession.Status.FINALIZED,
    )
    running = factories.CourseSessionFactory(
        code="SES-DRAFT",
        instructors=[cast["instructor"]],
        starts_on=datetime.date(2026, 11, 2),
        ends_on=datetime.date(2027, 1, 29),
        status=CourseSession.Status.IN_PROGRESS,
    )
    owner = cast["trainee"].trainee
    passed = factories.EnrollmentFactory(session=finalized, trainee=owner, result=Enrollment.Result.PASSED, score=91)
    draft = factories.EnrollmentFactory(session=running, trainee=owner, result=Enrollment.Result.FAILED, score=12)
    other = factories.EnrollmentFactory(session=running, trainee=cast["other_trainee"].trainee)
    certification = factories.CertificationFactory(
        trainee=owner, type=finalized.course.grants, enrollment=passed, issued_on=finalized.ends_on
    )
    profile = factories.RequirementProfileFactory(code="UNMEM", required_types=[finalized.course.grants])
    deployment = factories.DeploymentFactory(code="MINURSO-27", profile=profile)
    nomination = factories.NominationFactory(deployment=deployment, trainee=owner)
    tokens = {
        role: services.create_token(user=user, name=f"{role} system", scope="write")[1] for role, user in cast.items()
    }
    return {
        "cast": cast,
        "tokens": tokens,
        "finalized": finalized,
        "running": running,
        "passed": passed,
        "draft": draft,
        "other_enrollment": other,
        "certification": certification,
        "profile": profile,
        "deployment": deployment,
        "nomination": nomination,
    }


@pytest.fixture
def api(world):
    """api(role) -> a client with that role's write token; api() -> anonymous."""

    def make(role=None, language="en"):
        return Api(world["tokens"][role] if role else None, language=language)

    return make
