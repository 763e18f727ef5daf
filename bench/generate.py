"""Fill a migrated, empty database with realistic CECOPAM records for benchmarks.

    python -m bench.generate --scale small|national [--database-url URL] [--seed N]
                             [--today YYYY-MM-DD] [--no-reminder-log]

small: 10,000 trainees, 100,000 enrolments (about 50,000 certifications);
national: 200,000 trainees, 2,000,000 enrolments (about 1,000,000 certifications).
The same seed and --today give the same rows. Large tables are written with PostgreSQL
COPY from generated streams in one transaction, with the history triggers switched off
for the load (see bench/README.md for what that means).
"""

import argparse
import base64
import copy
import datetime
import json
import math
import os
import random
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass

# --- scales ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    trainees: int
    enrollments: int
    organizations: int
    instructors: int
    trainee_accounts: int  # trainees with a login account (the /me/ pages)


SCALES = {
    "small": Scale(trainees=10_000, enrollments=100_000, organizations=60, instructors=40, trainee_accounts=100),
    "national": Scale(
        trainees=200_000, enrollments=2_000_000, organizations=240, instructors=300, trainee_accounts=2_000
    ),
}

YEARS_OF_HISTORY = 6  # sessions run from six years ago to six months ahead
REMINDER_GO_LIVE_DAYS = 180  # the reminder job has run daily for this long (see --no-reminder-log)
CHUNK_ROWS = 5_000  # rows per chunk handed to COPY

# --- catalogue ------------------------------------------------------------------------------

# code, name, validity in months (None: never expires)
CERTIFICATION_TYPES = [
    ("UNMEM", "Experto Militar de la ONU en Misión (UNMEM)", 36),
    ("UNSOC", "Oficial de Estado Mayor de la ONU (UNSOC)", 36),
    ("CPTM", "Capacitación Básica Previa al Despliegue de la ONU (CPTM)", None),
    ("POC", "Protección de Civiles", 24),
    ("DIH", "Derecho Internacional Humanitario", 36),
    ("DDHH", "Derechos Humanos en Operaciones de Paz", 36),
    ("ULF", "Uso Legítimo de la Fuerza", 12),
    ("ING", "Compañía de Ingenieros: Alistamiento Previo al Despliegue", 12),
    ("GEN", "Perspectiva de Género en Operaciones de Paz", 36),
    ("VSRC", "Prevención de la Violencia Sexual Relacionada con los Conflictos", 24),
    ("SSAFE", "Seguridad en el Terreno (SSAFE)", 36),
    ("PAC", "Primeros Auxilios de Combate", 24),
    ("COND", "Permiso de Conducción de la ONU", 24),
    ("PDC", "Alistamiento de Contingente Previo al Despliegue", 12),
    ("UNPOL", "Policía de Naciones Unidas: Evaluación de Selección (AMS)", 24),
]

# code, title, category, hours, grants, pass mark, prerequisites, weight (share of sessions)
COURSES = [
    ("UNMEM", "Curso de Expertos Militares de la ONU en Misión", "military_experts", 160, "UNMEM", 80, ["CPTM"], 4),
    ("UNMEM-ACT", "Actualización para Expertos Militares en Misión", "military_experts", 40, "UNMEM", 80, [], 2),
    ("UNSOC", "Curso de Oficiales de Estado Mayor de la ONU", "staff_officers", 160, "UNSOC", 80, ["CPTM"], 3),
    ("CPTM", "Curso Básico Previo al Despliegue (materiales CPTM)", "pre_deployment", 40, "CPTM", 70, [], 8),
    ("POC", "Protección de Civiles en Operaciones de Paz", "protection", 40, "POC", 70, [], 6),
    ("POC-NNA", "Protección de la Niñez en Conflictos Armados", "protection", 24, None, None, [], 4),
    ("DIH", "Derecho Internacional Humanitario", "humanitarian_law", 40, "DIH", 70, [], 5),
    ("DIH-AV", "Derecho Internacional Humanitario Avanzado", "humanitarian_law", 80, "DIH", 80, ["DIH"], 2),
    ("DDHH", "Derechos Humanos en Operaciones de Mantenimiento de la Paz", "human_rights", 40, "DDHH", 70, [], 5),
    ("ULF", "Uso Legítimo de la Fuerza", "use_of_force", 40, "ULF", 80, [], 5),
    ("ULF-UPC", "Uso de la Fuerza para Unidades de Policía Constituidas", "use_of_force", 40, "ULF", 80, [], 2),
    ("ING", "Alistamiento de Compañía de Ingenieros", "engineering", 200, "ING", None, [], 3),
    ("ING-EOD", "Desminado Humanitario y Artefactos Explosivos", "engineering", 120, None, 80, [], 2),
    ("GEN", "Perspectiva de Género en Operaciones de Paz", "gender", 24, "GEN", 70, [], 5),
    ("GEN-ASE", "Curso para Asesoras y Asesores de Género", "gender", 80, "GEN", 80, ["GEN"], 1),
    ("VSRC", "Prevención de la Violencia Sexual Relacionada con los Conflictos", "protection", 24, "VSRC", 70, [], 3),
    ("SSAFE", "Enfoques de Seguridad y Protección en el Terreno", "pre_deployment", 40, "SSAFE", None, [], 4),
    ("PAC", "Primeros Auxilios de Combate", "other", 24, "PAC", None, [], 4),
    ("COND", "Manejo Defensivo y Permiso de Conducción de la ONU", "other", 24, "COND", 70, [], 3),
    ("PDC", "Alistamiento de Contingente Previo al Despliegue", "pre_deployment", 80, "PDC", None, ["CPTM"], 4),
    ("ING-ONU", "Inglés para Operaciones de Paz", "other", 120, None, 70, [], 8),
    ("FRA-ONU", "Francés para Operaciones de Paz", "other", 120, None, 70, [], 4),
    ("CIMIC", "Coordinación Civil-Militar de la ONU (UN-CIMIC)", "staff_officers", 40, None, None, [], 4),
    ("LOG", "Logística en Misiones de la ONU", "staff_officers", 40, None, None, [], 4),
    (
        "UNPOL",
        "Policía de Naciones Unidas: Preparación para la Evaluación AMS",
        "pre_deployment",
        80,
        "UNPOL",
        80,
        [],
        2,
    ),
    ("NEG", "Negociación y Mediación en Misiones de Paz", "other", 24, None, None, [], 3),
    ("INF", "Información Pública en Misiones de Paz", "other", 24, None, None, [], 2),
    ("INSTR", "Formación de Instructores en Operaciones de Paz", "other", 80, None, 80, ["CPTM"], 2),
    (
        "OBS-COL",
        "Observadores para la Misión de Verificación en Colombia",
        "military_experts",
        40,
        None,
        None,
        ["UNMEM"],
        1,
    ),
    ("MED", "Medicina Operativa en Misiones de Paz", "other", 40, "PAC", 70, [], 2),
]

LOCATIONS = ["CECOPAM, Huehuetoca"] * 12 + [
    "Campo Militar 1-A, Ciudad de México",
    "Heroica Escuela Naval Militar, Antón Lizardo, Veracruz",
    "Centro de Adiestramiento Regional, Mérida, Yucatán",
    "Equipo móvil de capacitación: Ciudad de Guatemala",
    "Equipo móvil de capacitación: San Salvador",
]

EXTERNAL_ISSUERS = [
    "Centro Conjunto para Operaciones de Paz de Chile (CECOPAC)",
    "Centro Argentino de Entrenamiento Conjunto para Operaciones de Paz (CAECOPAZ)",
    "Centro Conjunto de Operações de Paz do Brasil (CCOPAB)",
    "Escuela Nacional de Operaciones de Paz del Uruguay (ENOPU)",
    "Naciones Unidas — Servicio Integrado de Capacitación (ITS)",
    "Comité Internacional de la Cruz Roja (CICR)",
]
EXTERNAL_TYPES = ["UNMEM", "UNSOC", "CPTM", "DIH", "DDHH", "SSAFE", "UNPOL"]

REMARKS = [
    "Destacado en los ejercicios prácticos.",
    "Participación sobresaliente en el ejercicio de puesto de mando.",
    "Requiere reforzar el inglés técnico.",
    "Ausente dos días por comisión del servicio.",
    "Excelente trabajo en equipo con personal de naciones amigas.",
    "Entregó el trabajo final fuera de plazo.",
]
OVERRIDE_REASONS = [
    "Constancia en trámite ante la Dirección General de Educación Militar.",
    "Certificado vigente emitido por otra institución; copia en expediente.",
    "Autorizado por la Dirección del CECOPAM por necesidades del despliegue.",
]

# --- people ---------------------------------------------------------------------------------

MALE_NAMES = (
    "José Luis, Juan Carlos, Jesús, Ángel, Óscar, Rubén, Martín, Andrés, Raúl, Sebastián, Joaquín, Héctor, "
    "Víctor Manuel, Efraín, Josué, Julián, Adrián, Iván, Germán, Tomás, Cuauhtémoc, Moisés, Nicolás, Ramón, "
    "Simón, Álvaro, Fernando, Miguel Ángel, Luis Ángel, Jorge, Ricardo, Arturo, Eduardo, Francisco Javier, "
    "Alejandro, Daniel, Emilio, Gustavo, Hugo, Israel, Saúl, Abdiel, Ulises, Édgar, Jonás"
).split(", ")
FEMALE_NAMES = (
    "María José, María Fernanda, Guadalupe, Ximena, Sofía, Lucía, Mónica, Verónica, Itzel, Citlali, Araceli, "
    "Beatriz, Inés, Leticia, Natalia, Noemí, Raquel, Rocío, Soledad, Susana, Teresa, Yolanda, Zoé, Anaís, "
    "Dulce María, Karla, Mariana, Andrea, Daniela, Valeria, Paola, Alejandra, Gabriela, Elena, Fátima, Jimena, "
    "Belén, Nayeli, Xóchitl, Ana Sofía, Maité, Nohemí, Begoña, Ángela, Montserrat"
).split(", ")
BRAZILIAN_MALE = "João Pedro, Antônio, Sebastião, Gonçalo, Luís Otávio, Thiago, Caio, Vinícius".split(", ")
BRAZILIAN_FEMALE = "Luíza, Conceição, Lívia, Bárbara, Letícia, Ana Júlia, Vitória".split(", ")
MEXICAN_SURNAMES = (
    "Hernández, García, Martínez, López, González, Pérez, Rodríguez, Sánchez, Ramírez, Cruz, Flores, Gómez, "
    "Morales, Vázquez, Jiménez, Reyes, Díaz, Torres, Gutiérrez, Ruiz, Mendoza, Aguilar, Ortiz, Moreno, Castillo, "
    "Romero, Álvarez, Méndez, Chávez, Rivera, Juárez, Ramos, Domínguez, Herrera, Medina, Castro, Vargas, Guzmán, "
    "Velázquez, Muñoz, Rojas, Contreras, Salazar, Luna, Ortega, Santiago, Guerrero, Estrada, Bautista, Cortés, "
    "Soto, Alvarado, Espinoza, Lara, Ávila, Ríos, Cervantes, Sandoval, Núñez, Ibáñez, Peña, Ordóñez, Quiñones, "
    "Benítez, Zúñiga, Acuña, Galván, Montaño, Xicoténcatl, Tecuatl, Cuevas, Maldonado, Solís, Beltrán, Ocampo, "
    "Ugalde, Villaseñor, Nieto, Gálvez"
).split(", ")
PARTNER_SURNAMES = {
    "GT": "Ajú, Cojtí, Tzul, Xicará, Girón, Barrios, Orellana, Pérez, Méndez, Sandoval".split(", "),
    "SV": "Menjívar, Quintanilla, Alvarenga, Cañas, Hernández, Martínez, Orellana".split(", "),
    "HN": "Zelaya, Matamoros, Ordóñez, Funes, Mejía, Lagos".split(", "),
    "CO": "Gaviria, Restrepo, Uribe, Ospina, Londoño, Zuluaga, Galán, Patiño".split(", "),
    "PE": "Quispe, Huamán, Mamani, Condori, Chávez, Ccahuana, Ñahui".split(", "),
    "CL": "Muñoz, Rojas, Díaz, Soto, Contreras, Silva, Araya, Fuentealba".split(", "),
    "AR": "Fernández, Gómez, Pereyra, Acosta, Benítez, Ibarra, Giménez".split(", "),
    "UY": "Rodríguez, Sosa, Techera, Olivera, Pírez, Suárez".split(", "),
    "EC": "Andrade, Cevallos, Zambrano, Villacís, Guamán, Yépez".split(", "),
    "DO": "De los Santos, Peña, Almonte, Báez, De la Cruz, Tejada".split(", "),
    "BR": "Araújo, Gonçalves, Magalhães, Conceição, Assunção, Simões, Brandão, Falcão".split(", "),
    "PY": "Benítez, Giménez, Ayala, Cáceres, Duarte, Ortigoza".split(", "),
    "BO": "Mamani, Choque, Quispe, Flores, Vargas, Ticona".split(", "),
}
PHONE_PREFIX = {
    "MX": "+52",
    "GT": "+502",
    "SV": "+503",
    "HN": "+504",
    "CO": "+57",
    "PE": "+51",
    "CL": "+56",
    "AR": "+54",
    "UY": "+598",
    "EC": "+593",
    "DO": "+1 809",
    "BR": "+55",
    "PY": "+595",
    "BO": "+591",
}
ARMY_RANKS = "Cabo, Sargento Segundo, Sargento Primero, Subteniente, Teniente, Capitán Segundo, Capitán Primero, Mayor, Teniente Coronel, Coronel".split(
    ", "
)
NAVY_RANKS = "Teniente de Corbeta, Teniente de Fragata, Teniente de Navío, Capitán de Corbeta, Capitán de Fragata, Capitán de Navío".split(
    ", "
)
POLICE_RANKS = "Policía, Policía Tercero, Policía Segundo, Policía Primero, Suboficial, Oficial, Subinspector, Inspector, Comisario".split(
    ", "
)
CIVILIAN_TITLES = ["", "", "Lic.", "Ing.", "Mtro.", "Mtra."]
MEXICAN_STATES = (
    "Aguascalientes, Baja California, Campeche, Chiapas, Chihuahua, Coahuila, Durango, Estado de México, "
    "Guanajuato, Guerrero, Hidalgo, Jalisco, Michoacán, Morelos, Nayarit, Nuevo León, Oaxaca, Puebla, "
    "Querétaro, Quintana Roo, San Luis Potosí, Sinaloa, Sonora, Tabasco, Tamaulipas, Tlaxcala, Veracruz, "
    "Yucatán, Zacatecas"
).split(", ")


@dataclass(frozen=True)
class OrgSeed:
    name: str
    kind: str  # Organization.Kind
    country: str
    category: str  # trainees' Trainee.Category
    branch: str
    ranks: tuple
    domain: str
    service_prefix: str


def _organization_seeds(count, rnd):
    """`count` organizations: named institutions first, then numbered units."""
    army, navy, police = tuple(ARMY_RANKS), tuple(NAVY_RANKS), tuple(POLICE_RANKS)
    civ = tuple(CIVILIAN_TITLES)
    seeds = [
        OrgSeed("Heroico Colegio Militar", "military", "MX", "military", "Ejército Mexicano", army, "sedena", "D-"),
        OrgSeed(
            "Escuela Militar de Ingenieros", "military", "MX", "military", "Ejército Mexicano", army, "sedena", "D-"
        ),
        OrgSeed("Escuela Superior de Guerra", "military", "MX", "military", "Ejército Mexicano", army, "sedena", "D-"),
        OrgSeed("Heroica Escuela Naval Militar", "military", "MX", "military", "Armada de México", navy, "semar", "M-"),
        OrgSeed(
            "Centro de Estudios Superiores Navales",
            "military",
            "MX",
            "military",
            "Armada de México",
            navy,
            "semar",
            "M-",
        ),
        OrgSeed("Colegio del Aire", "military", "MX", "military", "Fuerza Aérea Mexicana", army, "sedena", "FA-"),
        OrgSeed(
            "Secretaría de Relaciones Exteriores", "civilian", "MX", "civilian", "Servicio Exterior", civ, "sre", "SRE-"
        ),
        OrgSeed(
            "Comisión Nacional de los Derechos Humanos", "civilian", "MX", "civilian", "CNDH", civ, "cndh", "CNDH-"
        ),
        OrgSeed("Cruz Roja Mexicana", "civilian", "MX", "civilian", "Socorros", civ, "cruzroja", "CRM-"),
        OrgSeed(
            "Coordinación Nacional de Protección Civil",
            "civilian",
            "MX",
            "civilian",
            "Protección Civil",
            civ,
            "pc",
            "PC-",
        ),
        OrgSeed(
            "Ejército de Guatemala", "partner", "GT", "military", "Ejército de Guatemala", army, "mindef-gt", "GT-"
        ),
        OrgSeed("Fuerza Armada de El Salvador", "partner", "SV", "military", "Fuerza Armada", army, "faes", "SV-"),
        OrgSeed(
            "Fuerzas Armadas de Honduras", "partner", "HN", "military", "Ejército de Honduras", army, "ffaa-hn", "HN-"
        ),
        OrgSeed(
            "Ejército Nacional de Colombia",
            "partner",
            "CO",
            "military",
            "Ejército Nacional",
            army,
            "ejercito-co",
            "CO-",
        ),
        OrgSeed(
            "Policía Nacional de Colombia", "partner", "CO", "police", "Policía Nacional", police, "policia-co", "CP-"
        ),
        OrgSeed("Ejército del Perú", "partner", "PE", "military", "Ejército del Perú", army, "ejercito-pe", "PE-"),
        OrgSeed("Ejército de Chile", "partner", "CL", "military", "Ejército de Chile", army, "ejercito-cl", "CL-"),
        OrgSeed("Carabineros de Chile", "partner", "CL", "police", "Carabineros", police, "carabineros", "CC-"),
        OrgSeed("Ejército Argentino", "partner", "AR", "military", "Ejército Argentino", army, "ejercito-ar", "AR-"),
        OrgSeed(
            "Gendarmería Nacional Argentina", "partner", "AR", "police", "Gendarmería", police, "gendarmeria", "GA-"
        ),
        OrgSeed(
            "Ejército Nacional de Uruguay", "partner", "UY", "military", "Ejército Nacional", army, "ejercito-uy", "UY-"
        ),
        OrgSeed(
            "Ejército del Ecuador", "partner", "EC", "military", "Ejército del Ecuador", army, "ejercito-ec", "EC-"
        ),
        OrgSeed(
            "Ejército de República Dominicana", "partner", "DO", "military", "Ejército", army, "ejercito-do", "DO-"
        ),
        OrgSeed("Exército Brasileiro", "partner", "BR", "military", "Exército Brasileiro", army, "eb-br", "BR-"),
        OrgSeed(
            "Fuerzas Armadas de la Nación Paraguaya", "partner", "PY", "military", "Ejército", army, "ffaa-py", "PY-"
        ),
        OrgSeed("Ejército de Bolivia", "partner", "BO", "military", "Ejército de Bolivia", army, "ejercito-bo", "BO-"),
    ]
    units = [
        ("Batallón de Infantería {n}", "Ejército Mexicano", army, "sedena", "D-"),
        ("Regimiento de Caballería Motorizado {n}", "Ejército Mexicano", army, "sedena", "D-"),
        ("Batallón de Ingenieros de Combate {n}", "Ejército Mexicano", army, "sedena", "D-"),
        ("Batallón de Infantería de Marina {n}", "Armada de México", navy, "semar", "M-"),
        ("Base Aérea Militar No. {n}", "Fuerza Aérea Mexicana", army, "sedena", "FA-"),
    ]
    n = 0
    while len(seeds) < count:
        n += 1
        for template, branch, ranks, domain, prefix in units:
            seeds.append(OrgSeed(template.format(n=n), "military", "MX", "military", branch, ranks, domain, prefix))
        state = MEXICAN_STATES[(n - 1) % len(MEXICAN_STATES)]
        suffix = "" if n <= len(MEXICAN_STATES) else f" {n // len(MEXICAN_STATES) + 1}"
        seeds.append(
            OrgSeed(
                f"Guardia Nacional — Coordinación {state}{suffix}",
                "police",
                "MX",
                "police",
                "Guardia Nacional",
                police,
                "gn",
                "GN-",
            )
        )
    seeds = seeds[:count]
    # Large units send more people than a school or a partner nation does.
    weights = [1 if s.kind in ("civilian", "partner") else (3 if s.name[0] in "BRG" else 2) for s in seeds]
    return seeds, weights


def _ascii(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def _slug(text):
    return "".join(c for c in _ascii(text) if c.isalnum())


# Text written into COPY streams is taken from the lists above, never from input: none of it
# may contain a character COPY's text format would need escaped.
for _word in (
    MALE_NAMES
    + FEMALE_NAMES
    + BRAZILIAN_MALE
    + BRAZILIAN_FEMALE
    + MEXICAN_SURNAMES
    + REMARKS
    + OVERRIDE_REASONS
    + LOCATIONS
    + EXTERNAL_ISSUERS
    + ARMY_RANKS
    + NAVY_RANKS
    + POLICE_RANKS
    + [s for names in PARTNER_SURNAMES.values() for s in names]
):
    assert not set(_word) & set("\t\n\r\\"), _word

# RFC 4648 base32 to Crockford's alphabet (certifications.models.CODE_ALPHABET), symbol for symbol.
_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def _code(rnd):
    """80 random bits as a verification code (the format of certifications.models.generate_code).

    Drawn from the seeded generator so that the data set is reproducible: these codes are
    guessable by whoever knows the seed, which is fine for benchmark data and only for that.
    """
    s = base64.b32encode(rnd.randbytes(10)).decode().translate(_CROCKFORD)
    return f"{s[0:4]}-{s[4:8]}-{s[8:12]}-{s[12:16]}"


def _ts(day, hour, minute=0):
    """A timestamp in Mexico City's standard time (UTC-6, no daylight saving since 2022)."""
    return f"{day.isoformat()} {hour:02d}:{minute:02d}:00-06"


# --- COPY plumbing --------------------------------------------------------------------------


def _copy_text(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Table:
    """A model's table for COPY: the columns the generator writes, then every other column
    with its model default, so that a field added later with a default needs no change here."""

    def __init__(self, model, columns):
        from django.db import connection
        from django.db.models import NOT_PROVIDED

        self.model = model
        self.name = model._meta.db_table
        with connection.cursor() as cursor:
            in_database = {c.name for c in connection.introspection.get_table_description(cursor, self.name)}
        fields = {f.column: f for f in model._meta.concrete_fields if not getattr(f, "generated", False)}
        unknown = [c for c in columns if c not in fields or c not in in_database]
        if unknown:
            raise SystemExit(f"{self.name}: no column {', '.join(unknown)} (is the database migrated?)")
        self.columns = list(columns)
        defaults = []
        for column, field in fields.items():
            if column in columns or column not in in_database:
                continue
            if field.db_default is not NOT_PROVIDED and not field.has_default():
                continue  # the database fills it (a sequence, gen_random_uuid()): COPY leaves it out
            value = field.get_default()
            if value is None and not field.null:
                raise SystemExit(f"{self.name}.{column} has no default: teach bench/generate.py to fill it")
            self.columns.append(column)
            defaults.append(_copy_text(value))
        self.suffix = "".join("\t" + d for d in defaults) + "\n"

    def copy(self, chunks):
        """COPY the rows yielded (as lists of tab-separated lines, without the newline)."""
        from django.db import connection

        suffix = self.suffix
        sql = f"COPY {self.name} ({', '.join(self.columns)}) FROM STDIN"

        def text():
            for lines in chunks:
                yield "".join(line + suffix for line in lines)

        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, _IteratorFile(text()), size=1 << 20)
            else:  # psycopg 3
                with raw.copy(sql) as stream:
                    for block in text():
                        stream.write(block)


class _IteratorFile:
    """A read()-able file over a generator of strings, so COPY streams without a temporary file."""

    def __init__(self, blocks):
        self._blocks = blocks
        self._buffer = ""

    def read(self, size=-1):
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._blocks)
            except StopIteration:
                break
        if size < 0 or len(self._buffer) <= size:
            out, self._buffer = self._buffer, ""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _chunked(rows):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- the generator --------------------------------------------------------------------------


@dataclass
class SessionPlan:
    id: int
    course: object  # CourseSeed
    code: str
    starts_on: datetime.date
    ends_on: datetime.date
    capacity: int
    size: int
    status: str
    instructors: list
    finalized_at: str | None
    reopened: bool


@dataclass
class CourseSeed:
    id: int
    code: str
    hours: int
    grants_id: int | None
    validity: int | None
    pass_mark: int | None
    has_prerequisites: bool
    instructors: list


class Generator:
    def __init__(self, *, scale, seed, today, reminder_log=True, out=sys.stdout):
        self.scale = scale
        self.seed = seed
        self.rnd = random.Random(seed)
        self.today = today
        self.reminder_log = reminder_log
        self.out = out
        self.counts = {}
        self.timings = []
        self._expiry_cache = {}

    def say(self, text):
        print(text, file=self.out, flush=True)

    def phase(self, name, func, *args):
        started = time.perf_counter()
        result = func(*args)
        elapsed = time.perf_counter() - started
        self.timings.append((name, elapsed))
        self.say(f"  {name:<38} {elapsed:7.1f} s")
        return result

    # -- orchestration

    def run(self):
        from django.db import connection, transaction

        from certifications.models import Certification, ExpiryReminder
        from courses.models import CourseSession, Enrollment
        from trainees.models import Trainee, TraineeLanguage

        self._check_ready()
        started = time.perf_counter()
        loaded = [Trainee, TraineeLanguage, CourseSession, Enrollment, Certification, ExpiryReminder]
        tables = [m._meta.db_table for m in loaded]
        with transaction.atomic():
            with connection.cursor() as cursor:
                # pghistory's triggers (Trainee, CourseSession, Enrollment, Certification) would write
                # an event row per inserted row and slow the load several times over. Foreign-key
                # checks are not user triggers: they stay on and run at commit.
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            self.phase("users, organizations, catalogue", self.load_reference_data)
            self.phase("trainees and languages", self.load_trainees)
            self.phase("sessions and instructors", self.load_sessions)
            self.phase("enrolments (+ certificate rows)", self.load_enrollments)
            self.phase("certifications (+ supersede chains)", self.load_certifications)
            if self.reminder_log:
                self.phase("reminder log", self.load_reminder_log)
            self.phase("sequences", self.reset_sequences)
            self.phase("birth dates, profiles, deployments", self.load_deployments)
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED; their queued checks must run
            # before the tables can be altered back (and a dangling id fails the whole load here).
            self.phase("foreign-key checks", self.check_constraints)
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        load_seconds = time.perf_counter() - started
        self.phase("vacuum analyze", self.vacuum, loaded)
        total = time.perf_counter() - started
        self.report(load_seconds, total)

    def _check_ready(self):
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        from courses.models import Course, CourseSession
        from trainees.models import Organization, Trainee

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise SystemExit("The database has unapplied migrations: run `manage.py migrate` first.")
        for model in (Organization, Trainee, Course, CourseSession):
            if model.objects.exists():
                raise SystemExit(
                    f"{model._meta.db_table} is not empty: generate into a fresh, migrated database "
                    "(createdb NAME && DATABASE_URL=... manage.py migrate)."
                )

    # -- reference data (ORM: a few hundred rows)

    def load_reference_data(self):
        from django.contrib.auth.hashers import make_password
        from django.contrib.auth.models import Group

        from accounts.models import User
        from certifications.models import CertificationType
        from common.permissions import ADMINISTRATORS, INSTRUCTORS, TRAINEES
        from courses.models import Course
        from trainees.models import Organization

        rnd, scale = self.rnd, self.scale
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in (ADMINISTRATORS, INSTRUCTORS, TRAINEES)}
        unusable = make_password(None)  # bench accounts sign in through force_login or a password set later

        def people(prefix, count, group):
            users = []
            for i in range(1, count + 1):
                female = rnd.random() < 0.3
                users.append(
                    User(
                        username=f"bench.{prefix}.{i:04d}",
                        first_name=rnd.choice(FEMALE_NAMES if female else MALE_NAMES),
                        last_name=f"{rnd.choice(MEXICAN_SURNAMES)} {rnd.choice(MEXICAN_SURNAMES)}",
                        email=f"{prefix}{i:04d}@cecopam.example",
                        password=unusable,
                    )
                )
            users = User.objects.bulk_create(users)
            User.groups.through.objects.bulk_create(
                [User.groups.through(user_id=u.pk, group_id=groups[group].pk) for u in users]
            )
            return [u.pk for u in users]

        self.admin_ids = people("admin", 3, ADMINISTRATORS)
        self.instructor_ids = people("instructor", scale.instructors, INSTRUCTORS)
        self.trainee_user_ids = people("trainee", scale.trainee_accounts, TRAINEES)

        self.org_seeds, self.org_weights = _organization_seeds(scale.organizations, rnd)
        orgs = Organization.objects.bulk_create(
            [
                Organization(
                    name=s.name,
                    kind=s.kind,
                    country=s.country,
                    training_officer_email=""
                    if rnd.random() < 0.08
                    else f"capacitacion.{_slug(s.name)[:40]}@{s.domain}.example",
                )
                for s in self.org_seeds
            ]
        )
        self.org_ids = [o.pk for o in orgs]

        types = CertificationType.objects.bulk_create(
            [
                CertificationType(code=code, name=name, validity_months=months)
                for code, name, months in CERTIFICATION_TYPES
            ]
        )
        self.type_by_code = {t.code: t for t in types}
        courses = Course.objects.bulk_create(
            [
                Course(
                    code=code,
                    title=title,
                    category=category,
                    duration_hours=hours,
                    grants=self.type_by_code[grants] if grants else None,
                    pass_mark=pass_mark,
                    description=f"{title}. Programa conforme a los materiales de capacitación de Naciones Unidas.",
                )
                for code, title, category, hours, grants, pass_mark, _prereqs, _weight in COURSES
            ]
        )
        Course.prerequisites.through.objects.bulk_create(
            [
                Course.prerequisites.through(course_id=course.pk, certificationtype_id=self.type_by_code[p].pk)
                for course, row in zip(courses, COURSES, strict=True)
                for p in row[6]
            ]
        )
        instructors = list(self.instructor_ids)
        rnd.shuffle(instructors)
        per_course = max(2, math.ceil(2 * len(instructors) / len(courses)))
        self.courses = []
        for i, (course, row) in enumerate(zip(courses, COURSES, strict=True)):
            start = (i * len(instructors)) // len(courses)
            pool = [instructors[(start + k) % len(instructors)] for k in range(per_course)]
            grants = self.type_by_code[row[4]] if row[4] else None
            self.courses.append(
                CourseSeed(
                    id=course.pk,
                    code=course.code,
                    hours=row[3],
                    grants_id=grants.pk if grants else None,
                    validity=grants.validity_months if grants else None,
                    pass_mark=row[5],
                    has_prerequisites=bool(row[6]),
                    instructors=pool,
                )
            )
        self.course_weights = [row[7] for row in COURSES]
        self.counts.update(
            users=len(self.admin_ids) + len(self.instructor_ids) + len(self.trainee_user_ids),
            organizations=len(orgs),
            certification_types=len(types),
            courses=len(courses),
        )

    # -- trainees (COPY)

    def load_trainees(self):
        from trainees.models import Trainee, TraineeLanguage

        rnd, scale, today = self.rnd, self.scale, self.today
        table = Table(
            Trainee,
            [
                "id",
                "user_id",
                "service_number",
                "given_names",
                "paternal_surname",
                "maternal_surname",
                "rank",
                "category",
                "branch",
                "organization_id",
                "nationality",
                "gender",
                "email",
                "phone",
                "status",
                "preferred_language",
                "created_at",
                "updated_at",
            ],
        )
        languages = Table(TraineeLanguage, ["id", "trainee_id", "language", "proficiency"])
        language_rows = []
        seeds, org_ids = self.org_seeds, self.org_ids
        org_indexes = rnd.choices(range(len(seeds)), weights=self.org_weights, k=scale.trainees)
        self.trainee_count = scale.trainees
        statuses = ["active"] * 78 + ["deployed"] * 12 + ["inactive"] * 10
        proficiencies = ["basic", "intermediate", "intermediate", "advanced", "advanced", "native"]

        def rows():
            language_id = 0
            for i in range(scale.trainees):
                trainee_id = i + 1
                seed = seeds[org_indexes[i]]
                country = seed.country
                roll = rnd.random()
                gender = "female" if roll < 0.28 else ("other" if roll < 0.285 else "male")
                if country == "BR":
                    female_names, male_names, surnames = BRAZILIAN_FEMALE, BRAZILIAN_MALE, PARTNER_SURNAMES["BR"]
                else:
                    female_names, male_names = FEMALE_NAMES, MALE_NAMES
                    surnames = (
                        MEXICAN_SURNAMES if country == "MX" else PARTNER_SURNAMES[country] + MEXICAN_SURNAMES[:20]
                    )
                if gender == "other":
                    given = rnd.choice(female_names + male_names)
                else:
                    given = rnd.choice(female_names if gender == "female" else male_names)
                paternal = rnd.choice(surnames)
                maternal = "" if rnd.random() < 0.04 else rnd.choice(surnames)
                rank = rnd.choice(seed.ranks)
                # A multiplicative step keeps numbers unique while not looking sequential.
                service_number = f"{seed.service_prefix}{(trainee_id * 1_234_577 + 1_000_003) % 10_000_000:07d}"
                email = (
                    ""
                    if rnd.random() < 0.05
                    else f"{_slug(given.split()[0])}.{_slug(paternal)}.{trainee_id}@{seed.domain}.example"
                )
                phone = (
                    ""
                    if rnd.random() < 0.2
                    else f"{PHONE_PREFIX[country]} {rnd.randint(10, 99)} {rnd.randint(1000, 9999)} {rnd.randint(1000, 9999)}"
                )
                created = today - datetime.timedelta(days=rnd.randint(30, 365 * YEARS_OF_HISTORY + 200))
                stamp = _ts(created, rnd.randint(8, 18), rnd.randint(0, 59))
                user_id = self.trainee_user_ids[i] if i < len(self.trainee_user_ids) else None
                # The interface speaks Spanish and English; some Brazilian officers prefer English.
                language = "en" if country == "BR" and rnd.random() < 0.5 else "es"
                yield (
                    f"{trainee_id}\t{_copy_text(user_id)}\t{service_number}\t{given}\t{paternal}\t{maternal}\t{rank}\t"
                    f"{seed.category}\t{seed.branch}\t{org_ids[org_indexes[i]]}\t{country}\t{gender}\t{email}\t{phone}\t"
                    f"{rnd.choice(statuses)}\t{language}\t{stamp}\t{stamp}"
                )
                spoken = (
                    [("pt", "native"), ("es", rnd.choice(proficiencies[:4]))] if country == "BR" else [("es", "native")]
                )
                if rnd.random() < 0.55:
                    spoken.append(("en", rnd.choice(proficiencies[:5])))
                if rnd.random() < 0.1:
                    spoken.append(("fr", rnd.choice(proficiencies[:4])))
                for code, level in spoken:
                    language_id += 1
                    language_rows.append(f"{language_id}\t{trainee_id}\t{code}\t{level}")

        table.copy(_chunked(rows()))
        languages.copy(_chunked(language_rows))
        self.counts.update(trainees=scale.trainees, trainee_languages=len(language_rows))

    # -- sessions (COPY)

    def _plan_sessions(self):
        rnd, today = self.rnd, self.today
        first_day = today - datetime.timedelta(days=365 * YEARS_OF_HISTORY)
        span = (today + datetime.timedelta(days=180) - first_day).days
        drafts = []
        total = 0
        while total < self.scale.enrollments:
            course = rnd.choices(self.courses, weights=self.course_weights)[0]
            starts_on = first_day + datetime.timedelta(days=rnd.randrange(span))
            starts_on -= datetime.timedelta(days=starts_on.weekday())  # courses start on a Monday
            if course.hours <= 24:
                length = 2
            else:
                length = (math.ceil(course.hours / 40) - 1) * 7 + 4  # Monday to Friday, whole weeks
            ends_on = starts_on + datetime.timedelta(days=length)
            capacity = rnd.randrange(40, 201, 5)
            if starts_on > today:
                size = max(1, round(capacity * rnd.uniform(0.4, 1.15)))  # still filling; some waitlists
            else:
                size = rnd.randint(40, capacity)
            size = min(size, self.scale.enrollments - total)
            total += size
            drafts.append((starts_on, course.code, ends_on, course, capacity, size))
        drafts.sort(key=lambda d: (d[0], d[1]))
        plans = []
        numbers = {}
        for session_id, (starts_on, _code, ends_on, course, capacity, size) in enumerate(drafts, start=1):
            key = (course.code, starts_on.year)
            numbers[key] = numbers.get(key, 0) + 1
            finalized_at = None
            reopened = False
            if ends_on < today - datetime.timedelta(days=14):
                status = "cancelled" if rnd.random() < 0.02 else "finalized"
                if status == "finalized":
                    finalized_at = _ts(ends_on + datetime.timedelta(days=rnd.randint(1, 10)), 13, rnd.randint(0, 59))
                    reopened = rnd.random() < 0.01
            elif starts_on > today:
                status = "open" if starts_on <= today + datetime.timedelta(days=90) else "planned"
            else:
                status = "in_progress"
            plans.append(
                SessionPlan(
                    id=session_id,
                    course=course,
                    code=f"{course.code}-{starts_on.year}-{numbers[key]:03d}",
                    starts_on=starts_on,
                    ends_on=ends_on,
                    capacity=capacity,
                    size=size,
                    status=status,
                    instructors=rnd.sample(course.instructors, k=min(len(course.instructors), rnd.choice((1, 1, 2)))),
                    finalized_at=finalized_at,
                    reopened=reopened,
                )
            )
        return plans

    def load_sessions(self):
        from courses.models import CourseSession

        self.sessions = self._plan_sessions()
        table = Table(
            CourseSession,
            [
                "id",
                "course_id",
                "code",
                "starts_on",
                "ends_on",
                "location",
                "capacity",
                "status",
                "finalized_at",
                "finalized_by_id",
                "reopen_reason",
            ],
        )
        rnd = self.rnd
        reopen_reason = "Corrección de calificaciones capturadas erróneamente."

        def rows():
            for s in self.sessions:
                finalized_by = s.instructors[0] if s.finalized_at else None
                yield (
                    f"{s.id}\t{s.course.id}\t{s.code}\t{s.starts_on}\t{s.ends_on}\t{rnd.choice(LOCATIONS)}\t{s.capacity}\t"
                    f"{s.status}\t{_copy_text(s.finalized_at)}\t{_copy_text(finalized_by)}\t"
                    f"{reopen_reason if s.reopened else ''}"
                )

        table.copy(_chunked(rows()))
        through = CourseSession.instructors.through
        links = Table(through, ["id", "coursesession_id", "user_id"])
        link_rows = []
        for s in self.sessions:
            for user_id in s.instructors:
                link_rows.append(f"{len(link_rows) + 1}\t{s.id}\t{user_id}")
        links.copy(_chunked(link_rows))
        self.counts.update(sessions=len(self.sessions), session_instructors=len(link_rows))

    # -- enrolments (COPY), collecting the certificates their results earn

    def _expires(self, issued_on, months):
        from certifications.models import add_months

        if months is None:
            return None
        key = (issued_on, months)
        if key not in self._expiry_cache:
            self._expiry_cache[key] = add_months(issued_on, months)
        return self._expiry_cache[key]

    def load_enrollments(self):
        from courses.models import Enrollment

        rnd, today = self.rnd, self.today
        table = Table(
            Enrollment,
            [
                "id",
                "session_id",
                "trainee_id",
                "status",
                "result",
                "score",
                "attendance",
                "remarks",
                "recorded_by_id",
                "recorded_at",
                "enrolled_at",
                "enrolled_by_id",
                "prerequisites_overridden",
                "override_reason",
            ],
        )
        # Certificates go to a temporary file while enrolments stream: one COPY at a time.
        self.cert_file = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        cert_file = self.cert_file
        admins = self.admin_ids
        trainees = range(1, self.trainee_count + 1)
        self.cert_id = 0
        revoked_reason = "El resultado ahora es Reprobado (sesión finalizada de nuevo)."
        revoker = admins[0]

        def cert_line(trainee_id, course, session, enrollment_id, revoked):
            self.cert_id += 1
            expires = self._expires(session.ends_on, course.validity)
            revoked_at = _ts(session.ends_on + datetime.timedelta(days=40), 10) if revoked else None
            return (
                f"{self.cert_id}\t{trainee_id}\t{course.grants_id}\t{_code(rnd)}\t{session.ends_on}\t"
                f"{_copy_text(expires)}\t{enrollment_id}\t\t{_copy_text(revoked_at)}\t"
                f"{revoked_reason if revoked else ''}\t{_copy_text(revoker if revoked else None)}\t"
                f"{session.finalized_at}\n"
            )

        def rows():
            enrollment_id = 0
            for s in self.sessions:
                course = s.course
                pass_mark = course.pass_mark or 60
                chosen = rnd.sample(trainees, s.size)
                offsets = sorted((rnd.randint(3, 75) for _ in chosen), reverse=True)  # earliest first
                recorded_at = _ts(s.ends_on, 17, rnd.randint(0, 59))
                instructor = s.instructors[0]
                records = s.status == "finalized" or (s.status == "in_progress" and s.ends_on < today)
                certs = []
                for seat, (trainee_id, offset) in enumerate(zip(chosen, offsets, strict=True)):
                    enrollment_id += 1
                    enrolled_at = _ts(
                        s.starts_on - datetime.timedelta(days=offset), rnd.randint(8, 18), rnd.randint(0, 59)
                    )
                    status, result, score, attendance, remarks = "enrolled", "pending", "\\N", "\\N", ""
                    by_recorder, at_recorder = "\\N", "\\N"
                    if s.status == "cancelled" or rnd.random() < 0.03:
                        status = "withdrawn"
                    elif seat >= s.capacity:
                        status = "waitlisted"
                    elif records and (s.status == "finalized" or rnd.random() < 0.6):
                        roll = rnd.random()
                        by_recorder, at_recorder = instructor, recorded_at
                        if roll < 0.85:
                            result = "passed"
                            score = f"{rnd.uniform(pass_mark, 100):.2f}"
                            attendance = rnd.randint(85, 100)
                        elif roll < 0.95:
                            result = "failed"
                            score = f"{rnd.uniform(30, pass_mark - 0.01):.2f}"
                            attendance = rnd.randint(60, 100)
                        else:
                            result = "incomplete"
                            attendance = rnd.randint(20, 79)
                        if rnd.random() < 0.05:
                            remarks = rnd.choice(REMARKS)
                    overridden, reason = "f", ""
                    if course.has_prerequisites and rnd.random() < 0.03:
                        overridden, reason = "t", rnd.choice(OVERRIDE_REASONS)
                    yield (
                        f"{enrollment_id}\t{s.id}\t{trainee_id}\t{status}\t{result}\t{score}\t{attendance}\t{remarks}\t"
                        f"{by_recorder}\t{at_recorder}\t{enrolled_at}\t{rnd.choice(admins)}\t{overridden}\t{reason}"
                    )
                    if s.status == "finalized" and course.grants_id is not None:
                        if result == "passed":
                            certs.append(cert_line(trainee_id, course, s, enrollment_id, revoked=False))
                        elif result == "failed" and s.reopened and rnd.random() < 0.5:
                            # Passed, certified, then corrected to failed after a reopening.
                            certs.append(cert_line(trainee_id, course, s, enrollment_id, revoked=True))
                if certs:
                    cert_file.write("".join(certs))
            self.counts["enrollments"] = enrollment_id

        table.copy(_chunked(rows()))

    # -- certifications: COPY into a staging table, then one INSERT that links renewals

    def load_certifications(self):
        from django.db import connection

        from certifications.models import Certification

        rnd, today = self.rnd, self.today
        columns = [
            "id",
            "trainee_id",
            "type_id",
            "code",
            "issued_on",
            "expires_on",
            "enrollment_id",
            "issuer",
            "revoked_at",
            "revoked_reason",
            "revoked_by_id",
            "created_at",
        ]
        table = Table(Certification, columns)
        # Certificates recorded by hand from other institutions (no enrolment, an issuer).
        external_types = [self.type_by_code[c] for c in EXTERNAL_TYPES]
        for trainee_id in range(1, self.trainee_count + 1):
            if rnd.random() >= 0.03:
                continue
            cert_type = rnd.choice(external_types)
            issued_on = today - datetime.timedelta(days=rnd.randint(30, 365 * 5))
            self.cert_id += 1
            self.cert_file.write(
                f"{self.cert_id}\t{trainee_id}\t{cert_type.pk}\t{_code(rnd)}\t{issued_on}\t"
                f"{_copy_text(self._expires(issued_on, cert_type.validity_months))}\t\\N\t{rnd.choice(EXTERNAL_ISSUERS)}\t"
                f"\\N\t\t\\N\t{_ts(issued_on + datetime.timedelta(days=rnd.randint(5, 200)), 11)}\n"
            )
        self.cert_file.seek(0)

        stage = "bench_certification_stage"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {stage} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP")
        staging = copy.copy(table)
        staging.name = stage

        def lines():
            for line in self.cert_file:
                yield line[:-1]

        staging.copy(_chunked(lines()))
        self.cert_file.close()
        # Each live certificate is superseded by the next live one of the same person and type
        # (by issue date), exactly the chain certifications.services.issue_certification builds.
        select = [
            "CASE WHEN revoked_at IS NULL THEN lead(id) OVER renewals END" if c == "superseded_by_id" else c
            for c in table.columns
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table.name} ({', '.join(table.columns)}) "
                f"SELECT {', '.join(select)} FROM {stage} "
                "WINDOW renewals AS (PARTITION BY trainee_id, type_id, revoked_at IS NULL ORDER BY issued_on, id)"
            )
            self.counts["certifications"] = cursor.rowcount

    # -- reminder log: what the daily job would have sent since it went live

    def load_reminder_log(self):
        from django.conf import settings
        from django.db import connection

        from certifications.models import ExpiryReminder

        fields = {f.column: f for f in ExpiryReminder._meta.concrete_fields}
        with connection.cursor() as cursor:
            in_database = {
                c.name for c in connection.introspection.get_table_description(cursor, "certifications_expiryreminder")
            }
        sent = "(c.expires_on - s.stage + time '07:00') AT TIME ZONE %(tz)s"
        expressions = {
            "certification_id": "c.id",
            "stage": "s.stage",
            "state": "CASE WHEN r.recipients = '[]'::jsonb THEN 'undeliverable' ELSE 'sent' END",
            "recipients": "r.recipients",
            "created_at": sent,
            "sent_at": f"CASE WHEN r.recipients = '[]'::jsonb THEN NULL ELSE {sent} + interval '2 minutes' END",
            "attempts": "CASE WHEN r.recipients = '[]'::jsonb THEN 0 ELSE 1 END",
            "last_attempt_at": f"{sent} + interval '2 minutes'",
            "last_error": "CASE WHEN r.recipients = '[]'::jsonb THEN 'No email address for the trainee or the training officer.' ELSE '' END",
            "language": "t.preferred_language",
        }
        columns, values, params = [], [], {"tz": settings.TIME_ZONE}
        for column, field in fields.items():
            if column == "id" or column not in in_database:
                continue
            columns.append(column)
            if column in expressions:
                values.append(expressions[column])
            else:
                default = field.get_default()
                if default is None and not field.null:
                    raise SystemExit(f"certifications_expiryreminder.{column} has no default: teach bench/generate.py")
                params[column] = json.dumps(default) if isinstance(default, (dict, list)) else default
                values.append(f"%({column})s")
        params.update(
            stages=list(settings.CERT_REMINDER_DAYS),
            go_live=self.today - datetime.timedelta(days=REMINDER_GO_LIVE_DAYS),
            yesterday=self.today - datetime.timedelta(days=1),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO certifications_expiryreminder ({', '.join(columns)}) "
                f"SELECT {', '.join(values)} "
                "FROM certifications_certification c "
                "JOIN trainees_trainee t ON t.id = c.trainee_id "
                "LEFT JOIN trainees_organization o ON o.id = t.organization_id "
                "CROSS JOIN unnest(%(stages)s::int[]) AS s(stage) "
                "CROSS JOIN LATERAL (SELECT to_jsonb(array_remove(ARRAY[NULLIF(t.email, ''), "
                "NULLIF(o.training_officer_email, '')], NULL)) AS recipients) r "
                "WHERE c.revoked_at IS NULL AND c.superseded_by_id IS NULL AND c.expires_on IS NOT NULL "
                "AND c.expires_on - s.stage BETWEEN %(go_live)s AND %(yesterday)s",
                params,
            )
            self.counts["expiry_reminders"] = cursor.rowcount

    def load_deployments(self):
        """Dates of birth and of entry into service for everyone (one UPDATE, deterministic by id),
        a requirement profile per UN role over the certification types most people hold, and a
        deployment per profile starting in 60 days for six months, with a few of its ready
        people nominated (bench/readiness.py measures the pool search on these)."""
        from django.db import connection
        from django.db.models import Count

        from certifications.models import CertificationType
        from deployments.models import Deployment, LanguageRequirement, Nomination, RequirementProfile, Role
        from deployments.readiness import pool

        with connection.cursor() as cursor:
            # Born 1972-2003, in service from 19 to 23; the hash spreads the dates without a random stream.
            cursor.execute(
                "UPDATE trainees_trainee SET date_of_birth = DATE '1972-01-01' + ((id * 7919) % 11700)::int, "
                "service_started_on = DATE '1972-01-01' + ((id * 7919) % 11700 + 365 * (19 + id % 5))::int"
            )
        types = list(
            CertificationType.objects.filter(validity_months__isnull=False)
            .annotate(holders=Count("certifications"))
            .order_by("-holders", "code")[:6]
        )
        roles = list(Role)
        starts_on = self.today + datetime.timedelta(days=60)
        ends_on = starts_on + datetime.timedelta(days=182)
        nominations = []
        for index, role in enumerate(roles):
            profile = RequirementProfile.objects.create(
                code=f"BENCH-{role.value.upper()}",
                name=f"{role.label} (bench)",
                role=role.value,
                min_age=21 + index,
                min_service_years=1 + index % 4,
            )
            # Two or three of the most held types, rotating, so that each profile selects differently.
            profile.required_types.set([types[(index + k) % len(types)] for k in range(2 + index % 2)])
            if role.value in ("military_expert", "staff_officer", "individual_police"):
                LanguageRequirement.objects.create(profile=profile, language="en", minimum="intermediate")
            deployment = Deployment.objects.create(
                code=f"BENCH-{index + 1:02d}",
                mission="MINURSO",
                profile=profile,
                starts_on=starts_on,
                ends_on=ends_on,
                positions=20,
                status=Deployment.Status.NOMINATING,
            )
            ready = pool(profile, starts_on, ends_on, today=self.today).ready.order_by("pk")[:20]
            nominations += [
                Nomination(deployment=deployment, trainee_id=pk, ready_when_nominated=True)
                for pk in ready.values_list("pk", flat=True)
            ]
        Nomination.objects.bulk_create(nominations)
        self.counts["deployments"] = len(roles)
        self.counts["nominations"] = len(nominations)

    def check_constraints(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def reset_sequences(self):
        from django.core.management.color import no_style
        from django.db import connection

        from accounts.models import User
        from certifications.models import Certification, ExpiryReminder
        from courses.models import CourseSession, Enrollment
        from trainees.models import Trainee, TraineeLanguage

        models = [
            Trainee,
            TraineeLanguage,
            CourseSession,
            CourseSession.instructors.through,
            Enrollment,
            Certification,
            ExpiryReminder,
            User,
        ]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)

    def vacuum(self, models):
        from django.db import connection

        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")

    # -- report

    def report(self, load_seconds, total_seconds):
        from django.db import connection

        today = self.today
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT count(*) FILTER (WHERE superseded_by_id IS NULL AND revoked_at IS NULL),
                       count(*) FILTER (WHERE superseded_by_id IS NOT NULL),
                       count(*) FILTER (WHERE revoked_at IS NOT NULL),
                       count(*) FILTER (WHERE enrollment_id IS NULL),
                       count(*) FILTER (WHERE superseded_by_id IS NULL AND revoked_at IS NULL
                                        AND expires_on BETWEEN %s AND %s),
                       count(*) FILTER (WHERE superseded_by_id IS NULL AND revoked_at IS NULL AND expires_on < %s)
                FROM certifications_certification
                """,
                [today, today + datetime.timedelta(days=max(self._stages())), today],
            )
            current, superseded, revoked, external, window, expired = cursor.fetchone()
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            size = cursor.fetchone()[0]
        from certifications.models import Certification

        due_today = None
        if hasattr(Certification.objects, "due_for_reminder"):  # the reminder sweep's own selection
            due_today = Certification.objects.due_for_reminder(today).count()
        self.say("")
        self.say(
            f"Generated (seed {self.seed}, today {today}) in {load_seconds:.1f} s load, {total_seconds:.1f} s with vacuum:"
        )
        for name, count in self.counts.items():
            self.say(f"  {name:<22} {count:>10,}")
        self.say(
            f"  certifications: {current:,} current, {superseded:,} superseded, {revoked:,} revoked, "
            f"{external:,} from other institutions"
        )
        self.say(
            f"  current certificates expiring in the next {max(self._stages())} days: {window:,} "
            f"({window / max(current, 1):.1%} of current); already expired: {expired:,}"
        )
        if due_today is not None:
            self.say(f"  due for a reminder on {today} (Certification.objects.due_for_reminder): {due_today:,}")
        self.say(f"  database size: {size}")

    def _stages(self):
        from django.conf import settings

        return settings.CERT_REMINDER_DAYS or [90]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), required=True)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else the project's default database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--today", type=datetime.date.fromisoformat, help="date the data is anchored on (default: today)"
    )
    parser.add_argument(
        "--no-reminder-log",
        action="store_true",
        help="write no ExpiryReminder rows: every certificate in a reminder window is then due at once",
    )
    args = parser.parse_args(argv)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cecopam.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    today = args.today or timezone.localdate()
    print(
        f"Generating {args.scale} data into {connection.settings_dict['NAME']} (seed {args.seed}, today {today})",
        flush=True,
    )
    Generator(scale=SCALES[args.scale], seed=args.seed, today=today, reminder_log=not args.no_reminder_log).run()


if __name__ == "__main__":
    main()
