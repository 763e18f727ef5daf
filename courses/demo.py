"""Demo data for `manage.py seed_demo`: people, catalogue, sessions with results, demo accounts.

Everything is keyed on stable names (organization names, service numbers, certification and
course codes, session codes, usernames) and drawn from seeded random generators, so a second
run finds what the first one made and changes nothing. Sessions in the past are enrolled,
graded and finalized through courses.services, exactly as in real use, so their certificates
are issued by the same rules; their dates are set relative to the day they were first seeded
and then left alone (a finalized session is history). Running and upcoming sessions are
moved to follow today on every run, so the demo instructor always has a class in progress.

The e-mail addresses use the reserved `.example` top-level domain: a demo database wired to a
real mail server must never write to anyone.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pghistory
from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.services import create_totp_device
from accounts.two_factor import otpauth_uri, totp_device_for
from certifications.models import Certification, CertificationType
from certifications.services import issue_certification
from common.permissions import ADMINISTRATORS, INSTRUCTORS, TRAINEES
from trainees.models import Organization, Trainee, TraineeLanguage, normalize_search

from .models import Course, CourseSession, Enrollment
from .services import enroll, finalize_session, record_results, withdraw

DEMO_PASSWORD = "cecopam-demo-2026"  # noqa: S105 - a demo login, printed on purpose
TRAINEE_COUNT = 300
SEED = 2026  # the same names, units and results on every machine and every run

MILITARY, POLICE, CIVILIAN = Trainee.Category.MILITARY, Trainee.Category.POLICE, Trainee.Category.CIVILIAN

# --- People ------------------------------------------------------------------------------

HISPANIC_MALE = [
    "José Luis", "Juan Carlos", "Luis Ángel", "Miguel Ángel", "Jesús", "Alejandro", "Fernando", "Ricardo",
    "Óscar", "Raúl", "Sergio", "Héctor", "Iván", "Adrián", "Andrés", "Rubén", "Martín", "Joaquín", "Germán",
    "Ramón", "Julián", "Sebastián", "Tomás", "Emiliano", "Efraín", "Arturo", "Eduardo", "Víctor Hugo",
    "Jorge", "Daniel", "José Ángel", "Cuauhtémoc", "Benjamín", "Nicolás",
]  # fmt: skip
HISPANIC_FEMALE = [
    "María José", "María Fernanda", "Ana Sofía", "Guadalupe", "Verónica", "Mónica", "Lucía", "Itzel",
    "Ximena", "Daniela", "Gabriela", "Alejandra", "Beatriz", "Andrea", "Paola", "Inés", "Mariana", "Natalia",
    "Rocío", "Leticia", "Yesenia", "Araceli", "Citlali", "Dolores", "Fátima", "Sofía", "Raquel", "Noemí",
    "Begoña", "Estefanía",
]  # fmt: skip
HISPANIC_SURNAMES = [
    "Núñez", "Ibáñez", "Peña", "Gómez", "Martínez", "Hernández", "Ramírez", "García", "López", "González",
    "Pérez", "Sánchez", "Rodríguez", "Flores", "Díaz", "Cruz", "Morales", "Jiménez", "Ruiz", "Vázquez",
    "Álvarez", "Domínguez", "Gutiérrez", "Chávez", "Ortiz", "Castañeda", "Muñoz", "Méndez", "Ríos",
    "Zúñiga", "Mendoza", "Aguilar", "Salazar", "Cortés", "Beltrán", "Quiñones", "Villaseñor", "Treviño",
    "Bermúdez", "Olvera", "Echeverría", "Ávila", "Márquez", "Carreño", "Orozco", "De la Cruz",
]  # fmt: skip
LOCAL_SURNAMES = {
    "MX": ["Xicoténcatl", "Tlapanco", "Cuevas", "Espinoza", "Galván", "Montaño"],
    "GT": ["Ixcot", "Cojtí", "Barrios", "Recinos", "Tuyuc"],
    "SV": ["Menjívar", "Quintanilla", "Alvarenga", "Guardado"],
    "HN": ["Zelaya", "Funes", "Bonilla", "Midence"],
    "CO": ["Restrepo", "Londoño", "Ospina", "Valencia", "Cárdenas"],
    "PE": ["Quispe", "Mamani", "Huamán", "Ccori", "Pachacútec"],
    "CL": ["Fuentes", "Contreras", "Araya", "Sepúlveda", "Yáñez"],
    "AR": ["Fernández", "Giménez", "Romero", "Acosta", "Sosa"],
    "UY": ["Pereira", "Silva", "Da Rosa", "Olivera", "Techera"],
    "ES": ["Sáez", "Íñiguez", "Gallego", "Serrano", "Garcés", "Echániz"],
}
ENGLISH_MALE = ["Michael", "James", "Robert", "David", "Christopher", "Daniel", "Kevin", "Brian"]
ENGLISH_FEMALE = ["Jennifer", "Sarah", "Emily", "Jessica", "Amanda", "Rebecca", "Megan"]
ENGLISH_SURNAMES = ["Smith", "Johnson", "Williams", "Brown", "Miller", "O'Connor", "MacDonald", "Walker", "Reyes"]
FRENCH_MALE = ["Benoît", "Jérôme", "François", "Thibault", "Loïc", "Jean-François", "Stéphane"]
FRENCH_FEMALE = ["Élodie", "Hélène", "Maëlle", "Chloé", "Amélie", "Marie-Ève", "Geneviève"]
FRENCH_SURNAMES = ["Lefèvre", "Dubois", "Moreau", "Girard", "Rousseau", "Mercier", "Tremblay", "Côté", "Bélanger"]

RANKS = {
    "sedena": ["Subteniente", "Teniente", "Capitán Segundo", "Capitán Primero", "Mayor", "Teniente Coronel", "Coronel"],
    "semar": ["Teniente de Corbeta", "Teniente de Fragata", "Teniente de Navío", "Capitán de Corbeta"],
    "gn": ["Guardia", "Agente", "Suboficial", "Oficial", "Subinspector", "Inspector"],
    "police": ["Subteniente", "Teniente", "Capitán", "Mayor"],
    "army": ["Teniente", "Capitán", "Mayor", "Teniente Coronel", "Coronel"],
    "army_en": ["Captain", "Major", "Lieutenant Colonel"],
    "army_fr": ["Capitaine", "Commandant", "Lieutenant-colonel"],
    "civilian": [""],
}
PHONE_PREFIX = {
    "MX": "+52 55", "GT": "+502", "SV": "+503", "HN": "+504", "CO": "+57 601", "PE": "+51 1", "CL": "+56 2",
    "AR": "+54 11", "UY": "+598 2", "ES": "+34 91", "US": "+1 210", "CA": "+1 613", "FR": "+33 1",
}  # fmt: skip


@dataclass(frozen=True)
class Unit:
    """An organization trainees come from, and how its people look."""

    name: str
    kind: str
    country: str
    domain: str  # e-mail domain, under the reserved .example TLD
    category: str
    ranks: str
    branches: tuple = ("",)
    prefix: str = ""  # service-number prefix

    @property
    def training_officer_email(self):
        return f"enlace.capacitacion@{self.domain}"


K = Organization.Kind
ARMY_BRANCHES = ("Infantería", "Caballería", "Artillería", "Ingenieros", "Transmisiones", "Sanidad")
UNITS = [
    Unit("1/er. Batallón de Infantería, SEDENA", K.MILITARY, "MX", "1bi.sedena.example", MILITARY, "sedena", ("Infantería",), "D"),
    Unit("Batallón de Ingenieros de Combate, SEDENA", K.MILITARY, "MX", "bic.sedena.example", MILITARY, "sedena", ("Ingenieros",), "D"),
    Unit("Escuela Superior de Guerra, SEDENA", K.MILITARY, "MX", "esg.sedena.example", MILITARY, "sedena", ARMY_BRANCHES, "D"),
    Unit("Fuerza Aérea Mexicana, SEDENA", K.MILITARY, "MX", "fam.sedena.example", MILITARY, "sedena", ("Fuerza Aérea",), "D"),
    Unit("Hospital Militar Regional, SEDENA", K.MILITARY, "MX", "hmr.sedena.example", MILITARY, "sedena", ("Sanidad",), "D"),
    Unit("Cuerpo de Infantería de Marina, SEMAR", K.MILITARY, "MX", "cim.semar.example", MILITARY, "semar", ("Infantería de Marina",), "M"),
    Unit("Estado Mayor General de la Armada, SEMAR", K.MILITARY, "MX", "emga.semar.example", MILITARY, "semar", ("Cuerpo General",), "M"),
    Unit("Guardia Nacional", K.POLICE, "MX", "gn.example", POLICE, "gn", ("División de Gendarmería", "División de Caminos"), "GN"),
    Unit("Secretaría de Seguridad y Protección Ciudadana (SSPC)", K.POLICE, "MX", "sspc.example", POLICE, "gn", ("Policía Federal Ministerial",), "SSPC"),
    Unit("Secretaría de Relaciones Exteriores (SRE)", K.CIVILIAN, "MX", "sre.example", CIVILIAN, "civilian", ("Dirección General para la ONU",), "SRE"),
    Unit("Ejército de Guatemala", K.PARTNER, "GT", "ejercito.gt.example", MILITARY, "army", ARMY_BRANCHES, "GT"),
    Unit("Fuerza Armada de El Salvador", K.PARTNER, "SV", "faes.sv.example", MILITARY, "army", ARMY_BRANCHES, "SV"),
    Unit("Fuerzas Armadas de Honduras", K.PARTNER, "HN", "ffaa.hn.example", MILITARY, "army", ARMY_BRANCHES, "HN"),
    Unit("Ejército Nacional de Colombia", K.PARTNER, "CO", "ejercito.co.example", MILITARY, "army", ARMY_BRANCHES, "CO"),
    Unit("Policía Nacional de Colombia", K.PARTNER, "CO", "policia.co.example", POLICE, "police", ("Carabineros",), "PNC"),
    Unit("Ejército del Perú", K.PARTNER, "PE", "ejercito.pe.example", MILITARY, "army", ARMY_BRANCHES, "PE"),
    Unit("Ejército de Chile", K.PARTNER, "CL", "ejercito.cl.example", MILITARY, "army", ARMY_BRANCHES, "CL"),
    Unit("Carabineros de Chile", K.PARTNER, "CL", "carabineros.cl.example", POLICE, "police", ("Orden y Seguridad",), "CAR"),
    Unit("Ejército Argentino", K.PARTNER, "AR", "ejercito.ar.example", MILITARY, "army", ARMY_BRANCHES, "AR"),
    Unit("Ejército Nacional (Uruguay)", K.PARTNER, "UY", "ejercito.uy.example", MILITARY, "army", ARMY_BRANCHES, "UY"),
    Unit("Ejército de Tierra (España)", K.PARTNER, "ES", "et.es.example", MILITARY, "army", ARMY_BRANCHES, "ET"),
    Unit("U.S. Army South", K.PARTNER, "US", "arsouth.us.example", MILITARY, "army_en", ("Infantry", "Engineers", "Military Police"), "US"),
    Unit("Canadian Armed Forces", K.PARTNER, "CA", "caf.ca.example", MILITARY, "army_en", ("Infantry", "Engineers"), "CA"),
    Unit("Armée de Terre (France)", K.PARTNER, "FR", "adt.fr.example", MILITARY, "army_fr", ("Infanterie", "Génie"), "FR"),
]  # fmt: skip

# How many trainees each unit sends (sums to TRAINEE_COUNT).
UNIT_WEIGHTS = {
    "1/er. Batallón de Infantería, SEDENA": 40,
    "Batallón de Ingenieros de Combate, SEDENA": 30,
    "Escuela Superior de Guerra, SEDENA": 20,
    "Fuerza Aérea Mexicana, SEDENA": 10,
    "Hospital Militar Regional, SEDENA": 10,
    "Cuerpo de Infantería de Marina, SEMAR": 20,
    "Estado Mayor General de la Armada, SEMAR": 10,
    "Guardia Nacional": 30,
    "Secretaría de Seguridad y Protección Ciudadana (SSPC)": 10,
    "Secretaría de Relaciones Exteriores (SRE)": 10,
    "Ejército de Guatemala": 12,
    "Fuerza Armada de El Salvador": 12,
    "Fuerzas Armadas de Honduras": 10,
    "Ejército Nacional de Colombia": 9,
    "Policía Nacional de Colombia": 5,
    "Ejército del Perú": 12,
    "Ejército de Chile": 6,
    "Carabineros de Chile": 4,
    "Ejército Argentino": 10,
    "Ejército Nacional (Uruguay)": 10,
    "Ejército de Tierra (España)": 6,
    "U.S. Army South": 6,
    "Canadian Armed Forces": 4,
    "Armée de Terre (France)": 4,
}

# --- Catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseSpec:
    code: str
    title: str
    category: str
    hours: int
    validity_months: int
    certification: str
    pass_mark: int | None = None
    prerequisites: tuple = ()
    audience: tuple = (MILITARY, POLICE, CIVILIAN)
    description: str = ""


C = Course.Category
COURSES = [
    CourseSpec(
        "CPTM", "Capacitación básica previa al despliegue (CPTM)", C.PRE_DEPLOYMENT, 40, 36,
        "Capacitación básica previa al despliegue de la ONU",
        description="Materiales básicos de capacitación previa al despliegue de las Naciones Unidas: "
        "principios del mantenimiento de la paz, mandatos, conducta y disciplina.",
    ),
    CourseSpec(
        "UNMEM", "Expertos Militares de la ONU en Misión (UNMEM)", C.MILITARY_EXPERTS, 120, 36,
        "Experto militar de la ONU en misión", pass_mark=70, prerequisites=("CPTM",), audience=(MILITARY,),
        description="Observadores militares y oficiales de enlace: patrullaje, negociación, "
        "investigación de incidentes y seguridad en misión.",
    ),
    CourseSpec(
        "UNSOC", "Oficiales de Estado Mayor de la ONU (UNSOC)", C.STAFF_OFFICERS, 120, 36,
        "Oficial de Estado Mayor de la ONU", pass_mark=70, prerequisites=("CPTM",), audience=(MILITARY,),
        description="Planeamiento y trabajo de Estado Mayor en un cuartel general de misión de la ONU.",
    ),
    CourseSpec(
        "POC", "Protección de Civiles", C.PROTECTION, 40, 24, "Protección de civiles",
        description="Marco conceptual de la ONU para la protección de civiles y la respuesta a amenazas.",
    ),
    CourseSpec(
        "DIH", "Derecho Internacional Humanitario", C.HUMANITARIAN_LAW, 40, 24,
        "Derecho Internacional Humanitario", pass_mark=60,
        description="Convenios de Ginebra, conducción de hostilidades y protección de las personas.",
    ),
    CourseSpec(
        "DDHH", "Derechos Humanos en Operaciones de Paz", C.HUMAN_RIGHTS, 40, 24,
        "Derechos humanos en operaciones de paz",
    ),
    CourseSpec(
        "UFL", "Uso Legítimo de la Fuerza", C.USE_OF_FORCE, 24, 12, "Uso legítimo de la fuerza", pass_mark=70,
        audience=(MILITARY, POLICE),
        description="Reglas de enfrentamiento, directivas sobre el uso de la fuerza y legítima defensa.",
    ),
    CourseSpec(
        "ING", "Preparación para el Despliegue de Compañía de Ingenieros", C.ENGINEERING, 160, 12,
        "Compañía de ingenieros: preparación para el despliegue", pass_mark=70, prerequisites=("UFL",),
        audience=(MILITARY,),
    ),
    CourseSpec(
        "GEN", "Género en Operaciones de Paz", C.GENDER, 40, 24, "Perspectiva de género en operaciones de paz",
        description="Mujeres, paz y seguridad; prevención de la explotación y el abuso sexuales.",
    ),
]  # fmt: skip


@dataclass(frozen=True)
class SessionSpec:
    """A scheduled offering. `ends_ago` (months, days) dates a past session by its end, so that
    its certificates expire at a chosen distance from today; `starts_in` (days, may be negative)
    dates a running or upcoming one."""

    code: str
    course: str
    days: int  # length, first to last day
    size: int  # how many to enrol
    capacity: int = 30
    ends_ago: tuple | None = None
    starts_in: int | None = None
    instructor: str = "instructor"
    demo_trainee: bool = False
    renewal: bool = False  # enrol holders of the course's certificate that is about to lapse
    draft_results: float = 0.0  # share of a running class whose results are already drafted
    withdraw: int = 0  # how many to withdraw after enrolling

    def dates(self, today):
        if self.ends_ago is not None:
            months, days = self.ends_ago
            ends_on = today - relativedelta(months=months) + timedelta(days=days)
            return ends_on - timedelta(days=self.days - 1), ends_on
        starts_on = today + timedelta(days=self.starts_in)
        return starts_on, starts_on + timedelta(days=self.days - 1)


# Past sessions' end dates are chosen against their certificate's validity: e.g. a 12-month
# certificate from a session that ended 12 months minus 12 days ago expires in 12 days.
SESSIONS = [
    SessionSpec("CPTM-01", "CPTM", 5, 30, ends_ago=(34, 0), instructor="sofia.nunez"),
    SessionSpec("CPTM-02", "CPTM", 5, 28, ends_ago=(14, 0), instructor="sofia.nunez", demo_trainee=True),
    SessionSpec("CPTM-03", "CPTM", 5, 28, ends_ago=(2, 0), instructor="sofia.nunez"),
    SessionSpec("DDHH-01", "DDHH", 5, 20, ends_ago=(24, -30), instructor="lucia.hernandez", demo_trainee=True),
    SessionSpec("DDHH-02", "DDHH", 5, 20, ends_ago=(6, 0), instructor="lucia.hernandez"),
    SessionSpec("UFL-01", "UFL", 3, 20, ends_ago=(12, -40), instructor="jorge.martinez"),
    SessionSpec("UFL-02", "UFL", 3, 20, ends_ago=(12, 12), instructor="jorge.martinez"),
    SessionSpec("UFL-03", "UFL", 3, 20, ends_ago=(12, 45), instructor="jorge.martinez", demo_trainee=True),
    SessionSpec("DIH-01", "DIH", 5, 20, ends_ago=(24, 20), instructor="lucia.hernandez"),
    SessionSpec("DIH-02", "DIH", 5, 22, ends_ago=(9, 0), instructor="instructor"),
    SessionSpec("POC-01", "POC", 5, 18, ends_ago=(24, 60), instructor="lucia.hernandez"),
    SessionSpec("POC-02", "POC", 5, 18, ends_ago=(4, 0), instructor="lucia.hernandez"),
    SessionSpec("GEN-01", "GEN", 5, 18, ends_ago=(24, 7), instructor="lucia.hernandez"),
    SessionSpec("UNMEM-01", "UNMEM", 19, 16, capacity=24, ends_ago=(20, 0)),
    SessionSpec("UNSOC-01", "UNSOC", 19, 16, capacity=24, ends_ago=(10, 0), instructor="sofia.nunez"),
    SessionSpec("ING-01", "ING", 26, 14, capacity=24, ends_ago=(12, 25), instructor="jorge.martinez"),
    # Running: the demo instructor's class has every result pending.
    SessionSpec("UNMEM-02", "UNMEM", 26, 18, capacity=24, starts_in=-10, withdraw=1),
    SessionSpec("DIH-03", "DIH", 5, 20, starts_in=-3, instructor="lucia.hernandez", draft_results=0.5),
    # Upcoming: GEN-02 is over-subscribed (the demo trainee and 21 others for 20 seats: two on
    # the waitlist); ING-02 finds no one whose UFL certificate is still valid on its first day,
    # so it is open but empty, waiting for UFL-04's graduates.
    SessionSpec("UFL-04", "UFL", 3, 15, capacity=25, starts_in=14, instructor="jorge.martinez", renewal=True),
    # Renews IHL before the observers' deployment (deployments/demo.py): its almost ready.
    SessionSpec("DIH-04", "DIH", 5, 0, capacity=25, starts_in=40, instructor="lucia.hernandez"),
    SessionSpec("CPTM-04", "CPTM", 5, 0, capacity=30, starts_in=28, instructor="sofia.nunez"),
    SessionSpec("UNSOC-02", "UNSOC", 26, 12, capacity=20, starts_in=21),
    SessionSpec("GEN-02", "GEN", 5, 21, capacity=20, starts_in=35, instructor="lucia.hernandez", demo_trainee=True),
    SessionSpec("DDHH-03", "DDHH", 5, 10, capacity=25, starts_in=45, instructor="lucia.hernandez"),
    SessionSpec("ING-02", "ING", 26, 12, capacity=24, starts_in=60, instructor="jorge.martinez"),
    SessionSpec("POC-03", "POC", 5, 0, capacity=25, starts_in=90, instructor="lucia.hernandez"),
]

REMARKS_PASSED = [
    "",
    "",
    "",
    "Excelente desempeño en los ejercicios prácticos.",
    "Buena participación en el ejercicio de simulación.",
    "Destacado en negociación y enlace.",
]
REMARKS_FAILED = ["No alcanzó la calificación mínima en la evaluación final.", "Debe repetir el módulo de DIH."]
REMARKS_INCOMPLETE = ["Asistencia insuficiente por comisión del servicio.", "Baja médica durante el curso."]

# Certificates recorded by hand from partner-nation peacekeeping centres.
EXTERNAL_CERTIFICATIONS = [
    # (unit, index within the unit, certification type, issuer, months ago)
    ("Ejército de Chile", 0, "DIH", "Centro Conjunto para Operaciones de Paz de Chile (CECOPAC)", 8),
    (
        "Ejército Argentino",
        0,
        "POC",
        "Centro Argentino de Entrenamiento Conjunto para Operaciones de Paz (CAECOPAZ)",
        5,
    ),
    ("Ejército Nacional (Uruguay)", 1, "DDHH", "Escuela Nacional de Operaciones de Paz de Uruguay (ENOPU)", 11),
    ("Ejército del Perú", 2, "CPTM", "Centro de Entrenamiento y Capacitación para Operaciones de Paz (CECOPAZ)", 20),
]

# --- Accounts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    first_name: str
    last_name: str
    printed: bool = False  # a demo login whose password seed_demo prints


ACCOUNTS = [
    Account("admin", ADMINISTRATORS, "Adriana", "Sánchez Olvera", printed=True),
    Account("instructor", INSTRUCTORS, "Héctor", "Ramírez Gómez", printed=True),
    Account("trainee", TRAINEES, "María Fernanda", "Núñez Ibáñez", printed=True),
    # Instructors of the other sessions: no password, they cannot sign in.
    Account("sofia.nunez", INSTRUCTORS, "Sofía", "Núñez Aguilar"),
    Account("lucia.hernandez", INSTRUCTORS, "Lucía", "Hernández Ríos"),
    Account("jorge.martinez", INSTRUCTORS, "Jorge", "Martínez Ibáñez"),
]
ROLE_LABELS = {ADMINISTRATORS: "administrator", INSTRUCTORS: "instructor", TRAINEES: "trainee"}
DEMO_TRAINEE = {
    "service_number": "D-7350021",
    "nationality": "MX",
    "given_names": "María Fernanda",
    "paternal_surname": "Núñez",
    "maternal_surname": "Ibáñez",
    "rank": "Capitán Primero",
    "category": MILITARY,
    "branch": "Ingenieros",
    "gender": Trainee.Gender.FEMALE,
    "email": "maria.nunez@bic.sedena.example",
    "phone": "+52 55 5123-4567",
    "status": Trainee.Status.ACTIVE,
}
DEMO_TRAINEE_UNIT = "Batallón de Ingenieros de Combate, SEDENA"


@dataclass
class Summary:
    accounts: list = field(default_factory=list)  # (role, username, password) of the printed logins
    # username -> otpauth:// URI of the printed logins that sign in with a code too (administrators)
    otpauth_uris: dict = field(default_factory=dict)
    created_sessions: int = 0


# --- Building ----------------------------------------------------------------------------


def _ascii(text):
    return "".join(ch for ch in normalize_search(text) if ch.isalnum() or ch == " ").replace(" ", "")


def _names_for(country, gender, rng):
    """(given names, paternal surname, maternal surname) as people of `country` are named."""
    if country in ("US", "CA") and not (country == "CA" and rng.random() < 0.4):
        pool = ENGLISH_FEMALE if gender == Trainee.Gender.FEMALE else ENGLISH_MALE
        return rng.choice(pool), rng.choice(ENGLISH_SURNAMES), ""
    if country in ("FR", "CA"):
        pool = FRENCH_FEMALE if gender == Trainee.Gender.FEMALE else FRENCH_MALE
        return rng.choice(pool), rng.choice(FRENCH_SURNAMES), ""
    pool = HISPANIC_FEMALE if gender == Trainee.Gender.FEMALE else HISPANIC_MALE
    # Partner nations' own surnames weigh double, so that a Peruvian list reads Peruvian.
    surnames = HISPANIC_SURNAMES + LOCAL_SURNAMES.get(country, []) * (1 if country == "MX" else 2)
    paternal = rng.choice(surnames)
    maternal = rng.choice([s for s in surnames if s != paternal])
    return rng.choice(pool), paternal, maternal


def _trainee_rows(organizations):
    """TRAINEE_COUNT unsaved Trainee rows, the same on every run."""
    rng = random.Random(SEED)
    taken = {(DEMO_TRAINEE["service_number"], DEMO_TRAINEE["nationality"])}
    rows = []
    for unit in UNITS:
        for _ in range(UNIT_WEIGHTS[unit.name]):
            gender = Trainee.Gender.FEMALE if rng.random() < 0.27 else Trainee.Gender.MALE
            if rng.random() < 0.01:
                gender = Trainee.Gender.OTHER
            given, paternal, maternal = _names_for(unit.country, gender, rng)
            while True:
                number = f"{unit.prefix}-{rng.randint(100000, 9999999)}"
                if (number, unit.country) not in taken:
                    taken.add((number, unit.country))
                    break
            status = rng.choices(
                [Trainee.Status.ACTIVE, Trainee.Status.DEPLOYED, Trainee.Status.INACTIVE], weights=[85, 10, 5]
            )[0]
            local = f"{_ascii(given.split()[0])}.{_ascii(paternal)}{rng.randint(1, 99)}"
            rows.append(
                Trainee(
                    service_number=number,
                    nationality=unit.country,
                    given_names=given,
                    paternal_surname=paternal,
                    maternal_surname=maternal,
                    rank=rng.choice(RANKS[unit.ranks]),
                    category=unit.category,
                    branch=rng.choice(unit.branches),
                    organization=organizations[unit.name],
                    gender=gender,
                    email=f"{local}@{unit.domain}",
                    phone=f"{PHONE_PREFIX[unit.country]} {rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                    status=status,
                    preferred_language="es" if unit.country not in ("US", "CA", "FR") else "en",
                )
            )
    return rows


def _languages_for(trainee, rng):
    native = {"US": "en", "CA": rng.choice(["en", "fr"]), "FR": "fr"}.get(str(trainee.nationality), "es")
    P = TraineeLanguage.Proficiency
    languages = {native: P.NATIVE}
    if native != "en":
        languages["en"] = rng.choice([P.BASIC, P.INTERMEDIATE, P.INTERMEDIATE, P.ADVANCED])
    if native != "es":
        languages["es"] = rng.choice([P.BASIC, P.INTERMEDIATE, P.ADVANCED])
    if rng.random() < 0.15 and "fr" not in languages:
        languages["fr"] = rng.choice([P.BASIC, P.INTERMEDIATE])
    return languages


def _seed_people():
    organizations = {}
    for unit in UNITS:
        organizations[unit.name], _ = Organization.objects.update_or_create(
            name=unit.name,
            defaults={
                "kind": unit.kind,
                "country": unit.country,
                "training_officer_email": unit.training_officer_email,
            },
        )
    rows = _trainee_rows(organizations)
    data_fields = [
        "given_names", "paternal_surname", "maternal_surname", "rank", "category", "branch", "organization",
        "gender", "email", "phone", "status", "preferred_language",
    ]  # fmt: skip
    # One statement for the whole crowd; a re-run puts back the seeded values.
    Trainee.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["service_number", "nationality"], update_fields=data_fields
    )
    keys = {(row.service_number, row.nationality) for row in rows}
    trainees = [
        t
        for t in Trainee.objects.filter(service_number__in=[k[0] for k in keys]).order_by("id")
        if (t.service_number, str(t.nationality)) in keys
    ]
    rng = random.Random(SEED + 1)
    TraineeLanguage.objects.bulk_create(
        [
            TraineeLanguage(trainee=t, language=code, proficiency=level)
            for t in trainees
            for code, level in _languages_for(t, rng).items()
        ],
        ignore_conflicts=True,
    )
    return organizations, trainees


def _seed_accounts(organizations):
    User = get_user_model()
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in (ADMINISTRATORS, INSTRUCTORS, TRAINEES)}
    users = {}
    summary = []
    for account in ACCOUNTS:
        user, _ = User.objects.get_or_create(username=account.username)
        user.first_name = account.first_name
        user.last_name = account.last_name
        user.email = f"{account.username}@cecopam.example"
        user.is_active = True
        user.is_staff = account.role == ADMINISTRATORS
        user.is_superuser = False
        if account.printed:
            user.set_password(DEMO_PASSWORD)  # reset on every run: the printed password always works
            summary.append((ROLE_LABELS[account.role], account.username, DEMO_PASSWORD))
        else:
            user.set_unusable_password()
        user.save()
        user.groups.set([groups[account.role]])
        users[account.username] = user
    _unlock([a.username for a in ACCOUNTS if a.printed])
    otpauth_uris = {
        account.username: _demo_totp_uri(users[account.username])
        for account in ACCOUNTS
        if account.printed and account.role == ADMINISTRATORS
    }
    demo, _ = Trainee.objects.update_or_create(
        service_number=DEMO_TRAINEE["service_number"],
        nationality=DEMO_TRAINEE["nationality"],
        defaults={**DEMO_TRAINEE, "organization": organizations[DEMO_TRAINEE_UNIT], "user": users["trainee"]},
    )
    TraineeLanguage.objects.bulk_create(
        [
            TraineeLanguage(trainee=demo, language="es", proficiency=TraineeLanguage.Proficiency.NATIVE),
            TraineeLanguage(trainee=demo, language="en", proficiency=TraineeLanguage.Proficiency.ADVANCED),
        ],
        ignore_conflicts=True,
    )
    return users, demo, summary, otpauth_uris


def _demo_totp_uri(user):
    """The demo administrator's authenticator (administrators sign in with a code too): kept
    from run to run, so that an app that has scanned it keeps working."""
    device = totp_device_for(user) or create_totp_device(user=user, confirmed=True)
    return otpauth_uri(device)


def _unlock(usernames):
    """Clear sign-in lockouts of the demo logins, so a demo locked by mistyping works again."""
    from axes.utils import reset

    for username in usernames:
        reset(username=username)


def _seed_catalogue():
    types = {}
    for spec in COURSES:
        types[spec.code], _ = CertificationType.objects.update_or_create(
            code=spec.code, defaults={"name": spec.certification, "validity_months": spec.validity_months}
        )
    courses = {}
    for spec in COURSES:
        course, _ = Course.objects.update_or_create(
            code=spec.code,
            defaults={
                "title": spec.title,
                "description": spec.description,
                "category": spec.category,
                "duration_hours": spec.hours,
                "pass_mark": spec.pass_mark,
                "grants": types[spec.code],
                "is_active": True,
            },
        )
        course.prerequisites.set([types[code] for code in spec.prerequisites])
        courses[spec.code] = (course, spec)
    return types, courses


def _candidates(*, spec, session, course_spec, trainees, demo, types):
    """Who may enrol: the course's audience, not already on a session of the course (unless
    renewing), holding every prerequisite valid on the first day."""
    course = session.course
    pool = [t for t in trainees if t.category in course_spec.audience and t.status != Trainee.Status.INACTIVE]
    if spec.renewal:
        lapsing = set(
            Certification.objects.current()
            .filter(type=course.grants, expires_on__lte=session.starts_on + timedelta(days=30))
            .values_list("trainee_id", flat=True)
        )
        pool = [t for t in pool if t.pk in lapsing]
    else:
        taken = set(Enrollment.objects.filter(session__course=course).values_list("trainee_id", flat=True))
        pool = [t for t in pool if t.pk not in taken]
    for code in course_spec.prerequisites:
        holders = set(
            Certification.objects.filter(type=types[code])
            .valid_on(session.starts_on)
            .values_list("trainee_id", flat=True)
        )
        pool = [t for t in pool if t.pk in holders]
    return [t for t in pool if t.pk != demo.pk]


def _results_for(enrollments, *, course, rng, force_pass=()):
    pass_mark = course.pass_mark or 60
    results = {}
    for enrollment in enrollments:
        outcome = rng.choices(["passed", "failed", "incomplete"], weights=[86, 8, 6])[0]
        if enrollment.trainee_id in force_pass:
            outcome = "passed"
        if outcome == "passed":
            row = {
                "result": Enrollment.Result.PASSED,
                "score": Decimal(f"{rng.uniform(max(pass_mark, 72), 99):.1f}"),
                "attendance": rng.randint(88, 100),
                "remarks": rng.choice(REMARKS_PASSED),
            }
        elif outcome == "failed":
            row = {
                "result": Enrollment.Result.FAILED,
                "score": Decimal(f"{rng.uniform(40, pass_mark - 1):.1f}"),
                "attendance": rng.randint(80, 100),
                "remarks": rng.choice(REMARKS_FAILED),
            }
        else:
            row = {
                "result": Enrollment.Result.INCOMPLETE,
                "score": None,
                "attendance": rng.randint(30, 70),
                "remarks": rng.choice(REMARKS_INCOMPLETE),
            }
        results[enrollment.pk] = row
    return results


def _seed_sessions(*, today, courses, types, trainees, demo, users, admin):
    created_count = 0
    specs = sorted(SESSIONS, key=lambda s: s.dates(today)[0])
    for spec in specs:
        course, course_spec = courses[spec.course]
        starts_on, ends_on = spec.dates(today)
        past = spec.ends_ago is not None
        if past:
            status = CourseSession.Status.IN_PROGRESS  # finalized below, through the service
        elif starts_on <= today:
            status = CourseSession.Status.IN_PROGRESS
        else:
            status = CourseSession.Status.OPEN if spec.size else CourseSession.Status.PLANNED
        defaults = {"course": course, "starts_on": starts_on, "ends_on": ends_on, "capacity": spec.capacity}
        session, created = CourseSession.objects.get_or_create(code=spec.code, defaults={**defaults, "status": status})
        created_count += created
        instructor = users[spec.instructor]
        if past:
            if not created:
                continue  # a finalized session is history: seeded once, never redated
        elif session.status not in (CourseSession.Status.FINALIZED, CourseSession.Status.CANCELLED):
            # Keep running and upcoming sessions where the demo needs them, whatever day it is.
            changed = {k: v for k, v in {**defaults, "status": status}.items() if getattr(session, k) != v}
            if changed:
                for name, value in changed.items():
                    setattr(session, name, value)
                session.save(update_fields=list(changed))
        session.instructors.set([instructor])
        if not created and session.enrollments.exists():
            continue

        rng = random.Random(f"{SEED}-{spec.code}")
        pool = _candidates(
            spec=spec, session=session, course_spec=course_spec, trainees=trainees, demo=demo, types=types
        )
        chosen = rng.sample(pool, min(spec.size, len(pool)))
        if spec.demo_trainee:
            chosen.insert(0, demo)
        enrollments = [enroll(session=session, trainee=t, by=admin) for t in chosen]
        for enrollment in enrollments[-spec.withdraw :] if spec.withdraw else []:
            withdraw(enrollment=enrollment)
        seated = list(session.enrollments.filter(status=Enrollment.Status.ENROLLED).order_by("id"))

        if past:
            force = {demo.pk} if spec.demo_trainee else set()
            results = _results_for(seated, course=course, rng=rng, force_pass=force)
            record_results(session=session, results=results, by=instructor)
            finalize_session(session=session, by=instructor)
        elif spec.draft_results:
            drafted = seated[: int(len(seated) * spec.draft_results)]
            results = _results_for(drafted, course=course, rng=rng)
            record_results(session=session, results=results, by=instructor)
    return created_count


def _seed_external_certifications(*, today, types, trainees):
    by_unit = {}
    for trainee in trainees:
        by_unit.setdefault(trainee.organization_id, []).append(trainee)
    names = {o.pk: o.name for o in Organization.objects.filter(pk__in=by_unit)}
    by_name = {names[pk]: people for pk, people in by_unit.items()}
    for unit_name, index, type_code, issuer, months_ago in EXTERNAL_CERTIFICATIONS:
        trainee = by_name[unit_name][index]
        exists = Certification.objects.filter(trainee=trainee, type=types[type_code], issuer=issuer).exists()
        if not exists:
            issue_certification(
                trainee=trainee,
                type=types[type_code],
                issued_on=today - relativedelta(months=months_ago),
                issuer=issuer,
            )


@transaction.atomic
def seed_demo(*, today=None) -> Summary:
    """Create or refresh the demo data; returns the demo logins to print.

    Guarantees: idempotent (a second run adds nothing and changes only the timestamps and the
    dates of sessions that are not yet finalized); all or nothing (one transaction); every
    enrolment, result and certificate goes through the services that enforce capacity,
    prerequisites, pass marks and issuance.
    """
    today = today or timezone.localdate()
    with pghistory.context(source="seed_demo"):
        organizations, trainees = _seed_people()
        users, demo, printed, otpauth_uris = _seed_accounts(organizations)
        types, courses = _seed_catalogue()
        _seed_external_certifications(today=today, types=types, trainees=trainees)
        created = _seed_sessions(
            today=today, courses=courses, types=types, trainees=trainees, demo=demo, users=users, admin=users["admin"]
        )
    return Summary(accounts=printed, otpauth_uris=otpauth_uris, created_sessions=created)


def counts(today=None):
    """Figures the command prints after seeding."""
    today = today or timezone.localdate()
    current = Certification.objects.current()
    return {
        "organizations": Organization.objects.count(),
        "trainees": Trainee.objects.count(),
        "courses": Course.objects.count(),
        "sessions": CourseSession.objects.count(),
        "enrolments": Enrollment.objects.count(),
        "certifications": Certification.objects.count(),
        "expiring within 30 days": current.filter(
            expires_on__gte=today, expires_on__lte=today + timedelta(days=30)
        ).count(),
        "expired": current.filter(expires_on__lt=today).count(),
    }
