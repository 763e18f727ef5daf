"""Shared fixtures: the permission cast (an administrator, two instructors, two trainees)."""

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Argon2 is slow on purpose; tests hash with MD5 unless marked `argon2` (those that check hashing)."""
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def _credential_signing_key(settings):
    """Credentials are signed with a fixed test key, not the development key kept under var/."""
    settings.CREDENTIAL_SIGNING_KEY = "z3u2XyiEZkfWwohoe1XcodXXRGGp8nEHHNFS4FhsHpRnE4Lr"
    settings.CREDENTIAL_PREVIOUS_PUBLIC_KEYS = []


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Code outside a request (services, commands) speaks English in tests, whatever language the
    previous test's request left active in this thread; requests still choose by Accept-Language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _downloads_unthrottled(request, settings):
    """Tests download as often as they need; those about the throttle (marked `throttle`) set
    their own allowance."""
    if "throttle" not in request.keywords:
        settings.DOWNLOAD_RATE_LIMIT = "100000/m"
        settings.DOWNLOAD_CONCURRENCY = 100000


@pytest.fixture(autouse=True)
def _administrators_pass_the_second_step(request, monkeypatch):
    """`client.force_login(administrator)` signs in as an administrator who has also typed a
    code: the session is verified with their TOTP device (created for them), as the code page
    does (accounts.testing.verify_second_factor). Tests of the second step itself are marked
    `password_only` and get the session the password alone gives."""
    if "password_only" in request.keywords:
        return
    from django.test import Client

    from accounts.testing import verify_second_factor
    from common.permissions import ADMINISTRATORS

    force_login = Client.force_login

    def force_login_with_second_step(self, user, backend=None):
        force_login(self, user, backend)
        # Asked here without the per-user role cache, which a test may still want to change.
        if user.is_superuser or user.groups.filter(name=ADMINISTRATORS).exists():
            verify_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login_with_second_step)


@pytest.fixture(autouse=True)
def _rate_limits_start_empty():
    """Rate-limit counters live in Redis and outlive a test: every test starts with none, so that
    sign-ins, downloads and API calls of earlier tests in the same minute do not count against it.
    (Each xdist worker has its own cache key prefix, settings.CACHES.)"""
    from django.core.cache import cache

    cache.delete_pattern("rate:*")
    cache.delete_pattern("throttle_*")
    # Report figures kept by an earlier test whose data has been rolled back (reports/cache.py).
    cache.delete_pattern("report-kept:*")


@pytest.fixture
def admin_user(db):
    return factories.AdministratorFactory(username="admin1", first_name="Adriana", last_name="Sánchez")


@pytest.fixture
def instructor(db):
    return factories.InstructorFactory(username="instructor1", first_name="Iván", last_name="Ortega")


@pytest.fixture
def other_instructor(db):
    return factories.InstructorFactory(username="instructor2", first_name="Olga", last_name="Ruiz")


@pytest.fixture
def trainee_user(db):
    return factories.TraineeUserFactory(username="trainee1")


@pytest.fixture
def other_trainee_user(db):
    return factories.TraineeUserFactory(username="trainee2")


@pytest.fixture
def session(db, instructor):
    """A session taught by `instructor`, not by `other_instructor`."""
    return factories.CourseSessionFactory(instructors=[instructor])


@pytest.fixture
def client():
    """The Django test client, asking for English so that tests can assert on English text.

    Spanish is the default language; tests about it build their own client or send
    Accept-Language: es.
    """
    from django.test import Client

    return Client(headers={"accept-language": "en"})


@pytest.fixture(autouse=True)
def _transcripts_rendered_in_process(request, monkeypatch):
    """A transcript or certificate download enqueues its rendering for a Celery worker
    (certifications/transcripts.py, stored_documents.py), a report its figures (reports/cache.py);
    tests have no worker, so the task runs here, at once, as a worker would run
    it (Celery's `apply`). tests/certifications/test_transcript_worker.py uses a real worker
    (marked `celery_worker`)."""
    if "celery_worker" in request.keywords:
        return
    from certifications.stored_documents import render_certificate_task
    from certifications.transcripts import render_transcript_task
    from reports.tasks import compute_report

    if "renders_at_issue" not in request.keywords:
        # Issuing queues the certificate's PDF once committed (stored_documents.prepare_certificates):
        # 0.3 s of WeasyPrint per certificate, hundreds in a seeded demo. Tests of it ask for it.
        from certifications import stored_documents

        monkeypatch.setattr(stored_documents, "prepare_certificates", lambda certification_ids: None)
    for task in (render_transcript_task, render_certificate_task, compute_report):
        monkeypatch.setattr(task, "delay", lambda *args, task=task: task.apply(args=args))
