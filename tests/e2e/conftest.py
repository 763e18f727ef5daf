"""Browser journeys: Playwright drives Debian's Chromium (headless) against pytest-django's live_server.

The tests run in English (the browser asks for en-US; Spanish is the site's default) and find
things the way a person does: by role, label and visible text.
"""

import os

import pytest
from django.contrib.auth.models import Group

from cecopam.permissions import ROLE_GROUPS

# Playwright's sync API keeps an asyncio loop on the main thread for the whole session, and
# Django refuses ORM calls from a thread with a running loop. The tests' own ORM calls (fixtures,
# assertions on the database) are plain synchronous code, so the check does not apply to them.
# Set for the process, not per test: the loop outlives each test, and the database teardown of
# every later test in this worker runs beside it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """The role groups come from a data migration; a transactional test run earlier in this
    worker flushed the tables, so make sure they are there."""
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    # Buttons with data-confirm ask through window.confirm; the person clicks OK.
    page.on("dialog", lambda dialog: dialog.accept())
    return page


@pytest.fixture
def sign_in(page, live_server):
    """Sign in through the login form, as a person does; returns the page on the landing URL."""

    def sign_in(username, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    return sign_in
