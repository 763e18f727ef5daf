"""Root URLconf: the paths are part of the contract in DESIGN.md."""

from django.contrib import admin
from django.urls import include, path

import cecopam.admin  # noqa: F401  (administrators-only admin site)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("trainees.urls")),
    path("", include("courses.urls")),
    path("", include("certifications.urls")),
]
