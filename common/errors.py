"""Error answers in the site's layout and the reader's language (templates/400.html ... 500.html).

Django's own handlers render 400, 403, 404 and 500 from those templates; 429 has no handler in
Django, so every throttle answers through too_many_requests() (one page, one header)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def too_many_requests(request: HttpRequest, *, retry_after: int, template: str = "429.html") -> HttpResponse:
    """HTTP 429 with the page `template` and Retry-After (seconds)."""
    response = render(request, template, status=429)
    response["Retry-After"] = str(max(1, int(retry_after)))
    return response
