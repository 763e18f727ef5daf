from django.urls import path

from . import views

app_name = "deployments"

urlpatterns = [
    path("deployments/", views.deployment_list, name="list"),
    path("deployments/new/", views.deployment_create, name="create"),
    path("deployments/<int:pk>/", views.deployment_detail, name="detail"),
    path("deployments/<int:pk>/edit/", views.deployment_edit, name="edit"),
    path("deployments/<int:pk>/nominate/", views.deployment_nominate, name="nominate"),
    path(
        "deployments/<int:pk>/nominations/<int:nomination_pk>/withdraw/",
        views.nomination_withdraw,
        name="withdraw",
    ),
    path("deployments/<int:pk>/nominations.csv", views.nominations_export, {"export": "csv"}, name="nominations-csv"),
    path(
        "deployments/<int:pk>/nominations.xlsx", views.nominations_export, {"export": "xlsx"}, name="nominations-xlsx"
    ),
    path("deployments/<int:pk>/nominations.pdf", views.nominations_export, {"export": "pdf"}, name="nominations-pdf"),
    path("readiness/", views.readiness_pool, name="readiness"),
    path("readiness.csv", views.readiness_csv, name="readiness-csv"),
    path("readiness/units/", views.unit_readiness, name="units"),
]
