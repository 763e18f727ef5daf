from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .two_factor import remember_whether_a_device_exists

        user_logged_in.connect(remember_whether_a_device_exists, dispatch_uid="accounts.two_factor")
