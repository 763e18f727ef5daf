"""What a person holds: certification types, issued certifications and the reminder log.

Writes (issue, revoke, supersede) live in certifications/services.py; the reminder sweep
in certifications/reminders.py.
"""

import datetime
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

import pghistory
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, Func, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.permissions import is_administrator

if TYPE_CHECKING:
    from accounts.models import User
    from trainees.models import Trainee

# Crockford's base32: no I, L, O or U, so a code read off paper is hard to mistype.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 4
CODE_GROUP_LENGTH = 4  # 16 symbols x 5 bits = 80 random bits


# The database sequence that numbers certificates in the status list (migration 0008 creates it).
STATUS_LIST_SEQUENCE = "certification_status_list_index_seq"


def generate_code():
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH))
    return "-".join(symbols[i : i + CODE_GROUP_LENGTH] for i in range(0, len(symbols), CODE_GROUP_LENGTH))


def normalize_code(text):
    """The stored form of a code typed by a person: case and dashes forgiven, O/I/L read as 0/1/1."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != CODE_GROUPS * CODE_GROUP_LENGTH:
        return cleaned
    return "-".join(cleaned[i : i + CODE_GROUP_LENGTH] for i in range(0, len(cleaned), CODE_GROUP_LENGTH))


def add_months(day, months):
    """`day` plus whole months; a day missing in the target month falls back to its last day
    (29 February + 12 months = 28 February)."""
    return day + relativedelta(months=months)


class CertificationType(models.Model):
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("validity (months)"), null=True, blank=True, help_text=_("Empty: never expires.")
    )

    class Meta:
        verbose_name = _("certification type")
        verbose_name_plural = _("certification types")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["code"], name="certification_type_unique_code")]

    def __str__(self):
        return self.name


class Standing(models.TextChoices):
    """Where a current (not revoked, not superseded) certification stands on a day, as the
    reports count them: valid beyond the "expiring soon" window, expiring within some days,
    or lapsed. The same conditions as Certification.state()."""

    VALID = "valid", _("Valid")
    EXPIRING = "expiring", _("Expiring")
    LAPSED = "lapsed", _("Lapsed")


def standing_condition(standing, today, *, days=None):
    """The condition (a Q over current certifications) of `standing` on `today`; `days` is the
    window for EXPIRING (default: settings.CERT_EXPIRING_SOON_DAYS). Reports aggregate with
    these conditions and the lists their figures link to filter with them."""
    soon = settings.CERT_EXPIRING_SOON_DAYS
    if standing == Standing.VALID:
        return Q(expires_on__isnull=True) | Q(expires_on__gt=today + timedelta(days=soon))
    if standing == Standing.EXPIRING:
        return Q(expires_on__gte=today, expires_on__lte=today + timedelta(days=soon if days is None else days))
    if standing == Standing.LAPSED:
        return Q(expires_on__lt=today)
    raise ValueError(f"Unknown standing {standing!r}")


class CertificationQuerySet(models.QuerySet):
    def visible_to(self, user: "User") -> models.QuerySet:
        """Administrators see every certification; anyone else only their own."""
        if is_administrator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(trainee__user=user)

    def current(self) -> "CertificationQuerySet":
        """Neither revoked nor superseded by a renewal."""
        return self.filter(revoked_at__isnull=True, superseded_by__isnull=True)

    def valid_on(self, day: datetime.date) -> "CertificationQuerySet":
        return self.filter(revoked_at__isnull=True, issued_on__lte=day).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=day)
        )

    def valid_throughout(self, first_day, last_day):
        """Current (neither revoked nor superseded) and valid_on() every day from `first_day` to
        `last_day` inclusive: issued by the first day and expiring on the last day or later (a
        certificate is valid through its expires_on). Deployment readiness counts these."""
        return (
            self.current()
            .filter(issued_on__lte=first_day)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=last_day))
        )

    def expiring_between(self, start: datetime.date, end: datetime.date) -> "CertificationQuerySet":
        return self.current().filter(expires_on__gte=start, expires_on__lte=end)

    def in_standing(self, standing: str, today: datetime.date, *, days: int | None = None) -> "CertificationQuerySet":
        """Current certifications in one standing on `today` (see `standing_condition`)."""
        return self.current().filter(standing_condition(standing, today, days=days))

    def expiring_soon(self, today: datetime.date) -> "CertificationQuerySet":
        """Current certifications that expire within settings.CERT_EXPIRING_SOON_DAYS of `today`."""
        return self.expiring_between(today, today + timedelta(days=settings.CERT_EXPIRING_SOON_DAYS))

    def lapsed_recently(self, today: datetime.date) -> "CertificationQuerySet":
        """Current certifications that expired within the last settings.CERT_EXPIRING_SOON_DAYS."""
        return self.expiring_between(
            today - timedelta(days=settings.CERT_EXPIRING_SOON_DAYS), today - timedelta(days=1)
        )

    def in_state(self, state: str, today: datetime.date | None = None) -> "CertificationQuerySet":
        """The certifications whose Certification.state(today) is `state`, decided by the database
        (the current ones through standing_condition, as the reports count them)."""
        today = today or timezone.localdate()
        State = Certification.State
        if state == State.REVOKED:
            return self.filter(revoked_at__isnull=False)
        if state == State.SUPERSEDED:
            return self.filter(revoked_at__isnull=True, superseded_by__isnull=False)
        standing = {State.VALID: Standing.VALID, State.EXPIRING: Standing.EXPIRING, State.EXPIRED: Standing.LAPSED}
        if state in standing:
            return self.current().filter(standing_condition(standing[state], today))
        return self.none()

    def due_for_reminder(
        self, today: datetime.date, *, stages: list[int] | None = None, grace_days: int | None = None
    ) -> "CertificationQuerySet":
        """Current certifications owed a reminder on `today`, annotated with `reminder_stage`.

        Selected by a range, never an exact date: expiring within the longest stage, or
        expired no more than the grace period ago (so a day the job did not run is caught up
        the next day). `reminder_stage` is the most urgent stage due (the smallest stage not
        shorter than the days left); a certification is left out when that stage, or a more
        urgent one, already has a reminder, so skipped earlier stages are never sent later.
        The reminder sweep claims exactly these rows (certifications/reminders.py).
        """
        stages = sorted(set(settings.CERT_REMINDER_DAYS if stages is None else stages))
        if not stages:
            return self.none()
        grace_days = settings.CERT_REMINDER_GRACE_DAYS if grace_days is None else grace_days
        # Ascending stages: the first `expires_on <= today + stage` that holds is the most urgent.
        stage = Case(
            *[When(expires_on__lte=today + timedelta(days=days), then=Value(days)) for days in stages],
            default=Value(stages[-1]),
            output_field=models.PositiveSmallIntegerField(),
        )
        already_reminded = ExpiryReminder.objects.filter(
            certification=OuterRef("pk"), stage__lte=OuterRef("reminder_stage")
        )
        return (
            self.current()
            .filter(
                expires_on__lte=today + timedelta(days=stages[-1]),
                expires_on__gte=today - timedelta(days=grace_days),
            )
            .annotate(reminder_stage=stage)
            .filter(~Exists(already_reminded))
        )

    def with_reminder_state(self) -> "CertificationQuerySet":
        """Annotate the latest (most urgent) reminder of each certification: `last_reminder_stage`,
        `last_reminder_state`, `last_reminder_sent_at` (all None when it has had none), in one query."""
        latest = ExpiryReminder.objects.filter(certification=OuterRef("pk")).order_by("stage")
        return self.annotate(
            last_reminder_stage=Subquery(latest.values("stage")[:1]),
            last_reminder_state=Subquery(latest.values("state")[:1]),
            last_reminder_sent_at=Subquery(latest.values("sent_at")[:1]),
        )


class Certification(models.Model):
    class State(models.TextChoices):
        VALID = "valid", _("Valid")
        EXPIRING = "expiring", _("Expiring soon")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")
        SUPERSEDED = "superseded", _("Superseded by a renewal")

    trainee = models.ForeignKey(
        "trainees.Trainee", verbose_name=_("trainee"), on_delete=models.PROTECT, related_name="certifications"
    )
    type = models.ForeignKey(
        CertificationType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="certifications"
    )
    code = models.CharField(_("verification code"), max_length=24, default=generate_code, editable=False)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    enrollment = models.ForeignKey(
        "courses.Enrollment",
        verbose_name=_("enrolment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certifications",
    )
    issuer = models.CharField(
        _("issuer"), max_length=200, blank=True, help_text=_("For certifications from another institution.")
    )
    scan = models.FileField(_("scan"), upload_to="certification-scans/%Y/", blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Its bit in the issuer's Bitstring Status List (certifications/credentials.py): drawn from a
    # database sequence on insert (bulk inserts too), so it is unique, never reused and never changes.
    status_list_index = models.BigIntegerField(
        _("status list index"),
        db_default=Func(Value(STATUS_LIST_SEQUENCE), function="nextval", output_field=models.BigIntegerField()),
        editable=False,
    )
    # Salt of the holder's hashed identifiers in the verifiable credential: one per certificate, so
    # that two credentials of one person cannot be linked by their hashes.
    credential_salt = models.UUIDField(
        _("credential salt"),
        db_default=Func(function="gen_random_uuid", output_field=models.UUIDField()),
        editable=False,
    )

    objects = CertificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="certification_unique_code"),
            # Also the index the status list is built from: the revoked or superseded ones in a range.
            models.UniqueConstraint(fields=["status_list_index"], name="certification_unique_status_list_index"),
            # One live certificate per enrolment; a revoked one may be followed by a re-issue.
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(enrollment__isnull=False, revoked_at__isnull=True),
                name="certification_one_live_per_enrollment",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("issued_on")),
                name="certification_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="certification_revocation_has_reason",
            ),
        ]
        indexes = [
            # Reminder sweep and expiring report: live certificates by expiry date.
            models.Index(
                fields=["expires_on"],
                name="certification_live_expiry_idx",
                condition=Q(revoked_at__isnull=True, superseded_by__isnull=True, expires_on__isnull=False),
            ),
            # Prerequisite check and supersede: a trainee's certificates of one type.
            models.Index(fields=["trainee", "type", "issued_on"], name="certification_holder_type_idx"),
        ]

    def __str__(self):
        return f"{self.type} — {self.trainee.full_name} ({self.code})"

    def save(self, *args, **kwargs):
        if self.expires_on is None and self.type.validity_months:
            self.expires_on = add_months(self.issued_on, self.type.validity_months)
        super().save(*args, **kwargs)

    @property
    def is_external(self) -> bool:
        """Recorded by hand from another institution: no CECOPAM certificate PDF."""
        return self.enrollment_id is None and bool(self.issuer)

    def state(self, today: datetime.date | None = None) -> str:
        today = today or timezone.localdate()
        if self.revoked_at:
            return self.State.REVOKED
        if self.superseded_by_id:
            return self.State.SUPERSEDED
        if self.expires_on is None:
            return self.State.VALID
        if self.expires_on < today:
            return self.State.EXPIRED
        if self.expires_on <= today + timedelta(days=settings.CERT_EXPIRING_SOON_DAYS):
            return self.State.EXPIRING
        return self.State.VALID

    def get_state_display(self):
        return self.State(self.state()).label

    def days_left(self, today: datetime.date) -> int | None:
        """Days from `today` to the expiry date (negative once expired); None if it never expires."""
        if self.expires_on is None:
            return None
        return (self.expires_on - today).days


class ExpiryReminderQuerySet(models.QuerySet):
    def visible_to(self, user: "User") -> models.QuerySet:
        """Administrators see every reminder; a trainee, those about their own certifications."""
        if is_administrator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(certification__trainee__user=user)

    def sent_to(self, trainee: "Trainee") -> "ExpiryReminderQuerySet":
        """The reminders a trainee was sent, newest first (their /me/ page lists them)."""
        return (
            self.filter(certification__trainee=trainee, state=ExpiryReminder.State.SENT)
            .select_related("certification__type")
            .order_by("-sent_at", "-pk")
        )

    def needs_attention(self) -> "ExpiryReminderQuerySet":
        """Reminders an administrator must look at: still failing, or with no address to send to."""
        return self.filter(state__in=[ExpiryReminder.State.FAILING, ExpiryReminder.State.UNDELIVERABLE])

    def stalled(
        self,
        now: datetime.datetime,
        *,
        pending_after: datetime.timedelta,
        sending_after: datetime.timedelta,
        failing_after: datetime.timedelta,
    ) -> "ExpiryReminderQuerySet":
        """Claimed reminders whose send never finished and that no task is known to be retrying.

        pending: claimed, but the task was never enqueued or was lost with the broker;
        sending: the worker died in the middle (the lease has run out);
        failing: retries exhausted, or the retry message was lost.
        """
        State = ExpiryReminder.State
        return self.filter(
            Q(state=State.PENDING, created_at__lt=now - pending_after)
            | Q(state=State.SENDING, last_attempt_at__lt=now - sending_after)
            | Q(state=State.FAILING, last_attempt_at__lt=now - failing_after)
        )


class ExpiryReminder(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        # A task has claimed the send (conditional UPDATE) and is talking to the mail server.
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILING = "failing", _("Failing")
        UNDELIVERABLE = "undeliverable", _("Undeliverable")
        # Revoked or superseded between the claim and the send: nothing was sent.
        CANCELLED = "cancelled", _("Cancelled")

    certification = models.ForeignKey(
        Certification,
        verbose_name=_("certification"),
        on_delete=models.PROTECT,
        related_name="reminders",
        # The unique (certification, stage) index serves every lookup by certification; a second
        # index would only slow down the sweep's bulk claim.
        db_index=False,
    )
    stage = models.PositiveSmallIntegerField(_("stage (days before expiry)"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, blank=True, help_text=_("Language the message was written in.")
    )

    objects = ExpiryReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("expiry reminder")
        verbose_name_plural = _("expiry reminders")
        ordering = ["-created_at"]
        constraints = [
            # The claim: a stage is sent at most once per certification, ever.
            models.UniqueConstraint(fields=["certification", "stage"], name="expiry_reminder_once_per_stage"),
        ]
        indexes = [
            # Re-enqueue of claimed-but-unsent reminders, and the failing/undeliverable panels.
            models.Index(
                fields=["state", "created_at"],
                name="expiry_reminder_open_idx",
                condition=~Q(state="sent"),
            ),
        ]

    def __str__(self):
        return f"{self.certification.code} — {self.stage} d"


class StatusList(models.Model):
    """One signed Bitstring Status List credential (W3C), as served at /credentials/status/<number>.json.

    Stored, not rebuilt per request: the revoke and issue services bump `version` when a bit of
    this list may have changed, and the next request re-signs it when `signed_version` lags
    (certifications/credentials.py, `status_list_credential`).
    """

    number = models.PositiveIntegerField(_("number"))
    version = models.PositiveIntegerField(_("version"), default=0)
    signed_version = models.PositiveIntegerField(_("signed version"), null=True, blank=True)
    credential = models.JSONField(_("signed credential"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")
        constraints = [models.UniqueConstraint(fields=["number"], name="status_list_unique_number")]

    def __str__(self):
        return f"{self.number} (v{self.version})"


pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), model_name="CertificationEvent")(Certification)


class StoredCertificate(models.Model):
    """An issued certificate's PDF, rendered once (certifications/stored_documents.py).

    A certificate is immutable until revoked: its PDF is kept here, one per language, with the
    fingerprint (SHA-256) of the HTML it was rendered from. A download renders only the HTML
    (milliseconds) and serves these bytes while the fingerprint matches; anything printed that
    changes (a corrected name, a new template) changes the fingerprint and the PDF is rendered
    again. Revoking deletes the rows (services.revoke_certification); a revoked certificate is
    never served anyway. In the database, the PDFs are backed up with everything else and every
    server behind a load balancer sees them.
    """

    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="stored_pdfs", verbose_name=_("certification")
    )
    language = models.CharField(_("language"), max_length=16)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    pdf = models.BinaryField(_("PDF"))
    rendered_at = models.DateTimeField(_("rendered at"), auto_now=True)

    class Meta:
        verbose_name = _("stored certificate")
        verbose_name_plural = _("stored certificates")
        constraints = [
            # Looked up by (certification, language) on every certificate download.
            models.UniqueConstraint(fields=["certification", "language"], name="storedcertificate_one_per_language"),
        ]

    def __str__(self):
        return f"{self.certification_id} ({self.language})"
