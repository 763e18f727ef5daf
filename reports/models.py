"""What reports/ keeps of its own: the log of monthly summaries, one row per month (the claim)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MonthlySummary(models.Model):
    """The administrators' summary of one month. Its unique row is the claim that the month's
    summary is sent once (reports/summary.py); the send itself is claimed by a conditional UPDATE."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILING = "failing", _("Failing")
        NO_RECIPIENT = "no_recipient", _("No administrator with an email address")

    month = models.DateField(_("month reported"), help_text=_("The first day of the month the summary covers."))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("monthly summary")
        verbose_name_plural = _("monthly summaries")
        ordering = ["-month"]
        constraints = [
            # The claim: one summary per month, ever.
            models.UniqueConstraint(fields=["month"], name="monthly_summary_once_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="monthly_summary_first_of_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} — {self.get_state_display()}"
