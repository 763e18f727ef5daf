"""The API's pages in a browser: the documentation loads from the application alone, within the
Content-Security-Policy; an administrator creates a token (shown once), uses it and revokes it."""

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests import factories

from .conftest import axe_violations, check_page

pytestmark = pytest.mark.e2e

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def test_docs_load_from_the_site_without_csp_violations(page, live_server):
    requests, console_errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_text("CECOPAM Training Records API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/trainees/bulk/").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible()
    page.get_by_text("/api/v1/verify/{code}/").first.click()
    expect(page.get_by_text("application/problem+json").first).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
    # axe-core, as on every page (its colours are darkened in api/static/api/docs.css), except
    # one rule: Swagger UI nests each operation's buttons inside its clickable summary bar, which
    # is its markup, not ours, and cannot be changed from outside.
    violations = [v for v in axe_violations(page) if v["id"] != "nested-interactive"]
    assert violations == [], violations
    page.axe_checked.add(urlparse(page.url).path)
    assert [text for text in console_errors if "Content Security Policy" in text] == []
    site = urlparse(live_server.url).netloc
    assert {urlparse(url).netloc for url in requests if url.startswith("http")} == {site}


def test_an_administrator_creates_uses_and_revokes_a_token(page, live_server, sign_in):
    factories.AdministratorFactory(username="coordinadora")
    factories.UserFactory(username="rrhh-sedena", first_name="Sistema", last_name="RRHH SEDENA")
    factories.TraineeFactory(given_names="Lucía", paternal_surname="Gómez")
    sign_in("coordinadora")
    page.goto(f"{live_server.url}/api/tokens/")
    check_page(page)
    page.get_by_label("Name").fill("RRHH SEDENA")
    page.get_by_label("Acts as").select_option(label="Sistema RRHH SEDENA (rrhh-sedena)")
    page.get_by_label("Scope").select_option("read")
    page.get_by_label("Valid for (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    token_box = page.get_by_label("Token")
    expect(token_box).to_have_value(re.compile(r"^cecopam_"))
    token = token_box.input_value()
    check_page(page)

    # The token works, with its user's visibility (this user has no role: sees no trainee).
    answer = page.request.get(f"{live_server.url}/api/v1/trainees/", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200 and answer.json()["results"] == []

    # Shown once: the list shows only its first characters.
    page.goto(f"{live_server.url}/api/tokens/")
    expect(page.get_by_label("Token")).to_have_count(0)
    row = page.locator("#tokens").get_by_role("row", name=re.compile("RRHH SEDENA"))
    expect(row).to_contain_text(token[:12])
    expect(row).to_contain_text("Active")
    row.get_by_role("button", name="Revoke RRHH SEDENA").click()
    expect(page.get_by_text("Token “RRHH SEDENA” revoked")).to_be_visible()
    check_page(page)
    expect(page.locator("#tokens").get_by_role("row", name=re.compile("RRHH SEDENA"))).to_contain_text("Revoked")
    refused = page.request.get(f"{live_server.url}/api/v1/trainees/", headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 401
    assert refused.headers["content-type"] == "application/problem+json"
