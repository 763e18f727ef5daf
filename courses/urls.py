from django.urls import path

from cecopam import history_views

from . import views

app_name = "courses"

urlpatterns = [
    path("courses/", views.course_list, name="course-list"),
    path("sessions/", views.session_list, name="session-list"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/history/", history_views.session_history, name="session-history"),
]
