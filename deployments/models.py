"""Who can deploy: requirement profiles per UN role, planned deployments and nominations.

Readiness (does a person meet a profile over a window) is computed in deployments/readiness.py;
writes (nominate, withdraw, deployment reminders) live in deployments/services.py and
deployments/reminders.py.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.permissions import is_administrator
from trainees.models import TraineeLanguage

# Proficiency levels in increasing order: "English level 2" in a UN vacancy reads as intermediate.
PROFICIENCY_ORDER = tuple(TraineeLanguage.Proficiency.values)


class Role(models.TextChoices):
    MILITARY_EXPERT = "military_expert", _("UN military expert on mission")
    STAFF_OFFICER = "staff_officer", _("UN staff officer")
    CONTINGENT_MEMBER = "contingent_member", _("Contingent member")
    INDIVIDUAL_POLICE = "individual_police", _("Individual police officer")
    FORMED_POLICE_UNIT = "formed_police_unit", _("Formed police unit member")
    CIVILIAN = "civilian", _("Civilian")


class RequirementProfileQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Profiles are the administrators' tool: nobody else sees them."""
        return self if is_administrator(user) else self.none()

    def active(self):
        return self.filter(is_active=True)


class RequirementProfile(models.Model):
    Role = Role

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("UN role"), max_length=24, choices=Role.choices)
    description = models.TextField(_("description"), blank=True)
    required_types = models.ManyToManyField(
        "certifications.CertificationType",
        verbose_name=_("required certifications"),
        blank=True,
        related_name="requirement_profiles",
        help_text=_("Each must be valid on every day of the deployment."),
    )
    min_age = models.PositiveSmallIntegerField(
        _("minimum age"), null=True, blank=True, help_text=_("Age on the deployment's first day.")
    )
    min_service_years = models.PositiveSmallIntegerField(
        _("minimum years of service"), null=True, blank=True, help_text=_("Completed by the deployment's first day.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = RequirementProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("requirement profile")
        verbose_name_plural = _("requirement profiles")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["code"], name="requirement_profile_unique_code")]

    def __str__(self):
        return f"{self.code} — {self.name}"


class LanguageRequirement(models.Model):
    """A language a profile requires, at a minimum level."""

    profile = models.ForeignKey(
        RequirementProfile, verbose_name=_("profile"), on_delete=models.CASCADE, related_name="languages"
    )
    language = models.CharField(_("language"), max_length=8, help_text=_("ISO 639-1 code, e.g. en, fr."))
    minimum = models.CharField(
        _("minimum level"),
        max_length=16,
        choices=TraineeLanguage.Proficiency.choices,
        default=TraineeLanguage.Proficiency.INTERMEDIATE,
    )

    class Meta:
        verbose_name = _("language requirement")
        verbose_name_plural = _("language requirements")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "language"], name="language_requirement_once_per_profile"),
        ]

    def __str__(self):
        return f"{self.language} ≥ {self.get_minimum_display()}"

    @property
    def accepted_levels(self):
        """The proficiencies that meet this requirement (this level and the ones above)."""
        return list(PROFICIENCY_ORDER[PROFICIENCY_ORDER.index(self.minimum) :])


class DeploymentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Administrators see every deployment; anyone else none (a trainee sees their own
        nominations through Nomination.objects.visible_to)."""
        return self if is_administrator(user) else self.none()


class Deployment(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        NOMINATING = "nominating", _("Nominating")
        DEPLOYED = "deployed", _("Deployed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=40)
    mission = models.CharField(_("mission"), max_length=200, help_text=_("e.g. MINURSO, MINUSCA."))
    profile = models.ForeignKey(
        RequirementProfile, verbose_name=_("requirement profile"), on_delete=models.PROTECT, related_name="deployments"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    positions = models.PositiveSmallIntegerField(_("positions"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["-starts_on", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="deployment_unique_code"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="deployment_ends_after_start"),
            models.CheckConstraint(
                condition=Q(positions__isnull=True) | Q(positions__gte=1), name="deployment_positions_at_least_one"
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.mission}"

    @property
    def is_open(self):
        """Still taking nominations and owed reminders (not completed nor cancelled)."""
        return self.status in (self.Status.PLANNED, self.Status.NOMINATING, self.Status.DEPLOYED)


OPEN_DEPLOYMENT_STATUSES = (Deployment.Status.PLANNED, Deployment.Status.NOMINATING, Deployment.Status.DEPLOYED)


class NominationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Administrators see every nomination; a trainee, only their own."""
        if is_administrator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(trainee__user=user)

    def active(self):
        """Nominations that still stand (not withdrawn, not returned)."""
        return self.filter(status__in=ACTIVE_NOMINATION_STATUSES)


class Nomination(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        DEPLOYED = "deployed", _("Deployed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        RETURNED = "returned", _("Returned")

    deployment = models.ForeignKey(
        Deployment, verbose_name=_("deployment"), on_delete=models.PROTECT, related_name="nominations"
    )
    trainee = models.ForeignKey(
        "trainees.Trainee", verbose_name=_("trainee"), on_delete=models.PROTECT, related_name="nominations"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nominated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    nominated_at = models.DateTimeField(_("nominated at"), default=timezone.now)
    notes = models.TextField(_("notes"), blank=True)
    # Readiness as it stood when the person was nominated (it changes afterwards as
    # certificates are renewed or lapse; the page shows both).
    ready_when_nominated = models.BooleanField(_("ready when nominated"), default=True)
    warning = models.TextField(_("warning"), blank=True, help_text=_("What was not met when nominated."))

    objects = NominationQuerySet.as_manager()

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        constraints = [
            models.UniqueConstraint(fields=["deployment", "trainee"], name="nomination_unique_trainee_per_deployment"),
        ]
        indexes = [
            # A trainee's nominations on /me/ (the unique pair starts with the deployment).
            models.Index(fields=["trainee", "status"], name="nomination_trainee_idx"),
        ]

    def __str__(self):
        return f"{self.trainee} → {self.deployment.code}"


ACTIVE_NOMINATION_STATUSES = (Nomination.Status.PROPOSED, Nomination.Status.APPROVED, Nomination.Status.DEPLOYED)


class DeploymentReminder(models.Model):
    """One message to a nominee (and their training officer) that a certificate lapses before
    the deployment ends: claimed once per nomination and certification by its unique row."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILING = "failing", _("Failing")
        UNDELIVERABLE = "undeliverable", _("Undeliverable")
        CANCELLED = "cancelled", _("Cancelled")

    nomination = models.ForeignKey(
        Nomination,
        verbose_name=_("nomination"),
        on_delete=models.PROTECT,
        related_name="reminders",
        db_index=False,  # the unique (nomination, certification) index serves lookups by nomination
    )
    certification = models.ForeignKey(
        "certifications.Certification", verbose_name=_("certification"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("deployment reminder")
        verbose_name_plural = _("deployment reminders")
        ordering = ["-created_at"]
        constraints = [
            # The claim: one message per nomination and certificate, ever.
            models.UniqueConstraint(
                fields=["nomination", "certification"], name="deployment_reminder_once_per_certificate"
            ),
        ]
        indexes = [
            # Re-enqueue of claimed-but-unsent reminders.
            models.Index(
                fields=["state", "created_at"], name="deployment_reminder_open_idx", condition=~Q(state="sent")
            ),
        ]

    def __str__(self):
        return f"{self.nomination} — {self.certification_id}"


for _model in (RequirementProfile, Deployment, Nomination):
    pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), model_name=f"{_model.__name__}Event")(_model)
pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), model_name="LanguageRequirementEvent"
)(LanguageRequirement)
# Which certifications a profile requires: the M2M rows' history (added, removed).
pghistory.track(
    pghistory.InsertEvent(),
    pghistory.DeleteEvent(),
    obj_field=pghistory.ObjForeignKey(related_name="+"),
    model_name="RequiredTypeEvent",
)(RequirementProfile.required_types.through)
