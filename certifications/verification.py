"""Public verification of a certificate by its code: /verify/ and /verify/<code>/.

Anyone may check a certificate, without signing in, so these pages show only what the paper
already says (holder's name, certification, dates) plus its current state, and nothing else
about the person. An unknown code always gets the same page, and requests are counted per
client address so that codes cannot be enumerated.
"""

import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from common.clients import client_ip
from common.errors import too_many_requests

from . import credentials
from .forms import VerifySearchForm
from .models import CODE_GROUP_LENGTH, CODE_GROUPS, Certification, normalize_code

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Longer than any code with dashes and spaces: anything longer is not looked up at all.
MAX_CODE_INPUT = 64


def parse_rate(rate):
    """Parse a rate such as "30/m" into (30, 60): a count per period (s, m, h or d)."""
    count, _slash, period = str(rate).partition("/")
    return int(count), PERIODS[period.strip().lower()[:1] or "m"]


def client_key(request):
    """The client address the counter is kept for (behind trusted proxies, the address they
    saw: common/clients.py). An IPv6 client usually holds a whole /64, so it is counted as one
    client rather than 2**64 of them."""
    address = client_ip(request) or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def rate_limited(request):
    """Count this request in the client's fixed window; True when it is past the limit.

    The counter lives in the shared cache (Redis), so every worker process sees the same
    count; `add` creates the window's key once and `incr` is atomic.
    """
    limit, period = parse_rate(settings.VERIFY_RATE_LIMIT)
    window = int(timezone.now().timestamp()) // period
    key = f"verify-rate:{client_key(request)}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the window's first request
        cache.add(key, 1, timeout=period + 1)
        count = 1
    return count > limit


def _rate_limited_response(request):
    _limit, period = parse_rate(settings.VERIFY_RATE_LIMIT)
    return too_many_requests(request, retry_after=period, template="certifications/verify_rate_limited.html")


def _not_found_response(request):
    # A page of its own, without the navigation bar: its language form carries a CSRF token
    # that differs on every response, and this page must be byte-for-byte the same for every
    # unknown code so that it tells nothing about what was asked.
    response = HttpResponse(render_to_string("certifications/verify_not_found.html"), status=404)
    response["X-Robots-Tag"] = "noindex"
    return response


def public_facts(certification, today):
    """The only facts about a certificate that the public page may show."""
    state = certification.state(today)
    if state == Certification.State.EXPIRING:
        state = Certification.State.VALID  # still valid; the expiry date is shown beside it
    return {
        "code": certification.code,
        "holder_name": certification.trainee.full_name,
        "certification_name": certification.type.name,
        "issuer": certification.issuer if certification.is_external else "CECOPAM",
        "issued_on": certification.issued_on,
        "expires_on": certification.expires_on,
        "state": state,
        "state_label": Certification.State(state).label,
        "revoked_on": timezone.localdate(certification.revoked_at) if certification.revoked_at else None,
    }


def find_certification(code):
    """The certification with this code as a person typed it (case and dashes forgiven), or None."""
    normalized = normalize_code(code[:MAX_CODE_INPUT])
    if len(normalized) != CODE_GROUPS * (CODE_GROUP_LENGTH + 1) - 1:
        return None
    return Certification.objects.select_related("trainee", "type").filter(code=normalized).first()


@never_cache
def verify(request, code):
    """The state of the certificate with this code, or the same 404 page for any unknown code."""
    if rate_limited(request):
        return _rate_limited_response(request)
    certification = find_certification(code)
    if certification is None:
        return _not_found_response(request)
    facts = public_facts(certification, timezone.localdate())
    context = {"facts": facts, "State": Certification.State, "issuer_did": credentials.issuer_did()}
    # The signed credential itself stays with its holder and administrators: only they see its link.
    if credentials.issues_credential(certification) and certification.revoked_at is None:
        if Certification.objects.visible_to(request.user).filter(pk=certification.pk).exists():
            context["credential_url"] = reverse("certifications:credential", args=[certification.pk])
    response = render(request, "certifications/verify.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


def verify_search(request):
    """A box where a person types the code from a paper certificate (case and dashes forgiven)."""
    form = VerifySearchForm(request.GET if "code" in request.GET else None)
    if form.is_valid():
        return redirect("verify", code=form.cleaned_data["code"])
    return render(request, "certifications/verify_search.html", {"form": form})
