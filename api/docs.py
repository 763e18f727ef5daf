"""The API's documentation page: Swagger UI from drf-spectacular-sidecar, served by the
application itself (no CDN), started by a static script (the Content-Security-Policy allows
no inline script or style)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def swagger_ui(request):
    return render(request, "api/docs.html")
