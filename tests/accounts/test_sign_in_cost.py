"""Sign-in stays strong and cheap enough for fifty at once (issue 16): Argon2id with measured
parameters (accounts/hashers.py), older hashes upgraded at sign-in, and a rate per address."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password
from django.urls import reverse

from accounts.hashers import CecopamArgon2PasswordHasher
from tests import factories
from tests.certifications.documents_helpers import use_private_cache

pytestmark = pytest.mark.django_db
PASSWORD = "una-clave-larga-2026"


@pytest.mark.argon2
def test_new_passwords_are_hashed_with_the_chosen_argon2_parameters():
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$")
    assert "m=19456,t=2,p=1" in encoded
    assert isinstance(identify_hasher(encoded), CecopamArgon2PasswordHasher)


@pytest.mark.argon2
def test_a_hash_with_djangos_default_parameters_is_upgraded_at_sign_in(client):
    user = factories.TraineeUserFactory(username="old.hash")
    user.password = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    user.save()
    assert "m=102400,t=2,p=8" in user.password
    response = client.post(reverse("login"), {"username": "old.hash", "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


def test_sign_ins_are_limited_per_address_before_the_password_is_checked(client, settings):
    use_private_cache(settings)  # counters of this test only
    settings.SIGN_IN_RATE_LIMIT = "3/m"
    settings.TRUSTED_PROXY_COUNT = 1
    factories.TraineeUserFactory(username="someone")
    url = reverse("login")
    for _ in range(3):
        response = client.post(url, {"username": "nobody", "password": "x"}, HTTP_X_FORWARDED_FOR="10.9.8.7")
        assert response.status_code == 200  # the form again, with its error
    refused = client.post(url, {"username": "nobody", "password": "x"}, HTTP_X_FORWARDED_FOR="10.9.8.7")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    # Another address is not held back.
    other = client.post(url, {"username": "nobody", "password": "x"}, HTTP_X_FORWARDED_FOR="10.9.8.8")
    assert other.status_code == 200
