"""create_api_token USERNAME [--scope read|write] [--days N] [--name NAME]: prints the new token
on its last line (stored only as a digest; it acts with the user's role and visibility)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api import services
from api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user and print it (on the last line); it is never shown again."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ)
        parser.add_argument("--days", type=int, default=None, help="Days until it expires (default 365).")
        parser.add_argument("--name", default="", help="The integration that uses it.")

    def handle(self, *args, username, scope, days, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        if not user.is_active:
            raise CommandError(f"The user {username!r} is not active.")
        if days is not None and not 1 <= days <= services.MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {services.MAX_DAYS}.")
        token, text = services.create_token(
            user=user, name=name or f"{username} (command line)", scope=scope, days=days
        )
        self.stdout.write(
            f"Token “{token.name}” for {username}, scope {scope}, expires {token.expires_at:%Y-%m-%d %H:%M %Z}."
        )
        self.stdout.write("It is shown only now; store it safely.")
        self.stdout.write(text)
