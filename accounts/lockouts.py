"""Login throttling (django-axes): the lockout page, the client address, and unlocking.

After AXES_FAILURE_LIMIT failed sign-ins for a username or from an address, axes refuses
that username or address (even with the right password) until the cool-off has passed or
an administrator unlocks it here.
"""

import math

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db.models import Max, Q, Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.clients import client_ip
from common.permissions import administrator_required


def _cool_off():
    return get_cool_off()


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (HTTP 429): when to try again, and who can unlock."""
    cool_off = _cool_off()
    username = get_client_username(request, credentials) or ""
    ip_address = getattr(request, "axes_ip_address", None) or client_ip(request)
    # The latest failure counted against this username or address; the lock lasts a cool-off after it.
    matching = Q(ip_address=ip_address)
    if username:
        matching |= Q(username=username)
    last_failure = AccessAttempt.objects.filter(matching).aggregate(last=Max("attempt_time"))["last"]
    retry_at = max(last_failure or timezone.now(), timezone.now() - cool_off) + cool_off
    context = {
        "username": username,
        "retry_at": retry_at,
        "cooloff_minutes": max(1, math.ceil((retry_at - timezone.now()).total_seconds() / 60)),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)


def _locked(field):
    """Usernames or addresses whose failures within the cool-off reach the limit, newest first."""
    since = timezone.now() - _cool_off()
    cool_off = _cool_off()
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since).exclude(**{f"{field}__isnull": True})
    if field == "username":
        attempts = attempts.exclude(username="")
    rows = (
        attempts.values(field)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last")
    )
    return [{"value": row[field], "failures": row["failures"], "until": row["last"] + cool_off} for row in rows]


@administrator_required
def lockout_list(request):
    """Usernames and addresses locked out of sign-in right now, each with an Unlock button."""
    return render(
        request,
        "accounts/lockouts.html",
        {
            "usernames": _locked("username"),
            "addresses": _locked("ip_address"),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": round(_cool_off().total_seconds() / 60),
        },
    )


def _is_ip_address(text):
    # axes keeps addresses in an inet column: anything else would make the database fail.
    try:
        validate_ipv46_address(text)
    except ValidationError:
        return False
    return True


@require_POST
@administrator_required
def unlock(request):
    """Forget the failed sign-ins of a username or an address, lifting its lockout at once."""
    username = request.POST.get("username", "").strip()
    ip_address = request.POST.get("ip_address", "").strip()
    if "\x00" in username:
        messages.error(request, _("Nothing to unlock."))
    elif username:
        reset(username=username)
        messages.success(request, _("Sign-in unlocked for user %(username)s.") % {"username": username})
    elif "\x00" in ip_address or (ip_address and not _is_ip_address(ip_address)):
        messages.error(request, _("%(address)s is not a network address.") % {"address": ip_address})
    elif ip_address:
        reset(ip=ip_address)
        messages.success(request, _("Sign-in unlocked for address %(address)s.") % {"address": ip_address})
    else:
        messages.error(request, _("Nothing to unlock."))
    return redirect("lockouts")
