"""`manage.py credential_key [--generate]`: the issuer's credential signing keys. Without options,
prints the did:web and the public keys /.well-known/did.json publishes; with --generate, prints a
new Ed25519 key for CREDENTIAL_SIGNING_KEY (its secret on the last line) and the public key to
append to CREDENTIAL_PREVIOUS_PUBLIC_KEYS when it is in turn replaced."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand

from certifications import credentials


class Command(BaseCommand):
    help = "Show the credential issuer's published keys, or generate a new signing key."

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true", help="Print a new signing key (not stored anywhere).")

    def handle(self, *args, generate=False, **options):
        if generate:
            key = Ed25519PrivateKey.generate()
            self.stdout.write(f"public key: {credentials.public_multikey(key.public_key())}")
            self.stdout.write(credentials.secret_multikey(key))
            return
        self.stdout.write(f"issuer: {credentials.issuer_did()}")
        for number, key in enumerate(credentials.published_keys()):
            label = "signing" if number == 0 else "previous"
            self.stdout.write(f"{label}: {credentials.verification_method_id(key)}")
