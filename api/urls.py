"""/api/v1/: the REST API, its OpenAPI schema and its documentation page."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from . import deployments, docs, views

app_name = "api"

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("trainees", views.TraineeViewSet, basename="trainee")
router.register("courses", views.CourseViewSet, basename="course")
router.register("sessions", views.SessionViewSet, basename="session")
router.register("enrolments", views.EnrollmentViewSet, basename="enrollment")
router.register("certifications", views.CertificationViewSet, basename="certification")
router.register("profiles", deployments.ProfileViewSet, basename="profile")
router.register("deployments", deployments.DeploymentViewSet, basename="deployment")
router.register("nominations", deployments.NominationViewSet, basename="nomination")

urlpatterns = [
    path("", views.RootView.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.swagger_ui, name="docs"),
    path("verify/<str:code>/", views.VerifyView.as_view(), name="verify"),
    path("readiness/", deployments.ReadinessPoolView.as_view(), name="readiness"),
    path("trainees/<int:pk>/readiness/", deployments.TraineeReadinessView.as_view(), name="trainee-readiness"),
    *router.urls,
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view(), name="not-found"),  # any path, newlines too
]
