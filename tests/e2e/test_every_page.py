"""Every main page, for each role, in both languages, on a laptop (1366 px) and a phone (390 px):
no serious or critical axe-core violation, no sideways scrolling of the page, every action button
on screen (not cut off by a table's scroll box), and the results grid keeps the trainee's name in
view while the scores scroll sideways."""

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from certifications.models import Certification
from courses.demo import DEMO_PASSWORD
from courses.models import CourseSession
from deployments.models import Deployment
from trainees.models import Trainee

from .conftest import check_page

pytestmark = pytest.mark.e2e

WIDTHS = {"laptop": 1366, "phone": 390}

# Buttons and button-like links of the main content that are not fully on screen: beyond the
# viewport, or clipped by an ancestor that scrolls or hides its overflow. Inside a table's scroll
# box on a phone the table may scroll (the page may not), so `allow_table_scroll` skips those.
_CUT_OFF = """(allowTableScroll) => {
  const cut = [];
  for (const el of document.querySelectorAll("main .btn")) {
    const rect = el.getBoundingClientRect();
    if (!rect.width || !rect.height || getComputedStyle(el).visibility === "hidden") continue;
    if (allowTableScroll && el.closest(".table-responsive")) continue;
    let left = 0, right = window.innerWidth;
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      if (getComputedStyle(node).overflowX !== "visible") {
        const box = node.getBoundingClientRect();
        left = Math.max(left, box.left);
        right = Math.min(right, box.right);
      }
    }
    if (rect.left < left - 1 || rect.right > right + 1) cut.push(el.textContent.trim().replace(/\\s+/g, " "));
  }
  return cut;
}"""


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    running = CourseSession.objects.filter(instructors__username="instructor").exclude(status="finalized").first()
    trainee = Trainee.objects.get(user__username="trainee")
    certification = Certification.objects.filter(revoked_at__isnull=True, enrollment__isnull=False).first()
    finalized = trainee.enrollments.filter(session__status="finalized").first().session
    deployment = Deployment.objects.get(code="MINURSO-OBS-01")
    return {
        "running": running,
        "trainee": trainee,
        "certification": certification,
        "finalized": finalized,
        "deployment": deployment,
    }


def _pages(demo):
    running, trainee = demo["running"], demo["trainee"]
    return {
        "admin": [
            "/overview/",
            "/trainees/",
            f"/trainees/{trainee.pk}/",
            f"/trainees/{trainee.pk}/edit/",
            f"/trainees/{trainee.pk}/history/",
            "/trainees/new/",
            "/trainees/import/",
            "/courses/import-history/",
            "/courses/",
            f"/courses/{running.course_id}/",
            "/courses/new/",
            "/sessions/",
            f"/sessions/{running.pk}/",
            f"/sessions/{running.pk}/edit/",
            f"/sessions/{running.pk}/results/",
            f"/sessions/{running.pk}/history/",
            f"/sessions/{demo['finalized'].pk}/",
            f"/sessions/{running.pk}/?q=a",
            "/certifications/expiring/",
            f"/certifications/{demo['certification'].pk}/revoke/",
            f"/certifications/new/?trainee={trainee.pk}",
            "/accounts/lockouts/",
            "/api/tokens/",
            "/accounts/password_change/",
            "/accounts/two-step/",
            "/deployments/",
            "/deployments/new/",
            f"/deployments/{demo['deployment'].pk}/",
            f"/deployments/{demo['deployment'].pk}/edit/",
            f"/deployments/{demo['deployment'].pk}/history/",
            f"/readiness/?profile=UNMEM&starts_on={demo['deployment'].starts_on}&ends_on={demo['deployment'].ends_on}"
            f"&deployment={demo['deployment'].pk}",
            f"/readiness/units/?organization={demo['trainee'].organization_id}&profile=UNMEM"
            f"&starts_on={demo['deployment'].starts_on}&ends_on={demo['deployment'].ends_on}",
            "/trainees/999999999/",  # the not-found page
        ],
        "instructor": ["/sessions/", f"/sessions/{running.pk}/", f"/sessions/{running.pk}/results/"],
        "trainee": ["/me/", f"/sessions/{demo['finalized'].pk}/"],
        None: ["/accounts/login/", "/verify/", f"/verify/{demo['certification'].code}/", "/accounts/password_reset/"],
    }


def _no_sideways_scroll(page):
    width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width[0]} px of content in {width[1]} px"


def _problems(page, where):
    problems = []
    for check in (check_page, _no_sideways_scroll, _nothing_cut_off):
        try:
            check(page)
        except AssertionError as error:
            problems.append(f"{where}: {error}")
    return problems


def _nothing_cut_off(page):
    phone = page.viewport_size["width"] < 576
    cut = page.evaluate(_CUT_OFF, phone)
    assert not cut, f"at {page.viewport_size['width']} px, buttons cut off: {cut}"


def test_every_page_is_accessible_and_fits_the_screen(page, live_server, sign_in, demo):
    """One demo database for the whole sweep (seeding it costs more than the visits)."""
    problems = []
    for language in ("es", "en"):
        for screen, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            for role, paths in _pages(demo).items():
                page.context.clear_cookies()
                if role:  # the sign-in pages are checked on the way (in English: the cookie comes next)
                    sign_in("admin" if role == "admin" else role, DEMO_PASSWORD)
                cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}
                page.context.add_cookies([cookie])
                for path in paths:
                    response = page.goto(f"{live_server.url}{path}")
                    assert response.status == (404 if "999999999" in path else 200), path
                    expect(page.locator("html")).to_have_attribute("lang", language)
                    problems += _problems(page, f"{language} {screen} {role or 'anonymous'} {path}")
                if role == "admin":
                    # A rejected form: its errors shown, the focus on the first bad field.
                    page.goto(f"{live_server.url}/courses/new/")
                    page.locator("main form button[type=submit]").last.click()
                    page.wait_for_load_state()
                    expect(page.locator("main .is-invalid").first).to_be_focused()
                    problems += _problems(page, f"{language} {screen} admin /courses/new/ (rejected)")
    assert not problems, "\n".join(problems)


def test_the_grid_keeps_the_name_in_view_while_scores_scroll(page, live_server, sign_in, demo):
    page.set_viewport_size({"width": WIDTHS["phone"], "height": 800})
    sign_in("instructor", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/sessions/{demo['running'].pk}/results/")
    check_page(page)
    _no_sideways_scroll(page)
    name = page.locator(".results-grid tbody th").first
    box = page.locator(".results-grid").locator("xpath=..")
    scrolled = box.evaluate("(el) => { el.scrollLeft = el.scrollWidth; return el.scrollLeft; }")
    assert scrolled > 0, "the grid does not scroll inside its box on a phone"
    container = box.bounding_box()
    cell = name.bounding_box()
    assert container["x"] - 1 <= cell["x"] and cell["x"] + cell["width"] <= container["x"] + container["width"] + 1
    # Nothing of the row shows through the name while the scores slide beneath it.
    assert name.evaluate("(el) => getComputedStyle(el).position") == "sticky"
    assert name.evaluate("(el) => getComputedStyle(el).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
