from django.urls import include, path

from . import lockouts, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/lockouts/", lockouts.lockout_list, name="lockouts"),
    path("accounts/lockouts/unlock/", lockouts.unlock, name="unlock"),
    path("accounts/", include("django.contrib.auth.urls")),
]
