"""Requests refused before any view sees them."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from .filtering import InvalidFilters


def _has_nul(request):
    for data in (request.GET, request.POST) if request.method == "POST" else (request.GET,):
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return False


class RefuseNulBytesMiddleware:
    """A NUL character in the query string or a form field is a 400.

    No one types it, PostgreSQL refuses it in any text (so a search, a filter or a lookup
    carrying one raised a 500), and forms refuse it only in their own fields: one check here
    covers every view, including the values views read by hand. (The path is left to the
    URL patterns: only <int:...> and the verification page's code reach views, and the latter
    must answer an unknown code, NUL or not, with its one not-found page.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return render(request, "400.html", {"message": _("The request holds a NUL character.")}, status=400)
        return self.get_response(request)


class InvalidFiltersMiddleware:
    """An export refused for an invalid filter (common/filtering.py) is a 400 that names it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, InvalidFilters):
            context = {"message": exception.message(), "errors": exception.errors}
            return render(request, "400.html", context, status=400)
        return None
