"""A trainee's transcript PDF, rendered off the request path and kept under the record version.

Rendering a transcript with WeasyPrint costs 0.5–2 s of CPU: thirty trainees downloading theirs
at the end of a course, or one person pressing the link eight times, would hold every server
process. So a download never renders:

- the PDF is cached (the shared cache, Redis: every server process and machine sees it) under
  the trainee's *record version* (the SQL function `trainee_record_version`, which
  fingerprints every row the record shows: reports/migrations/0001_record_version.py; called
  here as SQL, the function belongs to the database), the language and the day (a transcript
  prints today's state of each certificate and the date): a changed record is never served
  from an older rendering, and nothing has to remember to invalidate it;
- when it is missing, the download enqueues one rendering (a Celery task; a lock in the cache
  makes concurrent downloads of the same transcript enqueue one) and waits up to
  TRANSCRIPT_WAIT_SECONDS for it; a longer wait answers 202 with a "being prepared" page that
  asks again by itself (the HTTP Refresh header: no script).
"""

import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone, translation
from django.utils.text import slugify

from courses.models import Enrollment
from trainees.models import Trainee

from . import documents
from .models import Certification

CACHE_SECONDS = 24 * 60 * 60  # the key holds the day: a rendering is never served after it
LOCK_SECONDS = 120  # a rendering enqueued and lost (a killed worker) is enqueued again after this
POLL_SECONDS = 0.1


def transcript_filename(trainee):
    name = slugify(f"{trainee.paternal_surname} {trainee.maternal_surname} {trainee.given_names}") or "trainee"
    return f"transcript-{name}.pdf"


def render_transcript(trainee):
    """The transcript's PDF bytes, rendered now (in the Celery worker)."""
    enrollments = (
        Enrollment.objects.filter(trainee=trainee)
        .exclude(status=Enrollment.Status.WAITLISTED)
        .select_related("session__course")
        .order_by("session__starts_on", "session__code")
    )
    certifications = Certification.objects.filter(trainee=trainee).select_related("type").order_by("issued_on", "id")
    return documents.transcript_pdf(trainee, enrollments=list(enrollments), certifications=list(certifications))


def record_version(trainee_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT trainee_record_version(%s)", [trainee_id])
        return cursor.fetchone()[0]


def cache_key(trainee_id, version, language, day):
    import hashlib

    digest = hashlib.sha256(f"{version}".encode()).hexdigest()[:32]
    return f"transcript:{trainee_id}:{digest}:{language}:{day.isoformat()}"


@shared_task(name="certifications.tasks.render_transcript", ignore_result=True)
def render_transcript_task(trainee_id, language, key):
    """Render the transcript in `language` and keep it under `key` (computed by the download
    from the record version it read: if the record changed since, the next download asks for
    a new key and this rendering is simply never read)."""
    try:
        trainee = Trainee.objects.select_related("organization").filter(pk=trainee_id).first()
        if trainee is not None:
            with translation.override(language):
                cache.set(key, render_transcript(trainee), CACHE_SECONDS)
    finally:
        cache.delete(f"{key}:lock")


def cached_transcript(trainee, *, wait_seconds=None):
    """The transcript's PDF bytes, or None when it is still being prepared (a rendering is
    enqueued, at most one at a time per transcript)."""
    wait_seconds = settings.TRANSCRIPT_WAIT_SECONDS if wait_seconds is None else wait_seconds
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = cache_key(trainee.pk, record_version(trainee.pk), language, timezone.localdate())
    pdf = cache.get(key)
    if pdf is not None:
        return pdf
    if cache.add(f"{key}:lock", 1, LOCK_SECONDS):
        render_transcript_task.delay(trainee.pk, language, key)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        pdf = cache.get(key)
        if pdf is not None:
            return pdf
    return None
