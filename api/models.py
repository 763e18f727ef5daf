"""Tokens that integrations (other systems) use to call the REST API, and the log of their uses.

A token is shown once, when it is created; only its SHA-256 digest is stored, so a copy of the
database gives no usable token. A token acts as its user, with that user's role and
visibility, and may be limited to reading.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "cecopam_"  # noqa: S105 - a public prefix that names the token's kind, not a secret


def token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    name = models.CharField(_("name"), max_length=100, help_text=_("The integration that uses it, e.g. SEDENA HR."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.PROTECT,
        related_name="api_tokens",
    )
    digest = models.CharField(_("digest"), max_length=64, editable=False)
    # The first characters of the token, shown in lists so that a person can tell tokens apart.
    hint = models.CharField(_("starts with"), max_length=16, editable=False)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    use_count = models.PositiveBigIntegerField(_("uses"), default=0)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            # Every API request looks its token up by digest (api/authentication.py).
            models.UniqueConstraint(fields=["digest"], name="api_token_unique_digest"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expires_after"),
        ]

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    def state(self, now=None):
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"

    @property
    def can_write(self):
        return self.scope == self.Scope.WRITE


class ApiTokenUse(models.Model):
    """One request made with a token: which, when, what, and the answer's status."""

    token = models.ForeignKey(ApiToken, verbose_name=_("token"), on_delete=models.CASCADE, related_name="uses")
    used_at = models.DateTimeField(_("used at"), default=timezone.now)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=300)
    status = models.PositiveSmallIntegerField(_("status"))
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token use")
        verbose_name_plural = _("API token uses")
        indexes = [
            # The token page: a token's latest uses.
            models.Index(fields=["token", "-used_at"], name="api_token_use_recent_idx"),
        ]

    def __str__(self):
        return f"{self.token_id} {self.method} {self.path} {self.status}"
