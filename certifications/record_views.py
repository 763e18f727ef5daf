"""Administrators' changes to what a person holds: recording an external certification and
revoking one; and the permission-checked download of an external certification's scan."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.permissions import administrator_required
from trainees.models import Trainee

from . import services
from .forms import ExternalCertificationForm, RevokeForm
from .models import Certification


@administrator_required
@require_http_methods(["GET", "POST"])
def external_new(request, trainee_pk=None):
    """Record a certification issued by another institution, with a scan of it.

    Reached as /trainees/<id>/certifications/new/ or /certifications/new/?trainee=<id>.
    """
    if trainee_pk is None:
        raw = request.GET.get("trainee", "")
        if not raw.isdigit():
            raise Http404
        trainee_pk = int(raw)
    trainee = get_object_or_404(Trainee.objects.visible_to(request.user), pk=trainee_pk)
    form = ExternalCertificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        certification = services.issue_certification(
            trainee=trainee,
            type=data["type"],
            issued_on=data["issued_on"],
            expires_on=data["expires_on"],
            issuer=data["issuer"],
            scan=data["scan"],
        )
        messages.success(
            request,
            _("%(certification)s from %(issuer)s recorded for %(name)s.")
            % {"certification": certification.type.name, "issuer": certification.issuer, "name": trainee.full_name},
        )
        return redirect(trainee)
    return render(request, "certifications/external_form.html", {"form": form, "trainee": trainee})


@administrator_required
@require_http_methods(["GET", "POST"])
def revoke(request, pk):
    """Revoke a certification, with a required reason (GET shows the form)."""
    certification = get_object_or_404(
        Certification.objects.visible_to(request.user).select_related("trainee", "type"), pk=pk
    )
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_certification(
                certification=certification, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Certification %(code)s revoked.") % {"code": certification.code},
            )
            return redirect(certification.trainee)
    return render(request, "certifications/revoke_form.html", {"form": form, "certification": certification})


@login_required
def scan(request, pk):
    """The uploaded scan of an external certification: holder and administrators only.

    Scans live under MEDIA_ROOT, which the web server never serves directly.
    """
    certification = get_object_or_404(Certification.objects.visible_to(request.user), pk=pk)
    if not certification.scan:
        raise Http404
    try:
        handle = certification.scan.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    extension = certification.scan.name.rsplit(".", 1)[-1].lower()
    content_type = mimetypes.types_map.get(f".{extension}", "application/octet-stream")
    response = FileResponse(
        handle, as_attachment=True, filename=f"scan-{certification.code}.{extension}", content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response
