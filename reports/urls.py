from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path("me/", views.me, name="me"),
    path("trainees/<int:pk>/", views.trainee_record, name="trainee"),
    path("trainees/<int:pk>/history/", views.trainee_history, name="trainee-history"),
    path("sessions/<int:pk>/history/", views.session_history, name="session-history"),
    path("deployments/<int:pk>/history/", views.deployment_history, name="deployment-history"),
]
