from django.urls import path

from . import import_views, views

app_name = "courses"

urlpatterns = [
    path("courses/import-history/", import_views.history_import, name="import-history"),
    path("courses/import-history/confirm/", import_views.history_import_confirm, name="import-history-confirm"),
    path("courses/", views.course_list, name="course-list"),
    path("courses/new/", views.course_create, name="course-create"),
    path("courses/<int:pk>/", views.course_detail, name="course-detail"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course-edit"),
    path("sessions/", views.session_list, name="session-list"),
    path("sessions/new/", views.session_create, name="session-create"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session-edit"),
    path("sessions/<int:pk>/enrol/", views.session_enroll, name="session-enroll"),
    path("sessions/<int:pk>/enrol/search/", views.session_enroll_search, name="session-enroll-search"),
    path("sessions/<int:pk>/enrol/class/", views.session_enroll_many, name="session-enroll-many"),
    path(
        "sessions/<int:pk>/enrollments/<int:enrollment_pk>/withdraw/",
        views.enrollment_withdraw,
        name="enrollment-withdraw",
    ),
    path("sessions/<int:pk>/results/", views.session_results, name="session-results"),
    path("sessions/<int:pk>/finalize/", views.session_finalize, name="session-finalize"),
    path("sessions/<int:pk>/reopen/", views.session_reopen, name="session-reopen"),
    path("sessions/<int:pk>/roster.csv", views.roster_csv, name="roster-csv"),
    path("sessions/<int:pk>/roster.xlsx", views.roster_xlsx, name="roster-xlsx"),
    path("sessions/<int:pk>/roster.pdf", views.roster_pdf, name="roster-pdf"),
]
