"""Every download goes through common/downloads.py: its file name survives any session code
(quotes, emoji, a newline), and each user's downloads are throttled (429 with Retry-After, in
the user's language) without slowing anyone else.

The download URLs are found by walking the access table: any URL whose answer to an
administrator names a file must be listed here, so a new download cannot skip the helper.
"""

import datetime
import re
from urllib.parse import unquote

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from certifications import services
from courses.models import CourseSession
from tests.test_access_table import ACCESS, world  # noqa: F401 (the fixture)

HOSTILE_CODE = 'SES-"12"\\ 🎖️ ñ;x=1'
# URL name: extra query string.
DOWNLOADS = {
    "certifications:my-transcript": {},
    "certifications:transcript": {},
    "certifications:certificate": {},
    "certifications:credential": {},
    "certifications:scan": {},
    "courses:roster-csv": {},
    "courses:roster-xlsx": {},
    "courses:roster-pdf": {},
    "trainees:export-csv": {},
    "trainees:export-xlsx": {},
    "certifications:expiring": {"format": "csv"},
    "certifications:expiring-xlsx": {"format": "xlsx"},
    "reports:dashboard-pdf": {},
    "reports:dashboard-table": {},
    "reports:parity-csv": {},
    "reports:parity-xlsx": {},
    "reports:my-personal-data": {},
    "reports:trainee-personal-data": {},
    "deployments:nominations-csv": {},
    "deployments:nominations-xlsx": {},
    "deployments:nominations-pdf": {},
}
URL_NAME = {"certifications:expiring-xlsx": "certifications:expiring"}


@pytest.fixture
def locmem(settings):
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    return settings


@pytest.fixture
def downloads(world, locmem):  # noqa: F811
    """The access table's world, with a hostile session code and a scanned certificate; the
    owner downloads their own documents, the administrator everything else."""
    cast, kwargs = world
    CourseSession.objects.update(code=HOSTILE_CODE)
    scanned = services.issue_certification(
        trainee=cast["owner"].trainee,
        type=CourseSession.objects.get().course.grants,
        issued_on=CourseSession.objects.get().ends_on,
        issuer="UNITAR",
        scan=SimpleUploadedFile("scan.pdf", b"%PDF-1.4 scan", content_type="application/pdf"),
    )
    kwargs = {**kwargs, "certifications:scan": {"pk": scanned.pk}}
    urls = {}
    for name, query in DOWNLOADS.items():
        url_name = URL_NAME.get(name, name)
        urls[name] = (reverse(url_name, kwargs=kwargs.get(url_name)), query)
    return cast, urls


def client_for(user, language="en"):
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _reader(cast, name):
    return (
        cast["owner"] if name in ("certifications:my-transcript", "reports:my-personal-data") else cast["administrator"]
    )


def filename_of(disposition):
    """The file name a browser reads from a Content-Disposition header (RFC 6266)."""
    assert "\n" not in disposition and "\r" not in disposition
    match = re.fullmatch(r"(attachment|inline); filename\*=utf-8''([A-Za-z0-9%._~!$&'()*+,;=:@-]+)", disposition)
    if match:
        return unquote(match.group(2))
    match = re.fullmatch(r'(attachment|inline); filename="((?:[^"\\]|\\.)*)"', disposition)
    assert match, disposition
    return re.sub(r"\\(.)", r"\1", match.group(2))


@pytest.mark.django_db
def test_every_download_is_listed(world, locmem):  # noqa: F811
    """Whatever answers an administrator (or the owner, for /me/) with a named file is listed."""
    cast, kwargs = world
    named_files = set()
    for name in ACCESS:
        response = client_for(_reader(cast, name)).get(reverse(name, kwargs=kwargs.get(name)))
        if response.has_header("Content-Disposition"):
            named_files.add(name)
    # The expiring report is a file only with ?format=; the world's certificate has no scan.
    assert named_files == set(DOWNLOADS) - {
        "certifications:expiring",
        "certifications:expiring-xlsx",
        "certifications:scan",
    }


@pytest.mark.django_db
def test_every_download_names_its_file_whatever_the_session_code(downloads):
    cast, urls = downloads
    for name, (url, query) in urls.items():
        response = client_for(_reader(cast, name)).get(url, query)
        assert response.status_code == 200, name
        filename = filename_of(response["Content-Disposition"])
        if name.startswith("courses:roster-"):
            assert filename == f"roster-{HOSTILE_CODE}.{name.rsplit('-', 1)[1]}"
        assert filename and "/" not in filename
        assert response["Cache-Control"] == "private, no-store", name
        assert response["X-Content-Type-Options"] == "nosniff", name


@pytest.mark.django_db
@pytest.mark.throttle
@time_machine.travel(datetime.datetime(2026, 3, 5, 10, 0, 30, tzinfo=datetime.UTC), tick=False)  # one window
def test_the_ninth_rapid_download_of_one_user_waits_while_another_user_is_served(downloads, settings):
    settings.DOWNLOAD_RATE_LIMIT = "8/m"
    cast, urls = downloads
    url, query = urls["courses:roster-csv"]
    administrator = client_for(cast["administrator"])
    assert [administrator.get(url, query).status_code for _ in range(8)] == [200] * 8

    refused = administrator.get(url, query)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert "Too many downloads" in refused.content.decode()

    instructor = client_for(cast["instructor"])
    assert instructor.get(url, query).status_code == 200
    spanish = client_for(cast["administrator"], "es").get(url, query)
    assert spanish.status_code == 429 and "Demasiadas descargas" in spanish.content.decode()


@pytest.mark.django_db
@pytest.mark.throttle
@time_machine.travel(datetime.datetime(2026, 3, 5, 10, 0, 30, tzinfo=datetime.UTC), tick=False)  # one window
def test_every_download_is_throttled(downloads, settings):
    settings.DOWNLOAD_RATE_LIMIT = "1/m"
    cast, urls = downloads
    for name, (url, query) in urls.items():
        cache.clear()
        client = client_for(_reader(cast, name))
        assert client.get(url, query).status_code == 200, name
        assert client.get(url, query).status_code == 429, name


@pytest.mark.django_db
@pytest.mark.throttle
@time_machine.travel(datetime.datetime(2026, 3, 5, 10, 0, 30, tzinfo=datetime.UTC), tick=False)  # one window
def test_a_user_rendering_as_many_documents_as_allowed_waits_for_one_to_finish(downloads, settings):
    settings.DOWNLOAD_RATE_LIMIT = "100/m"
    settings.DOWNLOAD_CONCURRENCY = 2
    cast, urls = downloads
    url, query = urls["certifications:my-transcript"]
    cache.set(f"download-running:{cast['owner'].pk}", 2, timeout=60)  # two renders under way

    assert client_for(cast["owner"]).get(url, query).status_code == 429
    assert client_for(cast["administrator"]).get(*urls["certifications:transcript"]).status_code == 200
    cache.set(f"download-running:{cast['owner'].pk}", 1, timeout=60)  # one finished
    assert client_for(cast["owner"]).get(url, query).status_code == 200
    assert cache.get(f"download-running:{cast['owner'].pk}") == 1  # its own render counted, then released
