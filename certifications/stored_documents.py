"""Documents rendered once: an issued certificate's PDF is stored (StoredCertificate).

WeasyPrint takes 0.3–1 s of CPU per certificate; a class downloading its certificates at once
would hold every server process. The certificate's HTML is cheap (a template and a QR code);
its SHA-256 decides whether the stored PDF is still the one that HTML gives, so nothing has to
remember to invalidate it when what is printed changes. Revoking deletes the stored PDFs.
"""

import hashlib

from django.template.loader import render_to_string
from django.utils.translation import get_language

from . import documents
from .models import StoredCertificate


def certificate_pdf(certification):
    """The certificate's PDF bytes (certification loaded as documents.certificate_context wants):
    the stored ones when they were rendered from the same HTML, else rendered now and stored."""
    html = render_to_string("certifications/certificate.html", documents.certificate_context(certification))
    fingerprint = hashlib.sha256(html.encode()).hexdigest()
    language = get_language() or ""
    stored = (
        StoredCertificate.objects.filter(certification=certification, language=language, fingerprint=fingerprint)
        .values_list("pdf", flat=True)
        .first()
    )
    if stored is not None:
        return bytes(stored)
    pdf = documents.pdf_from_html(html)
    # Two downloads rendering at once both write: the last one wins, with the same bytes.
    StoredCertificate.objects.bulk_create(
        [StoredCertificate(certification=certification, language=language, fingerprint=fingerprint, pdf=pdf)],
        update_conflicts=True,
        unique_fields=["certification", "language"],
        update_fields=["fingerprint", "pdf", "rendered_at"],
    )
    return pdf
