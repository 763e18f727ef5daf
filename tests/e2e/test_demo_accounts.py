"""The demo: after `seed_demo`, each printed login signs in and lands on a page with its data."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.testing import code_from_otpauth_uri
from courses.demo import DEMO_PASSWORD

from .conftest import check_page

pytestmark = pytest.mark.e2e


def test_printed_demo_logins_walk_in(page, live_server, sign_in):
    output = StringIO()
    call_command("seed_demo", stdout=output)
    assert f"password: {DEMO_PASSWORD}" in output.getvalue()

    sign_in("trainee", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/me/$"))
    main = page.get_by_role("main")
    expect(main).to_contain_text("María Fernanda Núñez Ibáñez")
    for state in ("Valid", "Expiring", "Expired"):
        expect(main.get_by_text(state, exact=False).first).to_be_visible()
    page.screenshot(path="/tmp/e2e-demo-trainee.png", full_page=True)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    check_page(page)

    sign_in("instructor", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/sessions/(\?.*)?$"))
    expect(page.get_by_role("main")).to_contain_text("UNMEM-02")
    page.get_by_role("button", name="Sign out").click()

    # The administrator also types a code, computed from the otpauth:// URI printed with the login.
    uri = re.search(r"username: admin .*\n.*sign-in code: (otpauth://\S+)", output.getvalue()).group(1)
    sign_in("admin", DEMO_PASSWORD, code=lambda: code_from_otpauth_uri(uri))
    expect(page).to_have_url(re.compile(r"/overview/$"))
    page.screenshot(path="/tmp/e2e-demo-overview.png", full_page=True)
