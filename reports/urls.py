from django.urls import path, re_path

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

urlpatterns += [
    path("reports/", views.dashboard, name="dashboard"),
    path("reports/dashboard.pdf", views.dashboard_pdf, name="dashboard-pdf"),
    re_path(
        r"^reports/tables/(?P<table>[-a-z]+)\.(?P<export>csv|xlsx)$", views.dashboard_table, name="dashboard-table"
    ),
    path("reports/parity/", views.parity_report, name="parity"),
    path("reports/parity.csv", views.parity_csv, name="parity-csv"),
    path("reports/parity.xlsx", views.parity_csv, {"export": "xlsx"}, name="parity-xlsx"),
    re_path(r"^me/personal-data\.(?P<export>json|pdf)$", views.my_personal_data, name="my-personal-data"),
    re_path(
        r"^trainees/(?P<pk>[0-9]+)/personal-data\.(?P<export>json|pdf)$",
        views.trainee_personal_data,
        name="trainee-personal-data",
    ),
]
