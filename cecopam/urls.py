"""Root URLconf: the paths are part of the contract in DESIGN.md."""

from django.contrib import admin
from django.urls import include, path

import common.admin  # noqa: F401  (administrators-only admin site)
from certifications import documents_views, verification
from trainees import urls as trainees_urls

# A trainee's transcript is printed by certifications (which may read trainees and courses) but
# is named beside the record it prints (trainees:my-transcript, trainees:transcript); composing
# the namespace here keeps trainees free of any import of certifications.
trainees_patterns = [
    *trainees_urls.urlpatterns,
    path("me/transcript.pdf", documents_views.my_transcript, name="my-transcript"),
    path("trainees/<int:pk>/transcript.pdf", documents_views.trainee_transcript, name="transcript"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include((trainees_patterns, trainees_urls.app_name))),
    path("", include("courses.urls")),
    path("", include("certifications.urls")),
    path("", include("deployments.urls")),
    # Public certificate verification (no login); <path:...> so that any unknown code, slashes
    # included, gets the same not-found page.
    path("verify/", verification.verify_search, name="verify-search"),
    path("verify/<path:code>/", verification.verify, name="verify"),
]
