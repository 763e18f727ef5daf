"""Login accounts. Roles are Django groups (see common/permissions.py)."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Language of the interface; empty follows the browser."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username


class ExportLogManager(models.Manager):
    def record(
        self, *, user: "User", kind: str, parameters: dict | None = None, row_count: int | None = None
    ) -> "ExportLog":
        """Log one export: `kind` names it (roster-csv, trainees-xlsx, ...), `parameters` the
        session or the filters it was made with; `user` is None for a command."""
        return self.create(
            user=user if user is not None and user.is_authenticated else None,
            kind=kind,
            parameters=parameters or {},
            row_count=row_count,
        )


class ExportLog(models.Model):
    """Who exported what, when: every roster, list and report export writes one row
    (ExportLog.objects.record)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, null=True, blank=True
    )
    kind = models.CharField(_("export"), max_length=40)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)

    objects = ExportLogManager()

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-created_at"]
        indexes = [
            # The admin's export log, newest first.
            models.Index(fields=["-created_at"], name="exportlog_created_idx"),
        ]

    def __str__(self):
        return f"{self.kind} — {self.created_at:%Y-%m-%d %H:%M}"
