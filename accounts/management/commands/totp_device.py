"""`manage.py totp_device USERNAME`: a new TOTP device for the user, its otpauth:// URI last."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.two_factor import otpauth_uri


class Command(BaseCommand):
    help = (
        "(Re)create the user's TOTP device (RFC 6238: SHA-1, 30 s, 6 digits), confirmed, replacing any "
        "other, and print its otpauth:// URI on the last line: give it to an authenticator app, or to a "
        "script that computes the sign-in code."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        device = services.create_totp_device(user=user, confirmed=True)
        self.stdout.write(
            f"New TOTP device for {username}; its previous one (if any) no longer works, and its sessions "
            "must pass a code again. Anyone holding this URI can make sign-in codes: keep it secret."
        )
        self.stdout.write(otpauth_uri(device))
