from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TraineesConfig(AppConfig):
    name = "trainees"
    verbose_name = _("Trainees")

    def ready(self):
        from .records import forget_rendered_records

        post_migrate.connect(forget_rendered_records, sender=self, dispatch_uid="trainees.forget_rendered_records")
