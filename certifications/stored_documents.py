"""Documents rendered once: an issued certificate's PDF is stored (StoredCertificate), rendered
off the request path.

WeasyPrint takes 0.3–1 s of CPU per certificate; a class downloading its certificates at once
would hold every server process. The certificate's HTML is cheap (a template and a QR code);
its SHA-256 decides whether the stored PDF is still the one that HTML gives, so nothing has to
remember to invalidate it when what is printed changes. Revoking deletes the stored PDFs.

A certificate is rendered by a Celery task when it is issued (in the site's language: the first
download of a class that just finished finds it stored). One not stored yet in the reader's
language, or whose printed content changed, is rendered by the same task on its first download
(one at a time per certificate and language: a lock in the cache); the download waits up to
TRANSCRIPT_WAIT_SECONDS for it, then answers "being prepared" (certifications/documents_views.py).
"""

import hashlib
import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation

from . import documents
from .models import Certification, StoredCertificate

LOCK_SECONDS = 120
POLL_SECONDS = 0.1


def certificate_html(certification):
    return render_to_string("certifications/certificate.html", documents.certificate_context(certification))


def fingerprint_of(html):
    return hashlib.sha256(html.encode()).hexdigest()


def _stored(certification, language, fingerprint):
    stored = (
        StoredCertificate.objects.filter(certification=certification, language=language, fingerprint=fingerprint)
        .values_list("pdf", flat=True)
        .first()
    )
    return bytes(stored) if stored is not None else None


def store_certificate(certification, *, html=None):
    """Render the certificate in the active language and store it; returns the PDF bytes."""
    html = html if html is not None else certificate_html(certification)
    pdf = documents.pdf_from_html(html)
    # Two renderings at once both write: the last one wins, with the same bytes.
    StoredCertificate.objects.bulk_create(
        [
            StoredCertificate(
                certification=certification,
                language=translation.get_language() or "",
                fingerprint=fingerprint_of(html),
                pdf=pdf,
            )
        ],
        update_conflicts=True,
        unique_fields=["certification", "language"],
        update_fields=["fingerprint", "pdf", "rendered_at"],
    )
    return pdf


@shared_task(name="certifications.tasks.render_certificate", ignore_result=True)
def render_certificate_task(certification_id, language, lock=None):
    try:
        certification = (
            Certification.objects.filter(pk=certification_id, revoked_at__isnull=True)
            .select_related("trainee", "type", "enrollment__session__course")
            .first()
        )
        if certification is not None and not certification.is_external:
            with translation.override(language):
                store_certificate(certification)
    finally:
        if lock:
            cache.delete(lock)


def site_language():
    """The language a page is served in by default ("es" for LANGUAGE_CODE "es-mx"): the one a
    download looks its stored PDF up by."""
    return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


def prepare_certificates(certification_ids):
    """Queue the rendering of newly issued certificates in the site's language (called on
    commit by services.issue_certification): their PDF is ready before anyone asks for it."""
    language = site_language()
    for pk in certification_ids:
        render_certificate_task.delay(pk, language)


def store_missing_certificates(certifications, language=None):
    """Render and store, here and now, the PDFs of `certifications` not stored yet in `language`
    (default: the site's); returns how many were rendered. For certificates issued before
    rendering at issuance, or loaded without the issuing service (bench/generate.py)."""
    language = language or site_language()
    missing = (
        certifications.filter(revoked_at__isnull=True, enrollment__isnull=False)
        .exclude(stored_pdfs__language=language)
        .select_related("trainee", "type", "enrollment__session__course")
    )
    rendered = 0
    with translation.override(language):
        for certification in missing:
            store_certificate(certification)
            rendered += 1
    return rendered


def certificate_pdf(certification, *, wait_seconds=None):
    """The certificate's PDF bytes (certification loaded as documents.certificate_context wants),
    or None while it is being rendered: the stored ones when they were rendered from the same
    HTML, else a rendering is enqueued and awaited for a moment."""
    wait_seconds = settings.TRANSCRIPT_WAIT_SECONDS if wait_seconds is None else wait_seconds
    language = translation.get_language() or ""
    fingerprint = fingerprint_of(certificate_html(certification))
    pdf = _stored(certification, language, fingerprint)
    if pdf is not None:
        return pdf
    lock = f"certificate:{certification.pk}:{language}:{fingerprint}:lock"
    if cache.add(lock, 1, LOCK_SECONDS):
        render_certificate_task.delay(certification.pk, language, lock)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        pdf = _stored(certification, language, fingerprint)
        if pdf is not None:
            return pdf
    return None
