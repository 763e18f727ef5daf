"""Two-step sign-in: a time-based code (TOTP, RFC 6238) or a recovery code after the password.

Who must: administrators always; anyone else who has set up an authenticator app (instructors
may, from "Two-step sign-in" in their menu). Trainees have no such page.

How: the password page (SignInView) signs in at once a user without a device; for a user with
one it only remembers, for TWO_STEP_PENDING_MINUTES, whose password was right, and the code page
(`code`) signs them in when the code is right. A wrong code is a failed sign-in for django-axes,
so the same lockout covers both steps. The one rule that keeps everyone else out of the
application until the second step is done is `second_factor_redirect`, which
SecondFactorMiddleware applies to every page (the Django admin included).
"""

import re
import time
from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.errors import too_many_requests
from common.permissions import is_administrator, staff_required
from common.ratelimit import over_limit, parse_rate

from . import services
from .lockouts import lockout_response

PENDING_SESSION_KEY = "two_step_pending"  # {"user": pk, "backend": path, "at": epoch seconds}
NO_DEVICE_SESSION_KEY = "two_step_no_device"  # pk of a signed-in non-administrator found without a device

# Pages a signed-in user who still owes the second step may open: the steps themselves,
# signing out, the language switch and the public pages.
OPEN_BEFORE_SECOND_STEP = frozenset(
    {
        "login",
        "logout",
        "two-step-code",
        "set_language",
        "healthz",
        "verify",
        "verify-search",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
    }
)


# --- Reads -----------------------------------------------------------------------------------


def totp_device_for(user, *, confirmed=True):
    """The user's TOTP device (confirmed ones only, unless `confirmed` is None), or None."""
    devices = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    return devices.first()


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def otpauth_uri(device):
    """The `otpauth://totp/CECOPAM:<username>?secret=...` URI an authenticator app reads."""
    return device.config_url


def base32_secret(device):
    return b32encode(device.bin_key).decode()


def qr_code_data_uri(uri):
    """The URI as a QR code, an SVG `data:` URI for an <img> (allowed by the CSP's img-src)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def _digits(code):
    return re.sub(r"[\s-]", "", code or "")


def verify_code(*, user, code):
    """The device that accepts `code` (a current TOTP code, or an unused recovery code, which is
    then spent), or None. A TOTP code is accepted once: replaying it in the same 30 s fails."""
    code = _digits(code)
    if not code.isascii() or not code.isdigit():
        return None
    if len(code) == 6:
        device = totp_device_for(user)
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    return django_otp.verify_token(user, device.persistent_id, code)


# --- The rule --------------------------------------------------------------------------------


def _has_device(request, user):
    """Whether a signed-in user has a confirmed TOTP device; for non-administrators a "no" is
    remembered in the session (from the sign-in on), so trainees' pages cost no query for it."""
    if is_administrator(user):
        return totp_device_for(user) is not None
    if request.session.get(NO_DEVICE_SESSION_KEY) == user.pk:
        return False
    has = totp_device_for(user) is not None
    if not has:
        request.session[NO_DEVICE_SESSION_KEY] = user.pk
    return has


def remember_whether_a_device_exists(sender, request, user, **kwargs):
    """On sign-in (user_logged_in): ask once whether a non-administrator has a device, so that
    no page after it asks again (`_has_device`; administrators are asked on every page that
    still owes the code, so the answer is only kept, never used, for them)."""
    if request is not None and hasattr(request, "session") and totp_device_for(user) is None:
        request.session[NO_DEVICE_SESSION_KEY] = user.pk


def _with_next(url_name, request):
    return f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"


def second_factor_redirect(request):
    """Where a signed-in user who owes the second step must go instead of this page, or None.

    The one place the rule lives: an administrator, or anyone with an authenticator set up,
    whose session has not passed a code is sent to the code page; an administrator without an
    authenticator is sent to set one up. Nothing else opens until then."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    match = getattr(request, "resolver_match", None)
    name = match.view_name if match else None
    if name in OPEN_BEFORE_SECOND_STEP:
        return None
    if _has_device(request, user):
        return redirect(_with_next("two-step-code", request))
    if is_administrator(user) and name != "two-step":
        return redirect(_with_next("two-step", request))
    return None


# --- Sign-in ---------------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """The password page. A user with an authenticator is not signed in yet: the code page is next.

    Passwords posted from one client address are limited to SIGN_IN_RATE_LIMIT, counted before
    the password is hashed: a flood from one address cannot spend the server's CPU on Argon2
    (accounts/hashers.py) while others wait (django-axes locks an account after failures)."""

    def post(self, request, *args, **kwargs):
        if over_limit(request, scope="sign-in", rate=settings.SIGN_IN_RATE_LIMIT):
            return too_many_requests(request, retry_after=parse_rate(settings.SIGN_IN_RATE_LIMIT)[1])
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if totp_device_for(user) is None:
            return super().form_valid(form)
        if self.request.user.is_authenticated:
            auth.logout(self.request)
        self.request.session.cycle_key()
        self.request.session[PENDING_SESSION_KEY] = {"user": user.pk, "backend": user.backend, "at": time.time()}
        return redirect(f"{reverse('two-step-code')}?{urlencode({'next': self.get_success_url()})}")


def _pending_user(request):
    """Who is between the password and the code: the user whose password was right minutes ago,
    or a signed-in user whose session owes the second step. Returns (user, backend) or (None, None)."""
    if request.user.is_authenticated:
        return request.user, None
    pending = request.session.get(PENDING_SESSION_KEY)
    if not pending or time.time() - pending["at"] > settings.TWO_STEP_PENDING_MINUTES * 60:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None, None
    user = auth.get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending["backend"]


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: redirect() would read "a b" as a URL name (and fail with a 500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        help_text=gettext_lazy("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
                "autocapitalize": "off",
            }
        ),
    )


def _locked_out(request, user, credentials):
    request.session.pop(PENDING_SESSION_KEY, None)
    if request.user.is_authenticated:
        auth.logout(request)
    return lockout_response(request, credentials=credentials)


@sensitive_post_parameters("code")
@never_cache
def code(request):
    """The code page after the password: one input, a TOTP code or a recovery code."""
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(_next_url(request))
    user, backend = _pending_user(request)
    if user is None:
        return redirect("login")
    if totp_device_for(user) is None:  # signed in, device gone meanwhile: the rule decides
        return redirect(_next_url(request))
    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return _locked_out(request, user, credentials)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = verify_code(user=user, code=form.cleaned_data["code"])
        if device is not None:
            return _signed_in(request, user, backend, device)
        # A wrong code is a failed sign-in: axes counts it against this username and address.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request, user, credentials)
        form.add_error("code", _("That code is not right. Type the code your app shows now, or a recovery code."))
    return render(request, "registration/two_step_code.html", {"form": form, "next": _next_url(request)})


def _signed_in(request, user, backend, device):
    request.session.pop(PENDING_SESSION_KEY, None)
    if not request.user.is_authenticated:
        auth.login(request, user, backend)  # user_logged_in: axes forgets this user's failures
    elif settings.AXES_RESET_ON_SUCCESS:
        axes_reset(username=user.get_username())
    django_otp.login(request, device)
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        message = ngettext(
            "You signed in with a recovery code; %(left)d is left. Each code works once: "
            "make new ones from Two-step sign-in when few are left.",
            "You signed in with a recovery code; %(left)d are left. Each code works once: "
            "make new ones from Two-step sign-in when few are left.",
            left,
        )
        messages.warning(request, message % {"left": left})
    return redirect(_next_url(request))


# --- Setting up ------------------------------------------------------------------------------


class EnrollForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the app"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )


@sensitive_post_parameters("code")
@never_cache
@staff_required
def setup(request):
    """Two-step sign-in: set up an authenticator app (scan, confirm with a code, keep the
    recovery codes), or, once set up, make new recovery codes or (not administrators) turn it off."""
    user = request.user
    device = totp_device_for(user)
    if device is not None:
        return render(
            request,
            "accounts/two_step.html",
            {
                "device": device,
                "codes_left": recovery_codes_left(user),
                "required": is_administrator(user),
            },
        )
    enrolling = totp_device_for(user, confirmed=False) or services.create_totp_device(user=user, confirmed=False)
    form = EnrollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_totp_device(device=enrolling, code=_digits(form.cleaned_data["code"])):
            enrolling.refresh_from_db()
            codes = services.create_recovery_codes(user=user)
            django_otp.login(request, enrolling)
            request.session.pop(NO_DEVICE_SESSION_KEY, None)
            return _show_recovery_codes(request, codes, first_time=True)
        form.add_error("code", _("That code is not right. Check that the app shows CECOPAM and type its current code."))
    uri = otpauth_uri(enrolling)
    secret = base32_secret(enrolling)
    return render(
        request,
        "accounts/two_step_setup.html",
        {
            "form": form,
            "qr_code": qr_code_data_uri(uri),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": is_administrator(user),
            "next": _next_url(request) if request.GET.get("next") else "",
        },
    )


def _show_recovery_codes(request, codes, *, first_time):
    return render(
        request,
        "accounts/two_step_recovery_codes.html",
        {"codes": [f"{code[:5]} {code[5:]}" for code in codes], "first_time": first_time, "next": _next_url(request)},
    )


@require_POST
@never_cache
@staff_required
def recovery_codes(request):
    """New recovery codes, shown once; the old ones stop working."""
    if totp_device_for(request.user) is None:
        return redirect("two-step")
    return _show_recovery_codes(request, services.create_recovery_codes(user=request.user), first_time=False)


@require_POST
@staff_required
def turn_off(request):
    """Back to the password alone: for instructors, never for administrators."""
    if is_administrator(request.user):
        raise PermissionDenied
    services.remove_second_factor(user=request.user)
    request.session[NO_DEVICE_SESSION_KEY] = request.user.pk
    messages.success(request, _("Two-step sign-in is off: you sign in with your password only."))
    return redirect("two-step")
