"""Settings for CECOPAM Training Records, read from environment variables.

Every variable has a working local default (PostgreSQL and Redis on localhost, mail
written to files under var/mail/). Production hardening switches on when DEBUG is off.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env("SECRET_KEY")  # no default: production must set one

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_countries",
    "pgtrigger",
    "pghistory",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "trainees",
    # deployments comes before courses: its seed_demo command (courses' demo, then the
    # deployments demo) overrides courses' one (Django takes the first app that has it).
    "deployments",
    "courses",
    "certifications",
    "reports",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # The one rule of two-step sign-in (accounts/two_factor.py): administrators, and anyone with
    # a device, must pass the second factor before any other page.
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "common.middleware.RefuseNulBytesMiddleware",
    "common.middleware.InvalidFiltersMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last: it turns a lockout raised during authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cecopam.urls"
WSGI_APPLICATION = "cecopam.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "common.permissions.roles",
            ],
            "builtins": ["common.templatetags.links", "common.templatetags.formats", "common.templatetags.text"],
            # common/ is a library, not an app: its loadable tag libraries are named here.
            "libraries": {"fields": "common.templatetags.fields"},
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/cecopam")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No parallel query plans for the application's statements: starting a parallel worker costs
# the database more than the pages' queries take (the expiring report's count of failing
# reminders: 2 ms of work, 30 ms with its worker), and on a shared server every request already
# has a core to wait for. The report computations were measured as fast without them (bench/RESULTS.md).
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c max_parallel_workers_per_gather=0")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reports:home"
# Pages composed by reports/ (layer 5) that lower layers link to, by name (common/links.py).
PAGE_LINKS = {
    "own-record": "reports:me",
    "trainee-record": "reports:trainee",
    "trainee-history": "reports:trainee-history",
    "session-history": "reports:session-history",
    "deployment-history": "reports:deployment-history",
}
# The trainee list's filters, with those about training that courses/ adds (trainees/filters.py).
TRAINEE_FILTERSET = "courses.filters.TrainedTraineeFilter"
LOGOUT_REDIRECT_URL = "login"

# Argon2id with parameters measured on the server (accounts/hashers.py); hashes made with
# Django's default Argon2 parameters verify with it and are re-hashed at the next sign-in.
PASSWORD_HASHERS = [
    "accounts.hashers.CecopamArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after this much inactivity (the expiry is renewed on every request).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True

# Languages: Spanish (Mexico) by default, English on request.
LANGUAGE_CODE = "es-mx"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Vendor assets (Bootstrap, htmx) come from the npm registry into node_modules at build time.
if (BASE_DIR / "node_modules").exists():
    STATICFILES_DIRS += [
        ("vendor/bootstrap", BASE_DIR / "node_modules/bootstrap/dist"),
        ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
        ("vendor/chartjs", BASE_DIR / "node_modules/chart.js/dist"),
    ]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded scans live outside the static tree and are only served through permission-checked views.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000  # the results grid of a large class posts many fields
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
# What an import file may hold (common/imports.py): checked before the file is parsed, so that a
# small XLSX that inflates to gigabytes, or a sheet reaching column XFD, is refused at once.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=100)
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=5_000)
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=100 * 1024 * 1024)
IMPORT_MAX_COMPRESSION_RATIO = env.int("IMPORT_MAX_COMPRESSION_RATIO", default=100)
# Errors listed in full in a preview or a command's report; every error is still counted per kind.
IMPORT_MAX_ERRORS_SHOWN = env.int("IMPORT_MAX_ERRORS_SHOWN", default=100)
# Checking a file stops after this many rows with errors (it cannot be imported anyway).
IMPORT_MAX_BAD_ROWS = env.int("IMPORT_MAX_BAD_ROWS", default=1_000)
SCAN_MAX_UPLOAD_BYTES = env.int("SCAN_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# Django's form renderer with inputs, selects and textareas written in Python (the same markup,
# several times faster: the results grid and the list filters render hundreds of them).
FORM_RENDERER = "common.renderers.FormRenderer"

# Email: EMAIL_URL such as smtp+tls://user:password@host:587, consolemail://, filemail:///path.
# django-environ drops the first slash of a filemail path: an absolute path needs four (filemail:////abs).
vars().update(env.email_url("EMAIL_URL", default=f"filemail:///{BASE_DIR / 'var' / 'mail'}"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CECOPAM <no-reply@cecopam.example.mx>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # seconds: a hung mail server must not hold a worker

# Celery: Redis broker; tasks are enqueued after commit and carry ids only.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = False  # per task: only the idempotent ones acknowledge late
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")

# Certification reminders: days before expiry, and how long after expiry a first sighting still counts.
CERT_REMINDER_DAYS = sorted(env.list("CERT_REMINDER_DAYS", cast=int, default=[90, 30, 7, 0]), reverse=True)
CERT_REMINDER_GRACE_DAYS = env.int("CERT_REMINDER_GRACE_DAYS", default=30)
CERT_REMINDER_HOUR = env.int("CERT_REMINDER_HOUR", default=7)  # local time (TIME_ZONE)
# Where trainees ask for a seat in a renewal session (Reply-To of the reminder).
CERT_REMINDER_CONTACT_EMAIL = env("CERT_REMINDER_CONTACT_EMAIL", default="capacitacion@cecopam.example.mx")
# A claimed reminder still pending after this long was never enqueued or its message was lost (long
# enough for a backlog of send tasks to drain: re-enqueueing a queued one only costs a skipped task).
CERT_REMINDER_REQUEUE_MINUTES = env.int("CERT_REMINDER_REQUEUE_MINUTES", default=60)
CERT_EXPIRING_SOON_DAYS = 90  # "expiring" badge on records

# UN gender parity (reports/parity.py): the UN Uniformed Gender Parity Strategy 2018–2028 sets,
# per year, the share of women (%) to reach in each category of uniformed personnel deployed:
# troops (military contingents), observers_staff (military observers and staff officers), fpu
# (formed police units), ipo (individual police officers); civilians have no target.
# Anchors published by the UN (checked 2026-12-01):
# - 2028, every category (15, 25, 20, 30): the strategy itself, as published by the Department of
#   Peace Operations (https://peacekeeping.un.org/en/uniformed-gender-parity-strategy-2018-2018-full-text);
# - 2021, troops 8 % and individual military officers 18 %: DPO's note "Acknowledging Uniformed
#   Gender Parity Target Achievers" (2021);
# - 2022, formed police units 12 %: UN Police, "UNPOL component in the UN Assistance Mission in
#   Somalia surpasses the gender parity targets for 2028" (police.un.org, 2022).
# The years between two anchors are filled by equal yearly steps (one point a year for troops and
# observers, which the 2021 and 2028 anchors imply exactly; 1.3 points a year for formed police
# units); a year before a category's first anchor, and individual police officers, for which no
# interim figure was found, by one point a year down from the nearest anchor. Replace a year here when the Department of Peace Operations publishes it
# (a year missing from the table has no target).
UGPS_TARGETS = {
    2021: {"troops": 8, "observers_staff": 18, "fpu": 11, "ipo": 23},
    2022: {"troops": 9, "observers_staff": 19, "fpu": 12, "ipo": 24},
    2023: {"troops": 10, "observers_staff": 20, "fpu": 13.3, "ipo": 25},
    2024: {"troops": 11, "observers_staff": 21, "fpu": 14.7, "ipo": 26},
    2025: {"troops": 12, "observers_staff": 22, "fpu": 16, "ipo": 27},
    2026: {"troops": 13, "observers_staff": 23, "fpu": 17.3, "ipo": 28},
    2027: {"troops": 14, "observers_staff": 24, "fpu": 18.7, "ipo": 29},
    2028: {"troops": 15, "observers_staff": 25, "fpu": 20, "ipo": 30},
}
# A share within this many points below its target is "close" (amber), as the UN colours it.
UGPS_CLOSE_POINTS = 5

# The monthly summary for administrators (reports/summary.py): sent on the first working day of
# each month (Monday to Friday, not a Mexican statutory holiday), at this local hour or later.
REPORTS_SUMMARY_HOUR = env.int("REPORTS_SUMMARY_HOUR", default=8)

# Certificates
CERTIFICATE_PAGE_SIZE = env("CERTIFICATE_PAGE_SIZE", default="A4")  # "A4" (landscape) or "letter"
VERIFY_RATE_LIMIT = env("VERIFY_RATE_LIMIT", default="30/m")
# Documents and exports each user may download (common/downloads.py): so many per period, and
# so many rendering at once; a render still counted after this many seconds is forgotten.
DOWNLOAD_RATE_LIMIT = env("DOWNLOAD_RATE_LIMIT", default="8/m")
DOWNLOAD_CONCURRENCY = env.int("DOWNLOAD_CONCURRENCY", default=2)
DOWNLOAD_RENDER_TIMEOUT = env.int("DOWNLOAD_RENDER_TIMEOUT", default=120)
# A transcript download waits this long for its rendering (a Celery task) before answering
# "being prepared" (certifications/transcripts.py).
TRANSCRIPT_WAIT_SECONDS = env.float("TRANSCRIPT_WAIT_SECONDS", default=3.0)
# How long the dashboard or the parity report waits for its first figures from the worker before
# it says they are being prepared (reports/cache.py).
REPORT_WAIT_SECONDS = env.float("REPORT_WAIT_SECONDS", default=3.0)

# Verifiable credentials (certifications/credentials.py). The issuer's Ed25519 private key, as a
# multibase Multikey secret ("z3u2..." or Digital Bazaar's 64-byte "zrv..."), or PKCS#8 PEM; never
# stored in the database. Unset with DEBUG on: a development key is generated once under var/.
CREDENTIAL_SIGNING_KEY = env("CREDENTIAL_SIGNING_KEY", default="")
CREDENTIAL_DEVELOPMENT_KEY_FILE = BASE_DIR / "var" / "credential-signing-key" if DEBUG else None
# Public keys ("z6Mk...") of earlier signing keys: still published in /.well-known/did.json so that
# credentials signed before a key rotation keep verifying.
CREDENTIAL_PREVIOUS_PUBLIC_KEYS = env.list("CREDENTIAL_PREVIOUS_PUBLIC_KEYS", default=[])

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("CACHE_URL", default="redis://127.0.0.1:6379/1"),
        # Several deployments (or parallel test workers, which set PYTEST_XDIST_WORKER) may share
        # one Redis: each keeps its own keys.
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default=os.environ.get("PYTEST_XDIST_WORKER", "")),
    },
    # Rendered trainee records (trainees/records.py), in each server process: their keys hold
    # the record's version, so no process can serve one stale, and reading one costs no round
    # trip. About 20 KB each; the least recently used go first.
    "records": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "trainee-records",
        "OPTIONS": {"MAX_ENTRIES": env.int("RECORD_CACHE_ENTRIES", default=2000)},
    },
    # Report figures (reports/cache.py), in each server process, keyed by the data's version.
    "reports": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "report-figures",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}

# History (django-pghistory): event tables are append-only; a database trigger refuses any
# UPDATE or DELETE of a history row, whoever asks (admin, shell, raw SQL through the ORM).
PGHISTORY_APPEND_ONLY = True
# The time of each write, not of its transaction's start, so that a timeline orders the
# several writes of one transaction (finalize: results, certificates, session) as they happened.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"

# Login throttling (django-axes): five failures for a username or an address lock it out.
AXES_FAILURE_LIMIT = 5
# Password posts per client address (accounts/two_factor.py), counted before the hash is computed.
SIGN_IN_RATE_LIMIT = env("SIGN_IN_RATE_LIMIT", default="20/m")
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Renders AXES_LOCKOUT_TEMPLATE with the time sign-in opens again (HTTP 429).
AXES_LOCKOUT_CALLABLE = "accounts.lockouts.lockout_response"
# Behind reverse proxies every request comes from the proxy's address: count the trusted
# proxies so that the client's own address is the one locked out, or rate-limited on /verify/
# (common/clients.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "common.clients.client_ip"

# Two-step sign-in (django-otp): TOTP (RFC 6238, SHA-1, 30 s, 6 digits) with recovery codes.
# Wrong codes count as failed sign-ins for axes above, so one lockout covers both steps, and an
# administrator can see and lift it; django-otp's own per-device delays are off (a second,
# invisible lockout that no one could lift).
OTP_TOTP_ISSUER = "CECOPAM"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Minutes between the right password and the code before the password must be typed again.
TWO_STEP_PENDING_MINUTES = 5

# Content-Security-Policy: no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"

# The REST API (/api/v1/, api/): bearer tokens per integration, JSON only, errors as RFC 9457
# problem documents, keyset cursors, a rate limit per token (per address for requests without one).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.KeysetCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Paths whose errors are RFC 9457 problem documents, not pages (common/errors.py).
PROBLEM_JSON_PATHS = ["/api/"]
API_RATE_LIMIT = env("API_RATE_LIMIT", default="600/m")  # per token
API_ANONYMOUS_RATE_LIMIT = env("API_ANONYMOUS_RATE_LIMIT", default="60/m")  # per client address
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=365)
API_BULK_MAX_ROWS = env.int("API_BULK_MAX_ROWS", default=5000)
SPECTACULAR_SETTINGS = {
    "TITLE": "CECOPAM Training Records API",
    "DESCRIPTION": (
        "Trainees, courses, sessions, enrolments with results and certifications of CECOPAM. "
        "Send `Authorization: Bearer <token>`; a token acts with its user's role and visibility. "
        "Errors are RFC 9457 problem documents (application/problem+json)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`: each its own named enum in the schema.
    "ENUM_NAME_OVERRIDES": {
        "TraineeStatusEnum": "trainees.models.Trainee.Status",
        "SessionStatusEnum": "courses.models.CourseSession.Status",
        "EnrollmentStatusEnum": "courses.models.Enrollment.Status",
        "DeploymentStatusEnum": "deployments.models.Deployment.Status",
        "NominationStatusEnum": "deployments.models.Nomination.Status",
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    # A proxy that terminates TLS sets X-Forwarded-Proto; SSL redirect can then be left to it.
    if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # weasyprint.progress logs every rendering step at INFO: one line each, for every PDF.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint.progress": {"level": "WARNING"}},
}

from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "send-expiry-reminders": {
        "task": "certifications.tasks.send_expiry_reminders",
        "schedule": crontab(hour=CERT_REMINDER_HOUR, minute=0),
    },
    # Claimed reminders whose send never finished (killed worker, lost message) are sent again.
    "requeue-stalled-expiry-reminders": {
        "task": "certifications.tasks.requeue_stalled_reminders",
        "schedule": crontab(minute="*/10"),
    },
    # Nominees whose certificate lapses before their deployment ends (deployments/reminders.py).
    "send-deployment-reminders": {
        "task": "deployments.tasks.send_deployment_reminders",
        "schedule": crontab(hour=CERT_REMINDER_HOUR, minute=15),
    },
    "requeue-stalled-deployment-reminders": {
        "task": "deployments.tasks.requeue_stalled_deployment_reminders",
        "schedule": crontab(minute="5-59/10"),
    },
    # Runs every morning; reports/summary.py sends the month's summary once, on the first working day.
    "monthly-summary": {
        "task": "reports.tasks.send_monthly_summary",
        "schedule": crontab(hour=REPORTS_SUMMARY_HOUR, minute=15),
    },
    "expiry-reminder-digest": {
        "task": "certifications.tasks.send_reminder_digest",
        "schedule": crontab(day_of_week="mon", hour=CERT_REMINDER_HOUR, minute=30),
    },
}
