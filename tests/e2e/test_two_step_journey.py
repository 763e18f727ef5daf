"""Two-step sign-in in the browser: a new administrator sets up an authenticator app (typing the
key the page shows, as a person without a camera would), keeps the recovery codes, and signs in
again with password and code; a wrong code is refused at the field."""

import base64
import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.testing import current_code
from tests import factories

from .conftest import PASSWORD, check_page

pytestmark = pytest.mark.e2e


def _wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_administrator_sets_up_two_step_sign_in_then_signs_in_with_password_and_code(page, live_server):
    factories.AdministratorFactory(username="coordinadora", first_name="Rosa", last_name="Campos")

    page.goto(f"{live_server.url}/accounts/login/")
    check_page(page)
    page.get_by_label("Username").fill("coordinadora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # No authenticator yet: nothing opens before setting one up.
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    check_page(page)
    page.goto(f"{live_server.url}/trainees/")
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    check_page(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    app = TOTP(base64.b32decode(secret))  # the person's authenticator app, given the key
    page.get_by_label("Code from the app").fill(f"{app.token():06d}")
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    check_page(page)
    page.get_by_role("link", name="I have kept my codes, continue").click()
    expect(page).to_have_url(re.compile(r"/trainees/$"))  # where she was going
    check_page(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    check_page(page)

    # Next time: the password, then the code.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("coordinadora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign-in code")).to_be_visible()
    check_page(page)
    code_input = page.get_by_label("Code")
    expect(code_input).to_have_attribute("autocomplete", "one-time-code")
    expect(code_input).to_have_attribute("inputmode", "numeric")
    expect(code_input).to_be_focused()

    device = TOTPDevice.objects.get(user__username="coordinadora")
    code_input.fill(_wrong(current_code(device, fresh=False)))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    check_page(page)

    page.get_by_label("Code").fill(current_code(device))  # the app's next code if this one was used
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/overview/$"))
    expect(page.get_by_role("navigation")).to_contain_text("Rosa Campos")
    check_page(page)
    page.get_by_role("link", name="Two-step sign-in").click()
    expect(page.get_by_text("Two-step sign-in is on")).to_be_visible()
    check_page(page)
    page.screenshot(path="/tmp/e2e-two-step.png", full_page=True)
