"""Error pages (400, 403, 404, 429, 500) are the site's own: its layout, the reader's language,
words that say what to do; never Django's bare defaults."""

import pytest
from django.test import Client

from tests import factories

HEADINGS = {
    400: ("Bad request", "Solicitud incorrecta"),
    403: ("Access denied", "Acceso denegado"),
    404: ("Page not found", "Página no encontrada"),
    429: ("Too many requests", "Demasiadas solicitudes"),
    500: ("Something went wrong", "Algo salió mal"),
}


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = "tests.error_urls"
    settings.DEBUG = False


def _get(status, language, user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    path = {
        400: "/test-errors/400/",
        403: "/overview/",  # a trainee on the administrators' overview
        404: "/no-such-page/",
        429: "/test-errors/429/",
        500: "/test-errors/500/",
    }[status]
    return client.get(path)


@pytest.mark.django_db
@pytest.mark.parametrize("status", sorted(HEADINGS))
@pytest.mark.parametrize(("language", "index"), [("en", 0), ("es", 1)])
def test_error_pages_in_the_layout_and_the_readers_language(error_urls, status, language, index):
    user = factories.TraineeUserFactory() if status == 403 else None
    response = _get(status, language, user)
    assert response.status_code == status
    page = response.content.decode()
    assert HEADINGS[status][index] in page
    assert 'id="main"' in page and "navbar" in page  # base.html's layout
    assert f'lang="{language}"' in page


@pytest.mark.django_db
def test_a_throttled_answer_says_when_to_retry(error_urls):
    assert _get(429, "en")["Retry-After"] == "30"
