"""Root URLconf: the paths are part of the contract in DESIGN.md."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

import common.admin  # noqa: F401  (administrators-only admin site)
from certifications import verification

urlpatterns = [
    # One sign-in page for everyone: the admin's own would skip the second step.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/", include("api.page_urls")),
    path("", include("accounts.urls")),
    path("", include("reports.urls")),
    path("", include("trainees.urls")),
    path("", include("courses.urls")),
    path("", include("certifications.urls")),
    path("", include("deployments.urls")),
    # Public certificate verification (no login); <path:...> so that any unknown code, slashes
    # included, gets the same not-found page.
    path("verify/", verification.verify_search, name="verify-search"),
    path("verify/<path:code>/", verification.verify, name="verify"),
]
