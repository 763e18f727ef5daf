"""Hardening, checked on real responses: login throttling and unlocking, security headers and
cookies, session expiry, passwords, the admin, /healthz, uploads, and production settings."""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connections
from django.template.defaultfilters import time as time_filter
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories

BASE_DIR = Path(settings.BASE_DIR)
PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory


def _client(language="en"):
    return Client(headers={"accept-language": language})


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client):
    return "_auth_user_id" in client.session


# --- Login throttling (django-axes) -------------------------------------------------------------


def test_four_failures_do_not_lock_the_right_password_out(trainee_user):
    client = _client()
    for attempt in range(4):
        response = _login(client, "trainee1", "wrong-password", ip=f"10.0.0.{attempt + 1}")
        assert response.status_code == 200  # the form again, with its error
    response = _login(client, "trainee1", PASSWORD, ip="10.0.0.9")
    assert response.status_code == 302
    assert _signed_in(client)


def test_five_failures_for_a_username_lock_it_out_even_with_the_right_password(trainee_user):
    client = _client()
    # Every attempt from a different address: only the username can be what is locked.
    for attempt in range(5):
        _login(client, "trainee1", "wrong-password", ip=f"10.0.1.{attempt + 1}")

    response = _login(client, "trainee1", PASSWORD, ip="10.0.1.99")

    assert response.status_code == 429
    assert not _signed_in(client)
    text = response.content.decode()
    assert "Too many failed sign-in attempts" in text
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert re.search(rf"Try again after [^<]+, in about {minutes} minutes\.", text), text


def test_five_failures_from_an_address_lock_it_out_for_every_username(admin_user):
    client = _client()
    for attempt in range(5):
        _login(client, f"guess{attempt}", "wrong-password", ip="10.0.2.7")

    locked = _login(client, "admin1", PASSWORD, ip="10.0.2.7")
    assert locked.status_code == 429
    assert not _signed_in(client)

    elsewhere = _login(_client(), "admin1", PASSWORD, ip="10.0.2.8")
    assert elsewhere.status_code == 302


def test_lockout_page_says_when_sign_in_opens_again(trainee_user):
    client = _client()
    before = timezone.now()
    for attempt in range(5):
        _login(client, "trainee1", "wrong-password", ip=f"10.0.3.{attempt + 1}")

    response = _login(client, "trainee1", PASSWORD, ip="10.0.3.50")

    retry_at = response.context["retry_at"]
    assert before + settings.AXES_COOLOFF_TIME <= retry_at <= timezone.now() + settings.AXES_COOLOFF_TIME
    with translation.override("en"):
        shown = time_filter(timezone.localtime(retry_at), "TIME_FORMAT")  # e.g. "4:45 p.m."
    assert f"Try again after {shown} (" in response.content.decode()


@pytest.mark.skipif(
    not (BASE_DIR / "locale/es/LC_MESSAGES/django.po").exists(),
    reason="Spanish catalogue not written yet (locale/es/LC_MESSAGES/django.po); remove this skip when it is.",
)
def test_lockout_page_is_in_spanish_for_a_spanish_browser(trainee_user):
    client = _client("es")
    for attempt in range(5):
        _login(client, "trainee1", "wrong-password", ip=f"10.0.4.{attempt + 1}")

    response = _login(client, "trainee1", PASSWORD, ip="10.0.4.50")

    assert response.status_code == 429
    text = response.content.decode()
    assert '<html lang="es' in text
    assert "Too many failed sign-in attempts" not in text
    assert "Try again after" not in text


def _lock_out(username, ip_prefix):
    client = _client()
    for attempt in range(5):
        _login(client, username, "wrong-password", ip=f"{ip_prefix}.{attempt + 1}")
    assert _login(client, username, PASSWORD, ip=f"{ip_prefix}.100").status_code == 429


def test_administrator_sees_and_unlocks_a_locked_username(admin_user, trainee_user):
    _lock_out("trainee1", "10.0.5")
    admin = _client()
    admin.force_login(admin_user)

    assert reverse("lockouts") in admin.get(reverse("reports:overview")).content.decode()  # found from the overview
    page = admin.get(reverse("lockouts"))
    assert page.status_code == 200
    assert re.search(r"<td>trainee1</td>\s*<td>\d+</td>", page.content.decode())

    response = admin.post(reverse("unlock"), {"username": "trainee1"}, follow=True)
    assert "Sign-in unlocked for user trainee1." in response.content.decode()
    assert "<td>trainee1</td>" not in response.content.decode()

    client = _client()
    assert _login(client, "trainee1", PASSWORD, ip="10.0.5.200").status_code == 302
    assert _signed_in(client)


def test_administrator_unlocks_a_locked_address(admin_user, trainee_user):
    client = _client()
    for attempt in range(5):
        _login(client, f"guess{attempt}", "wrong-password", ip="10.0.6.6")
    admin = _client()
    admin.force_login(admin_user)
    assert "<td>10.0.6.6</td>" in admin.get(reverse("lockouts")).content.decode()

    admin.post(reverse("unlock"), {"ip_address": "10.0.6.6"})

    assert not AccessAttempt.objects.filter(ip_address="10.0.6.6").exists()
    assert _login(client, "trainee1", PASSWORD, ip="10.0.6.6").status_code == 302


@pytest.mark.parametrize("who", ["instructor", "trainee_user"])
def test_only_administrators_see_or_lift_lockouts(who, request, other_trainee_user):
    _lock_out("trainee2", "10.0.7")
    client = _client()
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("lockouts")).status_code == 403
    assert client.post(reverse("unlock"), {"username": "trainee2"}).status_code == 403
    assert AccessAttempt.objects.filter(username="trainee2").exists()
    assert _login(_client(), "trainee2", PASSWORD, ip="10.0.7.200").status_code == 429


def test_anonymous_visitor_is_sent_to_sign_in_from_the_lockout_list(client, db):
    response = client.get(reverse("lockouts"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Headers and cookies ------------------------------------------------------------------------

INLINE_PATTERNS = {
    "inline <script> without src": re.compile(
        r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*\btype\s*=\s*[\"']application/(?:ld\+)?json[\"'])[^>]*>", re.I
    ),
    "<style> block": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "on*= event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on (htmx inline script, needs unsafe-eval)": re.compile(r"\b(?:data-)?hx-on\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _inline_violations(html):
    return [name for name, pattern in INLINE_PATTERNS.items() if pattern.search(html)]


@pytest.fixture
def pages(admin_user, trainee_user):
    """A few real pages, anonymous and signed in."""
    anonymous = _client()
    admin = _client()
    admin.force_login(admin_user)
    session = factories.CourseSessionFactory()
    return [
        anonymous.get(reverse("login")),
        anonymous.get(reverse("password_reset")),
        admin.get(reverse("reports:overview")),
        admin.get(reverse("password_change")),
        admin.get(reverse("lockouts")),
        admin.get(reverse("reports:session-history", args=[session.pk])),
        admin.get(reverse("reports:trainee-history", args=[trainee_user.trainee.pk])),
    ]


def test_security_headers_on_real_responses(pages):
    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        csp = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"


def test_rendered_pages_have_no_inline_scripts_or_styles(pages):
    for response in pages:
        assert _inline_violations(response.content.decode()) == [], response.request["PATH_INFO"]


def _templates():
    roots = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    for root in roots:
        if any(part in {".venv", "node_modules"} for part in root.parts):
            continue
        for path in root.rglob("*.html"):
            # Email bodies are rendered by mail clients, which get no Content-Security-Policy
            # and often need inline styles; every other template is served to browsers.
            if "emails" in path.relative_to(root).parts:
                continue
            yield path


def test_templates_contain_no_inline_scripts_styles_or_handlers():
    templates = list(_templates())
    assert BASE_DIR / "templates/base.html" in templates  # the scan sees the project's templates
    violations = {
        str(path.relative_to(BASE_DIR)): found
        for path in templates
        if (found := _inline_violations(path.read_text(encoding="utf-8")))
    }
    assert violations == {}, "The Content-Security-Policy would block these; move them to static/: " + str(violations)


def test_the_template_scan_catches_what_csp_blocks():
    assert _inline_violations("<script>alert(1)</script>") == ["inline <script> without src"]
    assert _inline_violations('<script src="/static/js/x.js" defer></script>') == []
    assert _inline_violations('<script id="d" type="application/json">{}</script>') == []
    assert _inline_violations('<p style="color:red">') == ["style= attribute"]
    assert _inline_violations("<style>p{}</style>") == ["<style> block"]
    assert _inline_violations('<button onclick="go()">') == ["on*= event handler"]
    assert _inline_violations('<form hx-on:submit="x()">') == ["hx-on (htmx inline script, needs unsafe-eval)"]


def test_session_cookie_is_http_only_and_expires_after_inactivity(trainee_user):
    client = _client()
    response = _login(client, "trainee1", PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE

    # Each request renews the expiry: idle time, not time since sign-in, ends the session.
    session = Session.objects.get(session_key=cookie.value)
    session.expire_date = timezone.now() + timedelta(seconds=30)
    session.save()
    renewed = client.get(reverse("reports:home"))
    assert renewed.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
    assert Session.objects.get(session_key=cookie.value).expire_date > timezone.now() + timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 60
    )

    # After the idle timeout the session is gone: the next request asks to sign in again.
    Session.objects.filter(session_key=cookie.value).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = client.get(reverse("reports:home"))
    assert expired.status_code == 302
    assert expired["Location"].startswith(reverse("login"))


def test_idle_timeout_is_configurable_and_short():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 5 * 60 <= settings.SESSION_COOKIE_AGE <= 8 * 60 * 60


def _production_env(**extra):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "cecopam.example.mx",
        # Nothing here needs the database: a closed port proves it.
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none",
        "PYTHONPATH": str(BASE_DIR),
        **extra,
    }
    # Set for Playwright's event loop when browser tests share this process; never in production.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
setup_test_environment()
# No collected static files here: plain storage stands in for the manifest.
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    client = Client(headers={"accept-language": "en"})
    plain = client.get("/accounts/login/", headers={"host": "cecopam.example.mx"})
    response = client.get("/accounts/login/", secure=True, headers={"host": "cecopam.example.mx"})
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "status": response.status_code,
    "hsts": response.get("Strict-Transport-Security", ""),
    "csrf_cookie": {k: response.cookies[settings.CSRF_COOKIE_NAME][k] for k in ("secure", "httponly", "samesite")},
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "debug": settings.DEBUG,
}))
"""


def test_production_settings_make_cookies_secure_and_require_https():
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        env=_production_env(DJANGO_SETTINGS_MODULE="cecopam.settings"),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["debug"] is False
    assert probe["plain_status"] == 301 and probe["plain_location"].startswith("https://")
    assert probe["status"] == 200
    assert "max-age=" in probe["hsts"] and "includeSubDomains" in probe["hsts"]
    assert probe["csrf_cookie"]["secure"] is True
    assert probe["session_cookie_secure"] is True
    assert probe["session_cookie_httponly"] is True
    assert probe["csrf_cookie_secure"] is True


def test_check_deploy_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- Passwords -----------------------------------------------------------------------------------


@pytest.mark.argon2
def test_new_passwords_are_hashed_with_argon2(db):
    user = factories.UserFactory()
    assert user.password.startswith("argon2$argon2id$")


@pytest.mark.argon2
def test_password_change_refuses_nine_characters_and_accepts_a_long_one(trainee_user):
    client = _client()
    client.force_login(trainee_user)
    short = "Tz8#qLm2!"
    assert len(short) == 9

    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": short, "new_password2": short}
    )

    assert response.status_code == 200
    assert "This password is too short. It must contain at least 10 characters." in response.content.decode()
    trainee_user.refresh_from_db()
    assert trainee_user.check_password(PASSWORD)

    long_enough = "Tz8#qLm2!Rw"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": long_enough, "new_password2": long_enough},
    )
    assert response.status_code == 302
    trainee_user.refresh_from_db()
    assert trainee_user.check_password(long_enough)
    assert trainee_user.password.startswith("argon2")


@pytest.mark.parametrize(
    ("weak", "message"),
    [("12345678901", "This password is entirely numeric."), ("qwertyuiop", "This password is too common.")],
)
def test_common_and_numeric_passwords_are_refused(trainee_user, weak, message):
    client = _client()
    client.force_login(trainee_user)
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak}
    )
    assert response.status_code == 200
    assert message in response.content.decode()


# --- The Django admin ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["instructor", "trainee_user"])
def test_admin_refuses_instructors_and_trainees_even_as_staff(who, request):
    user = request.getfixturevalue(who)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = _client()
    client.force_login(user)

    for path in ("/admin/", "/admin/trainees/trainee/", "/admin/accounts/user/"):
        response = client.get(path)
        assert response.status_code in (302, 403), path
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/login/")


def test_admin_lets_an_administrator_in_without_superuser_rights(admin_user):
    assert not admin_user.is_superuser
    client = _client()
    client.force_login(admin_user)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/trainees/trainee/").status_code == 200


# --- /healthz -----------------------------------------------------------------------------------


def test_healthz_says_ok_and_nothing_else(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    headers = " ".join(f"{name}: {value}" for name, value in response.items()).lower()
    for leak in ("django", "python", "postgres", "version", "wsgi"):
        assert leak not in headers


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_is_503_when_the_database_does_not_answer(client, django_db_blocker):
    """No mock: the default connection is pointed at a port where nothing listens."""
    connection = connections["default"]
    original_port = connection.settings_dict["PORT"]
    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict["PORT"] = _closed_port()
        try:
            response = client.get("/healthz")
        finally:
            connection.close()
            connection.settings_dict["PORT"] = original_port
    assert response.status_code == 503
    assert response.content == b"unavailable\n"


# --- Uploads ------------------------------------------------------------------------------------


def test_uploaded_files_are_not_served_from_media_url(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scan = tmp_path / "certification-scans" / "2026" / "scan.pdf"
    scan.parent.mkdir(parents=True)
    scan.write_bytes(b"%PDF-1.4 secret scan")

    response = client.get(f"{settings.MEDIA_URL}certification-scans/2026/scan.pdf")

    assert response.status_code == 404
    assert b"secret scan" not in b"".join(getattr(response, "streaming_content", [response.content]))
    assert client.get("/media/certification-scans/2026/scan.pdf").status_code == 404
