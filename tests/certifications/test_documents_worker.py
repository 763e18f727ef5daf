"""A real Celery worker process renders the PDFs a download enqueues (issue 16): the download
waits for it and gets the PDF; the worker stores the certificate and caches the transcript
where every server process finds them (PostgreSQL, Redis)."""

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from cecopam.celery import app
from certifications.models import StoredCertificate
from tests.certifications.documents_helpers import cecopam_certification, name_the_holder, pdf_text
from tests.certifications.test_celery_integration import database_url, remove_queue

pytestmark = pytest.mark.celery_worker  # the worker renders: no in-process rendering
WAIT_SECONDS = 90


@pytest.fixture
def queue():
    """A queue of this test only, on this worktree's broker: what this process sends goes there
    (Celery reads task_default_queue at each send), so the worker does not first work through
    whatever another process left in the shared default queue (a seeded demo queues hundreds
    of certificates; with no worker running they wait there)."""
    name = f"test-documents-{uuid.uuid4().hex}"
    before = app.conf.task_default_queue
    app.conf.task_default_queue = name
    try:
        yield name
    finally:
        app.conf.task_default_queue = before
        remove_queue(app.conf.broker_url, name)


@pytest.fixture
def worker(transactional_db, tmp_path, queue):
    """`celery -A cecopam worker` on this worktree's broker and cache, against the test database,
    consuming only this test's queue."""
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "CONN_MAX_AGE": "0", "CELERY_TASK_DEFAULT_QUEUE": queue}
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cecopam", "worker", "--pool=solo", "--without-gossip"]
            + ["--without-mingle", "--without-heartbeat", "--loglevel=INFO", "-Q", queue],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while " ready." not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "worker did not start:\n" + log.read_text()
            time.sleep(0.2)
        yield log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def test_the_worker_renders_the_transcript_and_the_certificate_the_downloads_wait_for(
    worker, client, trainee_user, settings
):
    settings.TRANSCRIPT_WAIT_SECONDS = 60  # the download waits for the worker
    holder = name_the_holder(trainee_user.trainee)
    certification = cecopam_certification(
        holder, starts_on=datetime.date(2025, 3, 3), ends_on=datetime.date(2025, 3, 14)
    )
    client.force_login(trainee_user)

    transcript = client.get(reverse("certifications:my-transcript"))
    assert transcript.status_code == 200, worker.read_text()
    assert "Núñez" in pdf_text(transcript.content)
    assert "render_transcript" in worker.read_text()

    certificate = client.get(reverse("certifications:certificate", args=[certification.pk]))
    assert certificate.status_code == 200, worker.read_text()
    stored = {row.language: bytes(row.pdf) for row in StoredCertificate.objects.filter(certification=certification)}
    assert stored["en"] == certificate.content  # this download's language, rendered when asked
    assert stored["es"].startswith(b"%PDF")  # the site's language, rendered by the worker at issue
    assert "render_certificate" in worker.read_text()
