"""Every error of the API as an RFC 9457 problem document (application/problem+json).

    {"type": "about:blank", "title": "Bad Request", "status": 400,
     "detail": "The request has errors.", "instance": "/api/v1/trainees/",
     "code": "invalid", "errors": [{"field": "email", "message": "Enter a valid email address.", "code": "invalid"}]}

`type` is about:blank (the status says what kind of problem it is, RFC 9457 section 4.2.1);
`code` names the problem for programs, `errors` lists field errors (with `row` in bulk writes).
Django's ValidationError and PermissionDenied, raised by the apps' services, become 400 and 403
with the services' own messages.
"""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: lambda: _("Bad request"),
    401: lambda: _("Not authenticated"),
    403: lambda: _("Forbidden"),
    404: lambda: _("Not found"),
    405: lambda: _("Method not allowed"),
    406: lambda: _("Not acceptable"),
    415: lambda: _("Unsupported media type"),
    429: lambda: _("Too many requests"),
}


def title_for(status):
    title = TITLES.get(status)
    return str(title()) if title else HTTPStatus(status).phrase


def _flatten(detail, path=""):
    """DRF's nested error detail as a list of {field, message, code} (field "" for the whole request)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            yield from _flatten(value, f"{path}.{name}" if path and name else (path or name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            for item in detail:
                yield {"field": path, "message": str(item), "code": getattr(item, "code", "invalid")}
        else:
            for index, item in enumerate(detail):
                yield from _flatten(item, f"{path}[{index}]" if path else f"[{index}]")
    else:
        yield {"field": path, "message": str(detail), "code": getattr(detail, "code", "invalid")}


def problem_response(request, status, detail, *, code="", errors=None, headers=None, extra=None):
    body = {
        "type": "about:blank",
        "title": title_for(status),
        "status": status,
        "detail": str(detail),
        "instance": request.path if request is not None else "",
        "code": code or "error",
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    # The JSON renderer writes the body whatever the Accept header asked for; the content type is ours.
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


class BulkRowsInvalid(exceptions.APIException):
    """A bulk write refused as a whole: `errors` carry the row number of each problem."""

    status_code = 400
    default_code = "invalid_rows"

    def __init__(self, detail, errors):
        super().__init__(detail)
        self.errors = errors


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args[:1] or ()))
    elif isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages},
            code=getattr(exc, "code", None) or "invalid",
        )
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling, logging and error mail

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) if exc.wait == int(exc.wait) else int(exc.wait) + 1)
    set_rollback()

    if isinstance(exc, BulkRowsInvalid):
        return problem_response(request, exc.status_code, exc.detail, code=exc.default_code, errors=exc.errors)
    if isinstance(exc, exceptions.ValidationError):
        errors = list(_flatten(exc.detail))
        whole = [error["message"] for error in errors if not error["field"]]
        detail = " ".join(whole) if whole else _("The request has errors; see the list of errors.")
        code = errors[0]["code"] if len(errors) == 1 else "invalid"
        return problem_response(request, 400, detail, code=code, errors=errors, headers=headers)
    detail = exc.detail
    if isinstance(detail, dict | list):
        detail = " ".join(error["message"] for error in _flatten(detail))
    code = exc.get_codes() if not isinstance(exc.detail, dict | list) else exc.default_code
    return problem_response(request, exc.status_code, detail, code=str(code), headers=headers)
