"""`manage.py seed_demo`: idempotent demo data, and the demo logins it prints."""

import time

from django.core.management.base import BaseCommand

from courses.demo import counts, seed_demo


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data (trainees, organizations, courses, sessions with results, "
        "certifications) and one login per role; safe to run again."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        summary = seed_demo()
        elapsed = time.monotonic() - started
        figures = ", ".join(f"{value} {name}" for name, value in counts().items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s: {figures}."))
        self.stdout.write("Demo accounts (sign in at /accounts/login/):")
        width = max(len(username) for _, username, _ in summary.accounts)
        for role, username, password in summary.accounts:
            self.stdout.write(f"  {role:<15} username: {username:<{width}}  password: {password}")
            if username in summary.otpauth_uris:
                # Administrators also type a code: scan this URI into an authenticator app
                # (or compute the code from it in a script).
                self.stdout.write(f"  {'':<15} sign-in code: {summary.otpauth_uris[username]}")
