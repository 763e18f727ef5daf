"""Signing in from tests and benchmarks as a person who has passed both sign-in steps.

`Client.force_login` skips the password page; administrators also owe the code page
(accounts/two_factor.py). `verify_second_factor` does for the session what the code page does
when the code is right, with the user's own TOTP device (created for them when they have none).
Tests that sign in through the pages type a code instead: `current_code(device)`.
"""

import time
from base64 import b32decode
from urllib.parse import parse_qs, urlsplit

import django_otp
from django.http import HttpRequest
from django_otp.oath import TOTP

from . import services
from .two_factor import totp_device_for


def verify_second_factor(client, user):
    """Mark the test client's session (already signed in as `user`) as verified by the user's
    TOTP device; returns the device."""
    device = totp_device_for(user) or services.create_totp_device(user=user, confirmed=True)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, device)
    request.session.save()
    return device


def current_code(device, *, fresh=True):
    """The code an authenticator app shows now for `device`, as a six-digit string.

    With `fresh`, waits for the next 30-second step when the current one was already used
    (the device accepts each code once), as a person waits for the app's next code."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    if fresh and totp.t() <= device.last_t:
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.05)
    return f"{totp.token():0{device.digits}d}"


def code_from_otpauth_uri(uri):
    """The code an authenticator app that scanned `uri` (as `totp_device` and `seed_demo` print
    it) shows now: what a script signing in as an administrator computes."""
    params = {key: values[0] for key, values in parse_qs(urlsplit(uri).query).items()}
    assert params.get("algorithm", "SHA1") == "SHA1", params
    key = b32decode(params["secret"] + "=" * (-len(params["secret"]) % 8))
    digits = int(params.get("digits", 6))
    totp = TOTP(key, step=int(params.get("period", 30)), digits=digits)
    return f"{totp.token():0{digits}d}"
