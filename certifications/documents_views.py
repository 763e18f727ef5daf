"""Downloads of printed documents: a certificate PDF and a trainee's transcript PDF.

Only the holder and administrators get them; anyone else gets 404 (certificate: its
existence must not leak) or 403 (an instructor who may see the trainee but not print
their transcript).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify

from common.downloads import attach_file, throttled_download
from common.permissions import is_administrator
from courses.models import Enrollment
from trainees.models import Trainee

from . import documents
from .models import Certification


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
    return _pdf_response(documents.certificate_pdf(certification), f"certificate-{certification.code}.pdf")


def _transcript_response(user, trainee):
    # A document of record: no draft results, whoever prints it (Enrollment.objects.visible_to).
    enrollments = (
        Enrollment.objects.visible_to(user, include_drafts=False)
        .filter(trainee=trainee)
        .exclude(status=Enrollment.Status.WAITLISTED)
        .select_related("session__course")
        .order_by("session__starts_on", "session__code")
    )
    certifications = Certification.objects.filter(trainee=trainee).select_related("type").order_by("issued_on", "id")
    content = documents.transcript_pdf(trainee, enrollments=list(enrollments), certifications=list(certifications))
    name = slugify(f"{trainee.paternal_surname} {trainee.maternal_surname} {trainee.given_names}") or "trainee"
    return _pdf_response(content, f"transcript-{name}.pdf")


@login_required
@throttled_download
def my_transcript(request):
    """The signed-in trainee's own transcript."""
    trainee = get_object_or_404(Trainee.objects.select_related("organization"), user=request.user)
    return _transcript_response(request.user, trainee)


@login_required
@throttled_download
def trainee_transcript(request, pk):
    """Any trainee's transcript, for administrators (and the holder themself)."""
    trainee = get_object_or_404(Trainee.objects.visible_to(request.user).select_related("organization"), pk=pk)
    if not (is_administrator(request.user) or trainee.user_id == request.user.pk):
        raise PermissionDenied
    return _transcript_response(request.user, trainee)
