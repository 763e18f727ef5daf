"""factory_boy factories for every model; tests build their data through these."""

import datetime

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from certifications.models import Certification, CertificationType, ExpiryReminder
from common.permissions import ADMINISTRATORS, INSTRUCTORS, TRAINEES
from courses.models import Course, CourseSession, Enrollment
from trainees.models import Organization, Trainee


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.mx")
    first_name = "Ana"
    last_name = "Pérez"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        _join(obj, create, extracted)


def _join(user, create, group_name):
    """Save the user (password set) and put it in its role group."""
    if create:
        user.save()
        if group_name:
            user.groups.add(Group.objects.get_or_create(name=group_name)[0])


class AdministratorFactory(UserFactory):
    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        _join(obj, create, extracted or ADMINISTRATORS)


class InstructorFactory(UserFactory):
    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        _join(obj, create, extracted or INSTRUCTORS)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Batallón de Infantería {n}")
    kind = Organization.Kind.MILITARY
    country = "MX"
    training_officer_email = factory.Sequence(lambda n: f"oficial{n}@sedena.example.mx")


class TraineeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trainee

    service_number = factory.Sequence(lambda n: f"MX-{n:06d}")
    given_names = "José Luis"
    paternal_surname = factory.Sequence(lambda n: f"Núñez{n}")
    maternal_surname = "Ibáñez"
    rank = "Capitán"
    category = Trainee.Category.MILITARY
    organization = factory.SubFactory(OrganizationFactory)
    nationality = "MX"
    gender = Trainee.Gender.MALE
    email = factory.Sequence(lambda n: f"trainee{n}@example.mx")


class TraineeUserFactory(UserFactory):
    """A login account in the trainees group with its Trainee record."""

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        _join(obj, create, extracted or TRAINEES)

    trainee = factory.RelatedFactory(TraineeFactory, factory_related_name="user")


class CertificationTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificationType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CERT{n}")
    name = factory.Sequence(lambda n: f"Certificación {n}")
    validity_months = 24


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"CUR-{n:03d}")
    title = factory.Sequence(lambda n: f"Curso de Protección de Civiles {n}")
    duration_hours = 40
    grants = factory.SubFactory(CertificationTypeFactory)


class CourseSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseSession
        skip_postgeneration_save = True

    course = factory.SubFactory(CourseFactory)
    code = factory.Sequence(lambda n: f"SES-{n:04d}")
    starts_on = datetime.date(2026, 3, 2)
    ends_on = datetime.date(2026, 3, 13)
    capacity = 20
    status = CourseSession.Status.OPEN

    @factory.post_generation
    def instructors(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.instructors.add(*extracted)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    session = factory.SubFactory(CourseSessionFactory)
    trainee = factory.SubFactory(TraineeFactory)


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    trainee = factory.SubFactory(TraineeFactory)
    type = factory.SubFactory(CertificationTypeFactory)
    issued_on = datetime.date(2026, 1, 15)


class ExpiryReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpiryReminder

    certification = factory.SubFactory(CertificationFactory)
    stage = 90


class RequirementProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deployments.RequirementProfile"
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"PROF{n}")
    name = factory.Sequence(lambda n: f"Observador militar {n}")
    role = "military_expert"

    @factory.post_generation
    def required_types(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.required_types.add(*extracted)


class DeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deployments.Deployment"

    code = factory.Sequence(lambda n: f"MINURSO-{n:03d}")
    mission = "MINURSO"
    profile = factory.SubFactory(RequirementProfileFactory)
    starts_on = datetime.date(2027, 3, 1)
    ends_on = datetime.date(2027, 8, 31)


class NominationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deployments.Nomination"

    deployment = factory.SubFactory(DeploymentFactory)
    trainee = factory.SubFactory(TraineeFactory)
