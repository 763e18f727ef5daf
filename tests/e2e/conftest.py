"""Browser journeys: Playwright drives Debian's Chromium (headless) against pytest-django's live_server.

The tests run in English (the browser asks for en-US; Spanish is the site's default) and find
things the way a person does: by role, label and visible text.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from accounts import services
from accounts.models import User
from accounts.testing import current_code
from accounts.two_factor import totp_device_for
from common.permissions import ROLE_GROUPS, is_administrator

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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser journeys after every other test (stable sort: the rest keeps its order,
    which pytest-django has just arranged).

    Playwright's sync API keeps an asyncio loop alive on the main thread until the session
    ends, so every test run after a journey in the same process would find a "running" loop;
    and DJANGO_ALLOW_ASYNC_UNSAFE (below) must not leak into the tests that spawn `manage.py
    check --deploy`, which refuses it. With xdist each worker runs its share in this order.
    """
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    """Let the tests' own ORM calls (fixtures, assertions on the database, the flush after each
    test) run on the thread where Playwright's loop lives: they are plain synchronous code."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


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


AXE_SOURCE = (Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
AXE_BLOCKING = ("serious", "critical")

# axe's results, reduced to what a failure message needs.
_AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 8).map((n) => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\\s+/g, " ")),
  }));
}"""


# Files opened in the browser (a JSON document, a PDF) are not pages of the site.
FILE_SUFFIXES = (".json", ".pdf", ".csv", ".xlsx")


def _visited(url):
    """A page as the journeys' coverage counts it: its path and query, without the fragment."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def axe_violations(page):
    """The serious and critical axe-core violations of the page as it is now.

    axe comes from npm (node_modules/axe-core). The site's Content-Security-Policy forbids inline
    scripts, so page.add_script_tag is refused; page.evaluate runs through the DevTools protocol,
    which the policy does not govern, and the policy stays on for the journeys."""
    page.wait_for_load_state()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return [v for v in page.evaluate(_AXE_RUN) if v["impact"] in AXE_BLOCKING]


@pytest.fixture
def page(page):
    """The journeys' page. Every page a journey visits must pass axe (`check_page`): at the end of
    each test, a visited address that was never checked fails it."""
    page.set_default_timeout(10_000)
    # Buttons with data-confirm ask through window.confirm; the person clicks OK.
    page.on("dialog", lambda dialog: dialog.accept())
    visited, checked = [], set()

    def navigated(frame):
        if frame == page.main_frame and frame.url.startswith("http"):
            if not urlsplit(frame.url).path.endswith(FILE_SUFFIXES):
                visited.append(_visited(frame.url))

    page.on("framenavigated", navigated)
    page.axe_checked = checked
    yield page
    unchecked = sorted(set(visited) - checked)
    assert not unchecked, f"pages visited without an accessibility check (check_page): {unchecked}"


def check_page(page):
    """Assert the page as it is now has no serious or critical axe-core violation, and count it
    as checked for the journey's coverage (the `page` fixture)."""
    violations = axe_violations(page)
    checked = getattr(page, "axe_checked", None)
    if checked is not None:
        checked.add(_visited(page.url))
    assert not violations, f"axe-core on {page.url}:\n" + "\n".join(
        f"- {v['impact']} {v['id']} ({v['help']}):\n    " + "\n    ".join(v["nodes"]) for v in violations
    )


@pytest.fixture
def sign_in(page, live_server):
    """Sign in through the login form, as a person does; returns the page on the landing URL.

    Administrators (and anyone with an authenticator) then get the code page: the person reads
    the code off their authenticator app, here computed from their TOTP device's key, and types
    it. An administrator without a device is given one first, as if set up on an earlier visit
    (tests/e2e/test_two_step_journey.py walks the setting up itself). `code` overrides: a
    function returning the code to type (e.g. from an otpauth:// URI a command printed). With
    `check`, each page of the way goes through check_page."""

    def sign_in(username, password=PASSWORD, code=None, *, check=True):
        user = User.objects.filter(username=username).first()
        if code is None and user is not None and is_administrator(user) and totp_device_for(user) is None:
            services.create_totp_device(user=user, confirmed=True)
        page.goto(f"{live_server.url}/accounts/login/")
        if check:
            check_page(page)
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if "/accounts/login/code/" in page.url:
            if check:
                check_page(page)
            typed = code() if code is not None else current_code(totp_device_for(user))
            page.get_by_label("Code").fill(typed)
            page.get_by_role("button", name="Verify").click()
            page.wait_for_load_state()
        if check:
            check_page(page)
        return page

    return sign_in
