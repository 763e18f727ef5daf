"""Error answers in the site's layout and the reader's language (templates/400.html ... 500.html).

Django's own handlers render 400, 403, 404 and 500 from those templates; 429 has no handler in
Django, so every throttle answers through too_many_requests() (one page, one header)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def too_many_requests(
    request: HttpRequest, *, retry_after: int, template: str = "429.html", context: dict | None = None
) -> HttpResponse:
    """HTTP 429 with the page `template` (given `context`) and Retry-After (seconds)."""
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(max(1, int(retry_after)))
    return response


def wants_problem_json(request: HttpRequest) -> bool:
    """Whether `request` is for a machine reader (settings.PROBLEM_JSON_PATHS, the REST API),
    whose errors are RFC 9457 problem documents rather than pages."""
    return request.path.startswith(tuple(settings.PROBLEM_JSON_PATHS))


def bad_request(request: HttpRequest, message: str, context: dict | None = None) -> HttpResponse:
    """HTTP 400 saying what to fix: a page for people, a problem document for the API."""
    if wants_problem_json(request):
        body = {
            "type": "about:blank",
            "title": str(_("Bad request")),
            "status": 400,
            "detail": str(message),
            "instance": request.path,
            "code": "invalid",
        }
        return JsonResponse(body, status=400, content_type="application/problem+json")
    return render(request, "errors/bad_request.html", {"message": message, **(context or {})}, status=400)
