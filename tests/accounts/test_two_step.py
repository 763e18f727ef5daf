"""Two-step sign-in: the password, then a TOTP code or a recovery code; required for
administrators, optional for instructors, absent for trainees; wrong codes lock out like
wrong passwords; and the `totp_device` command."""

import base64
import re
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.testing import current_code, verify_second_factor
from tests import factories

PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.password_only]


def _client(language="en"):
    return Client(headers={"accept-language": language})


def _password(client, username, password=PASSWORD, ip="10.1.0.1", next_url=None):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, REMOTE_ADDR=ip)


def _code(client, code, ip="10.1.0.1", next_url=""):
    return client.post(reverse("two-step-code"), {"code": code, "next": next_url}, REMOTE_ADDR=ip)


def _signed_in(client):
    return "_auth_user_id" in client.session


def _wrong(code):
    """A six-digit code that is not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def administrator(db):
    user = factories.AdministratorFactory(username="chief")
    services.create_totp_device(user=user, confirmed=True)
    return user


def _device(user):
    return TOTPDevice.objects.get(user=user)


# --- Password, then code ---------------------------------------------------------------------


def test_administrator_signs_in_with_password_then_code(administrator):
    client = _client()
    response = _password(client, "chief")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two-step-code"))
    assert not _signed_in(client)  # the password alone signs no one in

    page = client.get(response["Location"])
    text = page.content.decode()
    inputs = re.findall(r"<input(?![^>]*type=\"hidden\")[^>]*>", text)
    assert len(inputs) == 1, inputs
    assert 'autocomplete="one-time-code"' in inputs[0]
    assert 'inputmode="numeric"' in inputs[0]
    assert 'name="code"' in inputs[0]

    signed_in = _code(client, current_code(_device(administrator)))
    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("reports:home")
    assert _signed_in(client)
    assert client.get(reverse("reports:overview")).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_the_page_asked_for_before_signing_in_opens_after_the_code(administrator):
    client = _client()
    asked = client.get(reverse("lockouts"))
    assert asked.status_code == 302
    response = _password(client, "chief", next_url=reverse("lockouts"))
    code_page = client.get(response["Location"])
    assert f'value="{reverse("lockouts")}"' in code_page.content.decode()
    signed_in = _code(client, current_code(_device(administrator)), next_url=reverse("lockouts"))
    assert signed_in["Location"] == reverse("lockouts")


def test_a_wrong_code_is_refused_and_counted_as_a_failed_sign_in(administrator):
    client = _client()
    _password(client, "chief")
    response = _code(client, _wrong(current_code(_device(administrator), fresh=False)))
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not _signed_in(client)
    assert AccessAttempt.objects.get(username="chief").failures_since_start == 1


def test_letters_and_a_code_of_another_user_are_refused(administrator):
    other = factories.AdministratorFactory(username="deputy")
    other_device = services.create_totp_device(user=other, confirmed=True)
    client = _client()
    _password(client, "chief")
    for code in ("abcdef", "", "１２３４５６"):
        _code(client, code)
        assert not _signed_in(client)
    mine = current_code(_device(administrator), fresh=False)
    theirs = current_code(other_device, fresh=False)
    if theirs != mine:
        _code(client, theirs)
        assert not _signed_in(client)


def test_a_code_works_once(administrator):
    code = current_code(_device(administrator))
    first = _client()
    _password(first, "chief")
    _code(first, code)
    assert _signed_in(first)

    second = _client()
    _password(second, "chief", ip="10.1.0.2")
    _code(second, code, ip="10.1.0.2")
    assert not _signed_in(second)


def test_the_code_page_without_a_right_password_goes_back_to_sign_in(administrator):
    client = _client()
    response = _code(client, current_code(_device(administrator), fresh=False))
    assert response["Location"] == reverse("login")
    assert not _signed_in(client)


def test_the_right_password_is_forgotten_after_a_few_minutes(administrator, settings):
    client = _client()
    _password(client, "chief")
    later = timezone.now() + timedelta(minutes=settings.TWO_STEP_PENDING_MINUTES, seconds=5)
    with time_machine.travel(later, tick=False):
        response = _code(client, current_code(_device(administrator), fresh=False))
    assert response["Location"] == reverse("login")
    assert not _signed_in(client)


# --- Recovery codes ---------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(administrator):
    codes = services.create_recovery_codes(user=administrator)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"\d{10}", code) for code in codes)

    client = _client()
    _password(client, "chief")
    response = _code(client, f"{codes[3][:5]} {codes[3][5:]}")  # as shown on the page
    assert _signed_in(client)
    assert "9 are left" in client.get(response["Location"], follow=True).content.decode()

    again = _client()
    _password(again, "chief", ip="10.1.0.3")
    refused = _code(again, codes[3], ip="10.1.0.3")
    assert not _signed_in(again)
    assert "That code is not right" in refused.content.decode()
    assert StaticToken.objects.filter(device__user=administrator).count() == 9


def test_new_recovery_codes_replace_the_old_ones(administrator):
    old = services.create_recovery_codes(user=administrator)
    client = _client()
    _password(client, "chief")
    _code(client, current_code(_device(administrator)))
    page = client.post(reverse("two-step-recovery-codes"))
    assert page.status_code == 200
    new = [code.replace(" ", "") for code in re.findall(r"<li class=\"col\">([\d ]+)</li>", page.content.decode())]
    assert len(new) == 10 and not set(new) & set(old)
    assert page["Cache-Control"].startswith("max-age=0")

    other = _client()
    _password(other, "chief", ip="10.1.0.4")
    _code(other, old[0], ip="10.1.0.4")
    assert not _signed_in(other)
    _code(other, new[0], ip="10.1.0.4")
    assert _signed_in(other)


# --- Lockout ----------------------------------------------------------------------------------


def test_repeated_wrong_codes_lock_the_account_out(administrator):
    client = _client()
    _password(client, "chief")
    wrong = _wrong(current_code(_device(administrator), fresh=False))
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _code(client, wrong).status_code == 200
    locked = _code(client, wrong)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert not _signed_in(client)

    # The right password and the right code, from elsewhere, are refused until the cool-off ends.
    elsewhere = _client()
    assert _password(elsewhere, "chief", ip="10.1.9.9").status_code == 429
    assert not _signed_in(elsewhere)
    assert _code(elsewhere, current_code(_device(administrator), fresh=False), ip="10.1.9.9").status_code == 302
    assert not _signed_in(elsewhere)


def test_typing_the_password_again_does_not_forget_wrong_codes(administrator):
    """Otherwise a stolen password would buy unlimited guesses at the code, four at a time."""
    wrong = _wrong(current_code(_device(administrator), fresh=False))
    client = _client()
    _password(client, "chief")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _code(client, wrong)
    _password(client, "chief")  # the right password: not a sign-in yet
    assert _code(client, wrong).status_code == 429


def test_the_lockout_shows_on_the_code_page_even_when_locked_from_elsewhere(administrator):
    client = _client()
    _password(client, "chief", ip="10.1.5.1")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _password(_client(), "chief", "wrong-password", ip=f"10.1.6.{attempt}")
    response = _code(client, current_code(_device(administrator)), ip="10.1.5.1")
    assert response.status_code == 429
    assert not _signed_in(client)


def test_an_administrator_unlocks_a_code_lockout(administrator):
    wrong = _wrong(current_code(_device(administrator), fresh=False))
    client = _client()
    _password(client, "chief")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _code(client, wrong)
    coordinator = factories.AdministratorFactory(username="coordinator")
    admin = _client()
    admin.force_login(coordinator)
    verify_second_factor(admin, coordinator)
    assert "<td>chief</td>" in admin.get(reverse("lockouts")).content.decode()
    admin.post(reverse("unlock"), {"username": "chief"})
    again = _client()
    _password(again, "chief")
    _code(again, current_code(_device(administrator)))
    assert _signed_in(again)


# --- Who must ---------------------------------------------------------------------------------


def test_an_administrator_without_an_authenticator_must_set_one_up_first(db):
    factories.AdministratorFactory(username="newchief")
    client = _client()
    response = _password(client, "newchief")
    assert _signed_in(client)
    landing = client.get(response["Location"], follow=True)
    assert landing.redirect_chain[-1][0].startswith(reverse("two-step"))
    for url in (
        reverse("reports:overview"),
        reverse("trainees:list"),
        reverse("lockouts"),
        "/admin/",
        "/admin/auth/group/",
    ):
        refused = client.get(url)
        assert refused.status_code == 302, url
        assert refused["Location"].startswith(reverse("two-step")), url

    setup = client.get(reverse("two-step"))
    text = setup.content.decode()
    assert 'src="data:image/svg+xml' in text
    device = TOTPDevice.objects.get(user__username="newchief", confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', text).group(1).replace(" ", "")
    assert TOTP(base64.b32decode(secret)).token() == TOTP(device.bin_key).token()
    # Not confirmed yet: the enrolling device opens nothing.
    assert client.get(reverse("reports:overview"))["Location"].startswith(reverse("two-step"))

    wrong = client.post(reverse("two-step"), {"code": _wrong(current_code(device, fresh=False))})
    assert "That code is not right" in wrong.content.decode()
    done = client.post(reverse("two-step"), {"code": current_code(device)})
    codes = re.findall(r"<li class=\"col\">([\d ]+)</li>", done.content.decode())
    assert len(codes) == 10
    assert client.get(reverse("reports:overview")).status_code == 200
    assert client.get("/admin/").status_code == 200

    # From now on, the password alone is not enough.
    client.post(reverse("logout"))
    assert _password(client, "newchief")["Location"].startswith(reverse("two-step-code"))
    assert not _signed_in(client)


def test_an_administrator_session_without_the_code_opens_nothing_but_the_code_page(administrator):
    """The one rule, wherever the session comes from (here the password alone, as force_login)."""
    client = _client()
    client.force_login(administrator)
    for url in (
        reverse("reports:overview"),
        reverse("courses:session-list"),
        reverse("two-step"),
        "/admin/",
        reverse("reports:home"),
    ):
        refused = client.get(url)
        assert refused.status_code == 302, url
        assert refused["Location"].startswith(reverse("two-step-code")), url
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("verify-search")).status_code == 200
    _code(client, current_code(_device(administrator)))
    assert client.get(reverse("reports:overview")).status_code == 200


def test_the_admin_sign_in_page_is_the_same_sign_in(administrator):
    response = _client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/admin/"


def test_an_instructor_signs_in_with_the_password_alone_until_they_turn_two_step_on(instructor):
    client = _client()
    response = _password(client, "instructor1")
    assert _signed_in(client)
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == reverse("courses:session-list")
    page = client.get(reverse("courses:session-list"))
    assert reverse("two-step") in page.content.decode()  # "Two-step sign-in" in their menu

    setup = client.get(reverse("two-step"))
    assert "Administrators sign in with a password and a code" not in setup.content.decode()
    device = TOTPDevice.objects.get(user=instructor)
    client.post(reverse("two-step"), {"code": current_code(device)})
    assert TOTPDevice.objects.get(user=instructor).confirmed
    assert client.get(reverse("courses:session-list")).status_code == 200  # this session passed the code

    client.post(reverse("logout"))
    assert _password(client, "instructor1")["Location"].startswith(reverse("two-step-code"))
    _code(client, current_code(device))
    assert _signed_in(client)

    # An instructor may turn it off again (an administrator may not: tests/test_access_table.py).
    client.post(reverse("two-step-off"))
    assert not TOTPDevice.objects.filter(user=instructor).exists()
    client.post(reverse("logout"))
    _password(client, "instructor1")
    assert _signed_in(client)


def test_a_signed_in_instructor_with_an_authenticator_owes_the_code(instructor):
    services.create_totp_device(user=instructor, confirmed=True)
    client = _client()
    client.force_login(instructor)
    assert client.get(reverse("courses:session-list"))["Location"].startswith(reverse("two-step-code"))


def test_a_trainee_is_unaffected(trainee_user):
    client = _client()
    response = _password(client, "trainee1")
    assert _signed_in(client)
    assert response["Location"] == reverse("reports:home")
    assert client.get(reverse("reports:me")).status_code == 200
    assert reverse("two-step") not in client.get(reverse("reports:me")).content.decode()
    assert client.get(reverse("two-step")).status_code == 403


def test_a_trainee_page_costs_no_query_for_the_second_step(trainee_user):
    """A "no device" is remembered in the session: from the second page on, nothing is asked."""
    client = _client()
    client.force_login(trainee_user)
    client.get(reverse("reports:me"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("reports:me"))
    assert not [q for q in captured if "otp_" in q["sql"]]


def test_an_administrator_resets_a_lost_phone_in_the_admin(administrator, instructor):
    services.create_totp_device(user=instructor, confirmed=True)
    coordinator = factories.AdministratorFactory(username="coordinator")
    client = _client()
    client.force_login(coordinator)
    verify_second_factor(client, coordinator)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_two_step", "_selected_action": [instructor.pk, administrator.pk]},
        follow=True,
    )
    assert "Two-step sign-in reset for 2 users." in response.content.decode()
    assert not TOTPDevice.objects.filter(user__in=[instructor, administrator]).exists()
    again = _client()
    _password(again, "chief")
    assert again.get(reverse("reports:overview"))["Location"].startswith(reverse("two-step"))


# --- The totp_device command ------------------------------------------------------------------


def _command(username):
    out = StringIO()
    call_command("totp_device", username, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def _code_from(uri):
    parts = urlsplit(uri)
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    key = base64.b32decode(params["secret"])
    return f"{TOTP(key, step=int(params['period']), digits=int(params['digits'])).token():06d}"


def test_totp_device_prints_an_otpauth_uri_that_signs_in(db):
    factories.AdministratorFactory(username="scripted")
    uri = _command("scripted")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert unquote(parts.path) == "/CECOPAM:scripted"
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert re.fullmatch(r"[A-Z2-7]+=*", params["secret"]) and len(params["secret"]) >= 32  # 160-bit key
    assert params["algorithm"] == "SHA1" and params["digits"] == "6" and params["period"] == "30"
    assert params["issuer"] == "CECOPAM"

    client = _client()
    _password(client, "scripted")
    _code(client, _code_from(uri))
    assert _signed_in(client)
    assert client.get(reverse("reports:overview")).status_code == 200


def test_running_totp_device_again_replaces_the_device(db):
    user = factories.InstructorFactory(username="teacher")
    first = _command("teacher")
    second = _command("teacher")
    assert first != second
    assert TOTPDevice.objects.filter(user=user).count() == 1
    old_code, new_code = _code_from(first), _code_from(second)
    client = _client()
    _password(client, "teacher")
    if old_code != new_code:
        _code(client, old_code)
        assert not _signed_in(client)
    _code(client, new_code)
    assert _signed_in(client)


def test_totp_device_for_an_unknown_user_fails(db):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("totp_device", "nobody", stdout=StringIO())


def test_the_code_page_speaks_spanish(administrator):
    client = _client("es")
    response = _password(client, "chief")
    page = client.get(response["Location"]).content.decode()
    assert "Código de acceso" in page
    assert "Abra su aplicación de autenticación" in page
    wrong = _code(client, _wrong(current_code(_device(administrator), fresh=False)))
    assert "Ese código no es correcto" in wrong.content.decode()
