"""People who train at CECOPAM and the organizations they come from."""

import unicodedata
from typing import TYPE_CHECKING

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, TextField
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from common.collation import spanish_key
from common.links import page_url
from common.permissions import is_administrator, is_instructor

if TYPE_CHECKING:
    from accounts.models import User

# Names sort in Spanish order in every query, whatever the database's default collation (a
# database created with the C collation puts "Ávila" after "Zúñiga"): the name columns use
# PostgreSQL's ICU collation for Spanish (migration 0004 creates it where missing). Python sorts
# with common.collation.spanish_key, which agrees with it.
NAME_COLLATION = "es-x-icu"


def normalize_search(text):
    """Lower-case and strip accents, as the database's trainee_search_text() does."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Administrators see every organization; anyone else, those of the trainees they see."""
        if is_administrator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=Trainee.objects.visible_to(user).values("organization_id"))


class Organization(models.Model):
    class Kind(models.TextChoices):
        MILITARY = "military", _("Military")
        POLICE = "police", _("Police")
        CIVILIAN = "civilian", _("Civilian")
        PARTNER = "partner", _("Partner nation")

    name = models.CharField(_("name"), max_length=200, db_collation=NAME_COLLATION)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.MILITARY)
    country = CountryField(_("country"), default="MX")
    training_officer_email = models.EmailField(
        _("training officer email"), blank=True, help_text=_("Copied on certification expiry reminders.")
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="organization_unique_name")]

    def __str__(self):
        return self.name


class TraineeQuerySet(models.QuerySet):
    def visible_to(self, user: "User") -> "TraineeQuerySet":
        """Administrators see every trainee; an instructor, those enrolled in sessions they
        teach; a trainee, only themself; anyone else, nobody."""
        if is_administrator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        if is_instructor(user):
            # A correlated EXISTS, not `pk IN (everyone they ever taught)`: beside an OR the
            # database cannot turn IN into a join, so it built the whole set (17,000 trainees
            # of an instructor at national scale, 130 ms) even to check the 30 of one session;
            # EXISTS is checked per row when few rows are asked, hashed when many are.
            taught = self.model.objects.filter(pk=OuterRef("pk"), enrollments__session__instructors=user)
            return self.filter(Exists(taught) | Q(user=user))
        return self.filter(user=user)

    def search(self, text: str) -> "TraineeQuerySet":
        """Accent- and case-insensitive match on names and service number (trigram index)."""
        needle = normalize_search(text)
        if not needle:
            return self
        qs = self
        for word in needle.split():
            qs = qs.filter(search_text__contains=word)
        return qs


def name_order(path: str = "") -> tuple[str, ...]:
    """The order people are listed in everywhere: surnames, then given names (the columns take
    the Spanish collation), then id so that the order is total. `path` reaches the trainee from
    another model, e.g. name_order("trainee__")."""
    return tuple(f"{path}{name}" for name in (*Trainee.NAME_FIELDS, "id"))


def name_key(trainee: "Trainee") -> tuple:
    """name_order() in Python (common.collation.spanish_key agrees with the database)."""
    return (*(spanish_key(getattr(trainee, name)) for name in Trainee.NAME_FIELDS), trainee.pk)


class Trainee(models.Model):
    NAME_FIELDS = ("paternal_surname", "maternal_surname", "given_names")

    class Category(models.TextChoices):
        MILITARY = "military", _("Military")
        POLICE = "police", _("Police")
        CIVILIAN = "civilian", _("Civilian")

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DEPLOYED = "deployed", _("Deployed")
        INACTIVE = "inactive", _("Inactive")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trainee",
    )
    service_number = models.CharField(_("service number"), max_length=40)
    given_names = models.CharField(_("given names"), max_length=120, db_collation=NAME_COLLATION)
    paternal_surname = models.CharField(_("paternal surname"), max_length=80, db_collation=NAME_COLLATION)
    maternal_surname = models.CharField(_("maternal surname"), max_length=80, blank=True, db_collation=NAME_COLLATION)
    rank = models.CharField(_("rank"), max_length=60, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, default=Category.MILITARY)
    branch = models.CharField(_("branch"), max_length=80, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trainees",
    )
    nationality = CountryField(_("nationality"))
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="es"
    )
    # Deployment requirement profiles set a minimum age and years of service (deployments/readiness.py).
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    service_started_on = models.DateField(_("in service since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Lower-cased, unaccented names and service number, computed by the database
    # (function trainee_search_text, migration 0001) so that every write path keeps it current.
    search_text = models.GeneratedField(
        expression=models.Func(
            F("given_names"),
            F("paternal_surname"),
            F("maternal_surname"),
            F("service_number"),
            function="trainee_search_text",
            output_field=TextField(),
        ),
        output_field=TextField(),
        db_persist=True,
        editable=False,
    )

    objects = TraineeQuerySet.as_manager()

    class Meta:
        verbose_name = _("trainee")
        verbose_name_plural = _("trainees")
        constraints = [
            models.UniqueConstraint(fields=["service_number", "nationality"], name="trainee_unique_service_number"),
        ]
        indexes = [
            # The trainee list: default ordering by surnames, and the keyset pages over it.
            models.Index(
                fields=["paternal_surname", "maternal_surname", "given_names", "id"], name="trainee_name_order_idx"
            ),
            # The trainee list filtered by nationality / status / category (each with the name order).
            models.Index(fields=["nationality", "paternal_surname"], name="trainee_nationality_idx"),
            models.Index(fields=["status", "paternal_surname"], name="trainee_status_idx"),
            models.Index(fields=["category", "paternal_surname"], name="trainee_category_idx"),
            # `?q=` search: LIKE '%word%' on the unaccented text uses this trigram index.
            GinIndex(fields=["search_text"], name="trainee_search_trgm_idx", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.service_number})"

    def get_absolute_url(self) -> str:
        # The record page shows every app's data and is composed in reports/ (common/links.py).
        return page_url("trainee-record", self.pk)

    @property
    def surnames(self):
        return " ".join(part for part in (self.paternal_surname, self.maternal_surname) if part)

    @property
    def full_name(self):
        return f"{self.given_names} {self.surnames}".strip()

    @property
    def display_name(self):
        """Rank and full name, as printed on rosters and certificates."""
        return f"{self.rank} {self.full_name}".strip()


class TraineeLanguage(models.Model):
    class Proficiency(models.TextChoices):
        BASIC = "basic", _("Basic")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")
        NATIVE = "native", _("Native")

    trainee = models.ForeignKey(Trainee, on_delete=models.CASCADE, related_name="languages")
    language = models.CharField(_("language"), max_length=8, help_text=_("ISO 639-1 code, e.g. es, en, fr."))
    proficiency = models.CharField(_("proficiency"), max_length=16, choices=Proficiency.choices)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        constraints = [
            models.UniqueConstraint(fields=["trainee", "language"], name="trainee_language_unique"),
        ]

    def __str__(self):
        return f"{self.language} ({self.get_proficiency_display()})"


pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["search_text", "updated_at"],
    model_name="TraineeEvent",
)(Trainee)
