"""The application's URLs plus /bench/bare/, a view that does nothing behind the same middleware
(session, authentication, language, history context, CSP...), for bench/http.py to compare with.
Loaded only through bench/settings.py."""

from django.http import HttpResponse
from django.urls import path

from cecopam.urls import urlpatterns as application_urlpatterns


def bare(request):
    """The floor of a signed-in request: the middleware's work and a few bytes of body."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [*application_urlpatterns, path("bench/bare/", bare, name="bench-bare")]
