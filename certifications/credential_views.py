"""Verifiable credentials over HTTP: a certificate's signed credential (holder and administrators),
the issuer's DID document and the signed status lists (public, as verifiers fetch them)."""

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from . import credentials
from .models import Certification

CREDENTIAL_MEDIA_TYPE = "application/vc+ld+json"
DID_MEDIA_TYPE = "application/did+ld+json"


def _json_response(document, content_type):
    return HttpResponse(json.dumps(document, ensure_ascii=False, indent=2), content_type=content_type)


def _public_json_response(document, content_type):
    # Verifiers running in a browser (web wallets) fetch these from other origins.
    response = _json_response(document, content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_required
def credential_json(request, pk):
    """The certificate as a signed Open Badges 3.0 credential, to download: the same refusals as
    its PDF (404 to anyone but the holder and administrators, 404 for a certificate from another
    institution, 410 once revoked)."""
    certification = get_object_or_404(
        Certification.objects.visible_to(request.user).select_related("trainee", "type", "enrollment__session__course"),
        pk=pk,
    )
    if not credentials.issues_credential(certification):
        raise Http404
    if certification.revoked_at is not None:
        return render(request, "certifications/certificate_refused.html", {"certification": certification}, status=410)
    response = _json_response(credentials.certification_credential(certification), CREDENTIAL_MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="credential-{certification.code}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@cache_control(public=True, max_age=300)
def did_document(request):
    """/.well-known/did.json: the issuer's did:web document with its public keys."""
    return _public_json_response(credentials.did_document(), DID_MEDIA_TYPE)


@cache_control(public=True, max_age=60)
def status_list(request, number):
    """A signed Bitstring Status List credential (revocation), as stored; verifiers read a
    credential's bit from it. A minute's caching delays a revocation by as much."""
    document = credentials.status_list_credential(number)
    if document is None:
        raise Http404
    return _public_json_response(document, CREDENTIAL_MEDIA_TYPE)
