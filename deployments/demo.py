"""Demo data for deployments, run by `manage.py seed_demo` after courses' demo (courses/demo.py):
personal documents as external certifications, the requirement profiles of the six UN roles,
dates of birth and of entry into service, and deployments with nominations.

Idempotent like courses' demo: everything is keyed on stable codes, drawn from seeded random
generators, written only where missing; nominations go through deployments.services.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pghistory
from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from certifications.models import Certification, CertificationType
from certifications.services import issue_certification
from trainees.models import Trainee, TraineeLanguage, name_order

from .models import Deployment, LanguageRequirement, RequirementProfile, Role
from .readiness import pool
from .services import nominate

SEED = 2027


@dataclass(frozen=True)
class DocumentSpec:
    code: str
    name: str
    validity_months: int | None
    issuer: str
    share: float  # of active military and police people who hold one
    lapsing_share: float  # of those, how many expire within the next year


DOCUMENTS = [
    DocumentSpec("PASAPORTE", "Pasaporte oficial vigente", 120, "Secretaría de Relaciones Exteriores", 0.9, 0.08),
    DocumentSpec("LICENCIA", "Licencia de conducir (vehículos ligeros 4×4)", 36, "Secretaría de Movilidad", 0.8, 0.15),
    DocumentSpec("PRIMAUX", "Primeros auxilios en combate", 24, "Cruz Roja Mexicana", 0.75, 0.2),
    DocumentSpec("APTITUD", "Examen de aptitud física", 12, "Dirección General de Sanidad", 0.85, 0.3),
    DocumentSpec("TIRO", "Calificación de tiro con arma corta", 12, "Escuela Militar de Tiro", 0.6, 0.3),
    DocumentSpec("INGLES2", "Certificado de inglés, nivel 2 (ONU)", 36, "Centro de Idiomas del Ejército", 0.45, 0.1),
]


@dataclass(frozen=True)
class ProfileSpec:
    code: str
    name: str
    role: str
    types: tuple
    min_age: int | None = None
    min_service_years: int | None = None
    languages: tuple = ()  # (language, minimum level)


PROFILES = [
    ProfileSpec(
        "UNMEM", "Experto militar de la ONU en misión (observador militar)", Role.MILITARY_EXPERT,
        ("UNMEM", "CPTM", "DIH", "PASAPORTE", "LICENCIA", "PRIMAUX"), 25, 5, (("en", "intermediate"),),
    ),
    ProfileSpec(
        "UNSO", "Oficial de Estado Mayor de la ONU", Role.STAFF_OFFICER,
        ("UNSOC", "CPTM", "DIH", "PASAPORTE"), 28, 8, (("en", "intermediate"),),
    ),
    ProfileSpec(
        "CONT-ING", "Integrante de contingente (compañía de ingenieros)", Role.CONTINGENT_MEMBER,
        ("CPTM", "UFL", "ING", "PASAPORTE", "APTITUD", "TIRO"), 18, 1,
    ),
    ProfileSpec(
        "IPO", "Policía individual de la ONU", Role.INDIVIDUAL_POLICE,
        ("CPTM", "DDHH", "PASAPORTE", "LICENCIA", "TIRO"), 25, 5, (("en", "intermediate"),),
    ),
    ProfileSpec(
        "FPU", "Integrante de unidad de policía constituida", Role.FORMED_POLICE_UNIT,
        ("CPTM", "UFL", "DDHH", "PASAPORTE", "APTITUD", "TIRO"), 21, 2,
    ),
    ProfileSpec(
        "CIV", "Personal civil de misión", Role.CIVILIAN, ("CPTM", "GEN", "PASAPORTE", "PRIMAUX"), 21, None,
        (("en", "intermediate"),),
    ),
]  # fmt: skip


@dataclass(frozen=True)
class DeploymentSpec:
    code: str
    mission: str
    profile: str
    starts_in: int  # days from the day first seeded
    months: int
    positions: int
    status: str
    nominate_ready: int = 0
    nominate_almost: int = 0


DEPLOYMENTS = [
    DeploymentSpec("MINURSO-OBS-01", "MINURSO (Sáhara Occidental)", "UNMEM", 75, 6, 6, "nominating", 4, 1),
    DeploymentSpec("UNVMC-OBS-01", "Misión de Verificación de la ONU en Colombia", "UNMEM", 200, 12, 8, "planned"),
    DeploymentSpec("MINUSCA-ING-01", "MINUSCA (República Centroafricana)", "CONT-ING", 150, 6, 20, "planned"),
    DeploymentSpec("UNIFIL-SO-01", "FPNUL/UNIFIL (Líbano)", "UNSO", 90, 12, 2, "nominating", 1, 1),
]


def _seed_document_types():
    return {
        spec.code: CertificationType.objects.update_or_create(
            code=spec.code, defaults={"name": spec.name, "validity_months": spec.validity_months}
        )[0]
        for spec in DOCUMENTS
    }


def _seed_people_dates(trainees):
    """Dates of birth and of entry into service, where not recorded: mostly born 1976-1998, one
    in ten a junior born 2000-2004; in service since 19 to 22 (civilians: 23)."""
    missing = [t for t in trainees if t.date_of_birth is None or t.service_started_on is None]
    for trainee in missing:
        rng = random.Random(f"{SEED}-{trainee.service_number}-{trainee.nationality}")
        if rng.random() < 0.1:
            born = date(2000, 1, 1) + timedelta(days=rng.randint(0, 4 * 365))
        else:
            born = date(1976, 1, 1) + timedelta(days=rng.randint(0, 22 * 365))
        trainee.date_of_birth = trainee.date_of_birth or born
        started_at = 23 if trainee.category == Trainee.Category.CIVILIAN else rng.randint(19, 22)
        trainee.service_started_on = trainee.service_started_on or born + relativedelta(
            years=started_at, days=rng.randint(0, 300)
        )
    Trainee.objects.bulk_update(missing, ["date_of_birth", "service_started_on"], batch_size=500)


def _experts():
    """Holders of a current observer's or staff officer's certificate: the centre keeps their
    papers and English current, as a mission may call them at short notice."""
    return set(
        Certification.objects.current().filter(type__code__in=["UNMEM", "UNSOC"]).values_list("trainee_id", flat=True)
    )


def _seed_documents(*, today, types, trainees):
    """Personal documents recorded as certifications from other institutions (one per person and
    type: nothing to supersede); some lapse within the year, so readiness has something to say."""
    experts = _experts()
    held = set(
        Certification.objects.filter(type__in=types.values(), trainee__in=trainees).values_list("trainee_id", "type_id")
    )
    new = []
    for spec in DOCUMENTS:
        certification_type = types[spec.code]
        rng = random.Random(f"{SEED}-{spec.code}")
        for trainee in trainees:
            draw, lapsing, offset = rng.random(), rng.random(), rng.random()
            expert = trainee.pk in experts
            if trainee.status == Trainee.Status.INACTIVE or (draw > spec.share and not expert):
                continue
            if (trainee.pk, certification_type.pk) in held:
                continue
            months = spec.validity_months or 120
            if lapsing < spec.lapsing_share / (3 if expert else 1):
                expires_on = today + timedelta(days=30 + int(offset * 330))  # lapses within the year
            else:
                expires_on = today + timedelta(days=400 + int(offset * 30 * (months - 13)))
            issued_on = min(expires_on - relativedelta(months=months), today - timedelta(days=30))
            new.append(
                Certification(
                    trainee=trainee,
                    type=certification_type,
                    issued_on=issued_on,
                    expires_on=expires_on,
                    issuer=spec.issuer,
                )
            )
    Certification.objects.bulk_create(new, batch_size=1000)
    return len(new)


# Courses the experts took at partner institutions when theirs lapsed (recorded by hand).
PARTNER_COURSES = {
    "DIH": "Comité Internacional de la Cruz Roja (CICR)",
    "CPTM": "Centro Conjunto para Operaciones de Paz de Chile (CECOPAC)",
}


def _seed_partner_courses(*, today, trainees):
    """Four in five observers and staff officers whose IHL or core pre-deployment certificate
    lapses within the year took that course at a partner institution (through the service: it
    supersedes the lapsing one); the others are left for the next CECOPAM session. The
    observers' deployment then finds seven ready and four almost ready, whatever the day."""
    by_pk = {t.pk: t for t in trainees}
    experts = _experts()
    for code, issuer in PARTNER_COURSES.items():
        certification_type = CertificationType.objects.filter(code=code).first()
        if certification_type is None:
            continue
        covered = set(
            Certification.objects.current()
            .filter(type=certification_type)
            .valid_on(today + timedelta(days=365))
            .values_list("trainee_id", flat=True)
        )
        done = set(
            Certification.objects.filter(type=certification_type, issuer=issuer).values_list("trainee_id", flat=True)
        )
        for pk in sorted(experts - done - covered):
            trainee = by_pk.get(pk)
            if trainee is None:
                continue
            # Drawn by the service number, not the id: ids depend on what the database held before
            # the demo (a draw by id made the demo's deployment differ from one database to another).
            rng = random.Random(f"{SEED}-{code}-{trainee.service_number}")
            if rng.random() < 0.2:
                continue
            issue_certification(
                trainee=trainee,
                type=certification_type,
                issued_on=today - timedelta(days=rng.randint(20, 200)),
                issuer=issuer,
            )


def _seed_expert_english():
    """Observers and staff officers speak English at least at an intermediate level."""
    TraineeLanguage.objects.filter(trainee__in=_experts(), language="en", proficiency="basic").update(
        proficiency="intermediate"
    )
    TraineeLanguage.objects.bulk_create(
        [TraineeLanguage(trainee_id=pk, language="en", proficiency="intermediate") for pk in sorted(_experts())],
        ignore_conflicts=True,
    )


def _seed_profiles():
    types = {t.code: t for t in CertificationType.objects.all()}
    profiles = {}
    for spec in PROFILES:
        profile, _ = RequirementProfile.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "role": spec.role,
                "min_age": spec.min_age,
                "min_service_years": spec.min_service_years,
                "is_active": True,
            },
        )
        profile.required_types.set([types[code] for code in spec.types])
        for language, minimum in spec.languages:
            LanguageRequirement.objects.update_or_create(
                profile=profile, language=language, defaults={"minimum": minimum}
            )
        profiles[spec.code] = profile
    return profiles


def _seed_deployments(*, today, profiles, admin):
    made = 0
    for spec in DEPLOYMENTS:
        starts_on = today + timedelta(days=spec.starts_in)
        deployment, created = Deployment.objects.get_or_create(
            code=spec.code,
            defaults={
                "mission": spec.mission,
                "profile": profiles[spec.profile],
                "starts_on": starts_on,
                "ends_on": starts_on + relativedelta(months=spec.months) - timedelta(days=1),
                "positions": spec.positions,
                "status": spec.status,
            },
        )
        if not created or not (spec.nominate_ready or spec.nominate_almost):
            continue  # a deployment's dates and nominations are its own once made
        found = pool(deployment.profile, deployment.starts_on, deployment.ends_on, today=today)
        order = name_order()
        chosen = list(found.ready.order_by(*order)[: spec.nominate_ready])
        chosen += list(found.almost.order_by(*order)[: spec.nominate_almost])
        if chosen:
            made += len(nominate(deployment=deployment, trainees=chosen, by=admin, today=today))
    return made


def _nominate_demo_trainee(*, today, admin):
    """The demo trainee is nominated for the observers' mission, so that /me/ shows it."""
    demo = Trainee.objects.filter(user__username="trainee").first()
    deployment = Deployment.objects.filter(code="MINURSO-OBS-01").first()
    if demo and deployment and not deployment.nominations.filter(trainee=demo).exists():
        nominate(deployment=deployment, trainees=[demo], by=admin, today=today)


@transaction.atomic
def seed_deployments(*, today=None):
    """Create or refresh the deployment demo data (after courses.demo.seed_demo). Idempotent."""
    today = today or timezone.localdate()
    with pghistory.context(source="seed_demo"):
        trainees = list(Trainee.objects.order_by("pk"))
        _seed_people_dates(trainees)
        types = _seed_document_types()
        _seed_documents(today=today, types=types, trainees=trainees)
        _seed_partner_courses(today=today, trainees=trainees)
        _seed_expert_english()
        profiles = _seed_profiles()
        admin = get_user_model().objects.filter(username="admin").first()
        _seed_deployments(today=today, profiles=profiles, admin=admin)
        _nominate_demo_trainee(today=today, admin=admin)


def counts():
    from .models import Nomination

    return {
        "requirement profiles": RequirementProfile.objects.count(),
        "deployments": Deployment.objects.count(),
        "nominations": Nomination.objects.count(),
    }
