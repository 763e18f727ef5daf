"""The project's URLs plus views that fail on purpose, for tests/test_error_pages.py."""

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from cecopam.urls import urlpatterns as project_urlpatterns
from common.errors import too_many_requests


def _bad_request(request):
    raise SuspiciousOperation("tampered request")


def _server_error(request):
    raise RuntimeError("a bug")


def _throttled(request):
    return too_many_requests(request, retry_after=30)


urlpatterns = [
    *project_urlpatterns,
    path("test-errors/400/", _bad_request),
    path("test-errors/500/", _server_error),
    path("test-errors/429/", _throttled),
]
