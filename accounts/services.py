"""Writes on accounts: a user's second-factor devices (TOTP app and recovery codes).

Each user has at most one TOTP device and at most one set of recovery codes; creating either
replaces the old one, so a lost phone or a leaked list stops working the moment a new one exists.
"""

import secrets

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


@transaction.atomic
def create_totp_device(*, user, confirmed):
    """Replace the user's TOTP device with a new random key (RFC 6238: SHA-1, 30 s, 6 digits).

    `confirmed=False` while the user has yet to prove, with a code, that their app holds the key
    (the enrolment page); an unconfirmed device never signs anyone in. Sessions verified by the
    old device are no longer verified (django-otp finds their device gone)."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=confirmed, step=30, digits=6)


@transaction.atomic
def confirm_totp_device(*, device, code):
    """Confirm an enrolling device when `code` is its current code; returns whether it was."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(code):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


@transaction.atomic
def create_recovery_codes(*, user):
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones and return them.

    Each code signs in once, in place of a TOTP code; the old codes stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        # Ten digits, typed on the same numeric keypad as a TOTP code (33 bits each; the
        # sign-in lockout allows a handful of guesses).
        code = f"{secrets.randbelow(10**10):010d}"
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def remove_second_factor(*, user):
    """Delete the user's TOTP device and recovery codes: sign-in asks for the password only."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
