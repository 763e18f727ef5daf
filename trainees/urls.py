from django.urls import path

from . import import_views, views

app_name = "trainees"

urlpatterns = [
    path("trainees/", views.trainee_list, name="list"),
    path("trainees/new/", views.trainee_create, name="create"),
    path("trainees/<int:pk>/edit/", views.trainee_edit, name="edit"),
    path("trainees/import/", import_views.trainee_import, name="import"),
    path("trainees/import/confirm/", import_views.trainee_import_confirm, name="import-confirm"),
    path("trainees/export.csv", import_views.trainee_export_csv, name="export-csv"),
    path("trainees/export.xlsx", import_views.trainee_export_xlsx, name="export-xlsx"),
]
