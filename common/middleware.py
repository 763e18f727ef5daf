"""Requests refused before any view sees them."""

from django.utils.translation import gettext as _

from .errors import bad_request
from .filtering import InvalidFilters


def _has_nul(request):
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())


class RefuseNulBytesMiddleware:
    """A NUL character in the query string is a 400.

    No one types it, PostgreSQL refuses it in any text (so a search, a filter or a lookup
    carrying one raised a 500), and views read query parameters by hand (searches, cursors,
    ids): one check here covers them all. Form data (POST) is left to the forms, whose text
    fields refuse NUL at the field (Django's ProhibitNullCharactersValidator), where the user
    sees it. (The path is left to the
    URL patterns: only <int:...> and the verification page's code reach views, and the latter
    must answer an unknown code, NUL or not, with its one not-found page.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            message = _("The address holds a NUL character, which no search or filter can hold.")
            return bad_request(request, message)
        return self.get_response(request)


class InvalidFiltersMiddleware:
    """An export refused for an invalid filter (common/filtering.py) is a 400 that names it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, InvalidFilters):
            return bad_request(request, exception.message(), {"errors": exception.errors})
        return None
