"""Downloads of printed documents: a certificate PDF and a trainee's transcript PDF.

Only the holder and administrators get them; anyone else gets 404 (certificate: its
existence must not leak) or 403 (an instructor who may see the trainee but not print
their transcript).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from common.downloads import attach_file, being_prepared, throttled_download
from common.permissions import is_administrator
from trainees.models import Trainee

from . import stored_documents, transcripts
from .models import Certification

PREPARING_REFRESH_SECONDS = 2


def _pdf_response(content, filename):
    return attach_file(HttpResponse(content, content_type="application/pdf"), filename, inline=True)


@login_required
@throttled_download
def certificate_pdf(request, pk):
    certification = get_object_or_404(
        Certification.objects.visible_to(request.user).select_related("trainee", "type", "enrollment__session__course"),
        pk=pk,
    )
    if certification.is_external:
        # Issued elsewhere: CECOPAM prints no certificate for it (its scan is the evidence).
        raise Http404
    if certification.revoked_at is not None:
        return render(request, "certifications/certificate_refused.html", {"certification": certification}, status=410)
    pdf = stored_documents.certificate_pdf(certification)
    if pdf is None:
        return _preparing(request)
    return _pdf_response(pdf, f"certificate-{certification.code}.pdf")


def _preparing(request):
    """202: the document is being rendered (by a Celery task); the page then gets the PDF."""
    return being_prepared(request, "certifications/document_preparing.html", PREPARING_REFRESH_SECONDS)


def _transcript_response(request, trainee):
    """The cached transcript (certifications/transcripts.py), or a page saying it is being
    prepared that asks again by itself (HTTP Refresh) until it is there."""
    content = transcripts.cached_transcript(trainee)
    if content is None:
        return _preparing(request)
    return _pdf_response(content, transcripts.transcript_filename(trainee))


@login_required
@throttled_download
def my_transcript(request):
    """The signed-in trainee's own transcript."""
    trainee = get_object_or_404(Trainee.objects.select_related("organization"), user=request.user)
    return _transcript_response(request, trainee)


@login_required
@throttled_download
def trainee_transcript(request, pk):
    """Any trainee's transcript, for administrators (and the holder themself)."""
    trainee = get_object_or_404(Trainee.objects.visible_to(request.user).select_related("organization"), pk=pk)
    if not (is_administrator(request.user) or trainee.user_id == request.user.pk):
        raise PermissionDenied
    return _transcript_response(request, trainee)
