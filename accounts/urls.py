from django.contrib.auth import views as auth_views
from django.urls import path

from . import lockouts, two_factor, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/lockouts/", lockouts.lockout_list, name="lockouts"),
    path("accounts/lockouts/unlock/", lockouts.unlock, name="unlock"),
    # Sign-in: the password, then (for a user with an authenticator) the code.
    path("accounts/login/", two_factor.SignInView.as_view(), name="login"),
    path("accounts/login/code/", two_factor.code, name="two-step-code"),
    path("accounts/two-step/", two_factor.setup, name="two-step"),
    path("accounts/two-step/recovery-codes/", two_factor.recovery_codes, name="two-step-recovery-codes"),
    path("accounts/two-step/off/", two_factor.turn_off, name="two-step-off"),
    # django.contrib.auth.urls but for its login view.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password_reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
