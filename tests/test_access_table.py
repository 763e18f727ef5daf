"""Access control over the whole URLconf: one table, every URL pattern, every role.

Each row says what a GET answers for: an anonymous visitor, the trainee who owns the record,
another trainee, the instructor of the session, another instructor, and an administrator.
A URL pattern added without a row here fails `test_every_url_pattern_has_a_row`.
The Django admin (namespace `admin`) is covered in tests/test_hardening.py, the REST API
(namespace `api`, bearer tokens instead of sign-in) in tests/api/test_access.py.
"""

import datetime

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from api.services import create_token
from tests import factories

ROLES = ("anonymous", "owner", "other_trainee", "instructor", "other_instructor", "administrator")

OK = 200
LOGIN = "login"  # redirect to the sign-in page
MOVED = "moved"  # redirect somewhere else (a landing page)
GONE = 404
FORBIDDEN = 403
NOT_ALLOWED = 405  # the URL only takes POST; GET is refused whoever asks

ACCESS = {
    #                                 anonymous, owner, other trainee, instructor, other instructor, administrator
    "reports:home": (LOGIN, MOVED, MOVED, MOVED, MOVED, MOVED),
    "reports:overview": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "healthz": (OK, OK, OK, OK, OK, OK),
    "set_language": (NOT_ALLOWED,) * 6,
    "lockouts": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "unlock": (NOT_ALLOWED,) * 6,
    "login": (OK, OK, OK, OK, OK, OK),
    # The code page serves someone whose password was just right; signed-in users owe it nothing here.
    "two-step-code": (LOGIN, MOVED, MOVED, MOVED, MOVED, MOVED),
    "two-step": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),  # instructors: set up; administrators: status
    "two-step-recovery-codes": (NOT_ALLOWED,) * 6,
    "two-step-off": (NOT_ALLOWED,) * 6,
    "logout": (NOT_ALLOWED,) * 6,
    "password_change": (LOGIN, OK, OK, OK, OK, OK),
    "password_change_done": (LOGIN, OK, OK, OK, OK, OK),
    "password_reset": (OK,) * 6,
    "password_reset_done": (OK,) * 6,
    "password_reset_confirm": (OK,) * 6,  # an invalid link says so, whoever asks
    "password_reset_complete": (OK,) * 6,
    "reports:me": (LOGIN, OK, OK, OK, OK, OK),
    "certifications:my-transcript": (LOGIN, OK, OK, GONE, GONE, GONE),
    "trainees:list": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "trainees:create": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reports:trainee": (LOGIN, OK, GONE, OK, GONE, OK),
    "trainees:edit": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reports:trainee-history": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "trainees:import": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "trainees:import-confirm": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
    "trainees:export-csv": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "trainees:export-xlsx": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "certifications:transcript": (LOGIN, OK, GONE, FORBIDDEN, GONE, OK),
    "courses:course-list": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
    "courses:import-history": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:import-history-confirm": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
    "courses:course-create": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:course-detail": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
    "courses:course-edit": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:session-list": (LOGIN, OK, OK, OK, OK, OK),
    "courses:session-create": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:session-detail": (LOGIN, OK, GONE, OK, GONE, OK),
    "courses:session-edit": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:session-enroll": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
    "courses:session-enroll-search": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:session-enroll-many": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
    "courses:enrollment-withdraw": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
    "courses:session-results": (LOGIN, GONE, GONE, OK, GONE, OK),
    "courses:session-finalize": (LOGIN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    "courses:session-reopen": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
    "reports:session-history": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:roster-csv": (LOGIN, GONE, GONE, OK, GONE, OK),
    "courses:roster-xlsx": (LOGIN, GONE, GONE, OK, GONE, OK),
    "courses:roster-pdf": (LOGIN, GONE, GONE, OK, GONE, OK),
    "certifications:expiring": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "certifications:certificate": (LOGIN, OK, GONE, GONE, GONE, OK),
    "certifications:credential": (LOGIN, OK, GONE, GONE, GONE, OK),
    "certifications:did-document": (OK,) * 6,
    "certifications:status-list": (OK,) * 6,
    "certifications:scan": (LOGIN, GONE, GONE, GONE, GONE, GONE),  # this certificate has no scan
    "certifications:revoke": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "certifications:external-new": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, GONE),  # needs ?trainee=<id>
    "certifications:external-new-for-trainee": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reports:deployment-history": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:list": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:create": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:detail": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:edit": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:nominate": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
    "deployments:withdraw": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
    "deployments:nominations-csv": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:nominations-xlsx": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:nominations-pdf": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:readiness": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:readiness-csv": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, GONE),  # needs ?profile=...
    "deployments:units": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "verify-search": (OK,) * 6,
    "verify": (OK,) * 6,
    "reports:dashboard": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reports:dashboard-pdf": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reports:dashboard-table": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reports:parity": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reports:parity-csv": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reports:parity-xlsx": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    # One's own data: every trainee account has a record; staff accounts have none (404).
    "reports:my-personal-data": (LOGIN, OK, OK, GONE, GONE, GONE),
    "reports:trainee-personal-data": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "api-tokens:list": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "api-tokens:revoke": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
}


def _url_pattern_names(patterns=None, namespace=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api"):
                continue
            yield from _url_pattern_names(pattern.url_patterns, pattern.namespace or namespace)
        elif pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_pattern_has_a_row():
    names = set(_url_pattern_names())
    assert names - set(ACCESS) == set(), "URL patterns without a row in the access table"
    assert set(ACCESS) - names == set(), "rows for URL patterns that no longer exist"


@pytest.fixture
def world(db, django_db_blocker):
    cast = {
        "owner": factories.TraineeUserFactory(username="owner"),
        "other_trainee": factories.TraineeUserFactory(username="other-trainee"),
        "instructor": factories.InstructorFactory(username="teacher"),
        "other_instructor": factories.InstructorFactory(username="other-teacher"),
        "administrator": factories.AdministratorFactory(username="chief"),
    }
    session = factories.CourseSessionFactory(
        instructors=[cast["instructor"]], starts_on=datetime.date(2026, 3, 2), ends_on=datetime.date(2026, 3, 13)
    )
    enrollment = factories.EnrollmentFactory(session=session, trainee=cast["owner"].trainee, result="passed")
    certification = factories.CertificationFactory(
        trainee=cast["owner"].trainee, type=session.course.grants, enrollment=enrollment, issued_on=session.ends_on
    )
    nomination = factories.NominationFactory(trainee=cast["owner"].trainee)
    kwargs = {
        "deployments:withdraw": {"pk": nomination.deployment_id, "nomination_pk": nomination.pk},
        "reports:deployment-history": {"pk": nomination.deployment_id},
        "reports:trainee": {"pk": cast["owner"].trainee.pk},
        "trainees:edit": {"pk": cast["owner"].trainee.pk},
        "reports:trainee-history": {"pk": cast["owner"].trainee.pk},
        "reports:session-history": {"pk": session.pk},
        "certifications:transcript": {"pk": cast["owner"].trainee.pk},
        "courses:course-detail": {"pk": session.course.pk},
        "courses:course-edit": {"pk": session.course.pk},
        "courses:enrollment-withdraw": {"pk": session.pk, "enrollment_pk": enrollment.pk},
        "certifications:external-new-for-trainee": {"trainee_pk": cast["owner"].trainee.pk},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "verify": {"code": certification.code},
        "reports:dashboard-table": {"table": "trained-by-course", "export": "xlsx"},
        "reports:my-personal-data": {"export": "json"},
        "reports:trainee-personal-data": {"pk": cast["owner"].trainee.pk, "export": "pdf"},
        "certifications:did-document": None,
        "certifications:status-list": {"number": 1},
        "api-tokens:revoke": {"pk": create_token(user=cast["administrator"], name="HR")[0].pk},
    }
    for name in ACCESS:
        if name.startswith(("courses:session-", "courses:roster-")) and name not in (
            "courses:session-list",
            "courses:session-create",
        ):
            kwargs.setdefault(name, {"pk": session.pk})
        elif name.startswith("certifications:") and name not in (
            "certifications:expiring",
            "certifications:external-new",
            "certifications:my-transcript",
        ):
            kwargs.setdefault(name, {"pk": certification.pk})
        elif name in ("deployments:detail", "deployments:edit", "deployments:nominate") or name.startswith(
            "deployments:nominations-"
        ):
            kwargs.setdefault(name, {"pk": nomination.deployment_id})
    return cast, kwargs


def _answer(response):
    if response.status_code == 302:
        return LOGIN if response["Location"].startswith(reverse("login")) else MOVED
    return response.status_code


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_access(name, world, settings):
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cast, kwargs = world
    url = reverse(name, kwargs=kwargs.get(name))
    answers = {}
    for role in ROLES:
        client = Client(headers={"accept-language": "en"})
        if role != "anonymous":
            client.force_login(cast[role])
        answers[role] = _answer(client.get(url))
    assert answers == dict(zip(ROLES, ACCESS[name], strict=True))


# What an empty POST answers on the URLs that change something. Refusals must come before any
# work; an allowed empty POST is a form error (200) or a redirect with a message (moved).
POST_ACCESS = {
    #                                 anonymous, owner, other trainee, instructor, other instructor, administrator
    "unlock": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, MOVED),
    "two-step-code": (LOGIN, MOVED, MOVED, MOVED, MOVED, MOVED),
    # Instructors without an authenticator are sent to set one up; administrators get new codes.
    "two-step-recovery-codes": (LOGIN, FORBIDDEN, FORBIDDEN, MOVED, MOVED, OK),
    "two-step-off": (LOGIN, FORBIDDEN, FORBIDDEN, MOVED, MOVED, FORBIDDEN),
    "trainees:create": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "trainees:edit": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "trainees:import": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),  # the file is required
    "trainees:import-confirm": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, MOVED),  # nothing to confirm
    "courses:course-create": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:course-edit": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:import-history": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),  # the file is required
    "courses:import-history-confirm": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, MOVED),  # nothing to confirm
    "courses:session-create": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:session-edit": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "courses:session-enroll": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, MOVED),
    "courses:session-enroll-many": (
        LOGIN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
    ),  # nobody chosen: a form error
    "courses:enrollment-withdraw": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, MOVED),
    "courses:session-results": (LOGIN, GONE, GONE, OK, GONE, OK),
    "courses:session-finalize": (LOGIN, GONE, GONE, MOVED, GONE, MOVED),
    "courses:session-reopen": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),  # the reason is required
    "certifications:revoke": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "certifications:external-new-for-trainee": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:create": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:edit": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "deployments:nominate": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, MOVED),  # nobody chosen
    "deployments:withdraw": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, MOVED),
    "api-tokens:list": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),  # the form's errors
    "api-tokens:revoke": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, MOVED),
}


@pytest.mark.parametrize("name", sorted(POST_ACCESS))
def test_post_access(name, world, settings):
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cast, kwargs = world
    url = reverse(name, kwargs=kwargs.get(name))
    answers = {}
    for role in ROLES:
        client = Client(headers={"accept-language": "en"})
        if role != "anonymous":
            client.force_login(cast[role])
        answers[role] = _answer(client.post(url, {}))
    assert answers == dict(zip(ROLES, POST_ACCESS[name], strict=True))
