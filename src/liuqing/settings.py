"""Liuqing settings: one module, driven by the environment.

SQLite under var/ by default so that a fresh checkout just works; ``DATABASE_URL`` switches to
PostgreSQL. Secrets come from the environment or from a file named by ``<NAME>_FILE``.
``LIUQING_ENV=production`` turns on the deployment hardening that ``check --deploy`` expects.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("LIUQING_VAR_DIR", PROJECT_DIR / "var"))


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envint_between(name: str, default: int, low: int, high: int) -> int:
    """A whole number from NAME between `low` and `high` (inclusive), `default` when unset
    or empty; anything else stops the start with ImproperlyConfigured naming the setting."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ImproperlyConfigured(
            f"{name} must be a whole number from {low} to {high}, not {value[:40]!r}"
        )
    return number


def envsecret(name: str, default: str = "") -> str:
    """Read a secret from NAME, or from the file that NAME_FILE points to."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


ENVIRONMENT = os.environ.get("LIUQING_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
# Under pytest the suite's fixed key ring and fast hasher apply (LIUQING_TESTING=0 turns it off).
TESTING = envbool("LIUQING_TESTING", "pytest" in sys.modules)

SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY (or SECRET_KEY_FILE) must be set in production")
    SECRET_KEY = "liuqing-development-only-not-a-secret-" + "x" * 24

DEBUG = envbool("DEBUG", not PRODUCTION and not TESTING)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
if TESTING:
    ALLOWED_HOSTS += ["testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "liuqing.core",
    "liuqing.casework",
    "liuqing.notify",
    "liuqing.appeals",
    "liuqing.imports",
    "liuqing.incidents",
    "liuqing.visits",
    "liuqing.care",
    "liuqing.liaison",
    "liuqing.mediation",
    "liuqing.reception",
    "liuqing.partners",
    "liuqing.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "liuqing.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "liuqing.core.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liuqing.urls"
WSGI_APPLICATION = "liuqing.wsgi.application"

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
                "liuqing.core.context_processors.navigation",
                "liuqing.notify.context_processors.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'liuqing.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=envint("DB_CONN_MAX_AGE", 0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE takes the write lock at
    # BEGIN, so two writers queue on the busy timeout instead of failing with "locked" halfway.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # A page cache of SQLITE_CACHE_MB (SQLite's default is 2 MB, which a million-row
        # table's indexes thrash); temporary sorts in memory. Memory-mapped reads: a fresh
        # connection (one per request unless DB_CONN_MAX_AGE is set) reads index pages
        # straight from the OS cache instead of copying each one in through read(). Address
        # space only (the OS cache holds the data either way); SQLITE_MMAP_SIZE=0 turns it off.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            f"PRAGMA cache_size=-{envint('SQLITE_CACHE_MB', 64) * 1024}; "
            "PRAGMA temp_store=MEMORY; "
            f"PRAGMA mmap_size={envint('SQLITE_MMAP_SIZE', 1 << 30)};"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("LIUQING_TEST_SQLITE", "")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not envbool(
    "POSTGRES_JIT", False
):
    # No JIT compilation: the planner turns it on for any query estimated to read a million
    # rows, and compiling the appeals figures' grouping took a second, longer than running it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

# --- Cache ----------------------------------------------------------------------------------
# It holds the public rate-limit counters (liuqing.appeals.public.ratelimit). The local-memory
# cache counts per process, which is right for one app process; with several, set
# CACHE_URL=redis://host:6379/0 (Django's Redis backend; `pip install redis`) so they count
# together.
_cache_url = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url.startswith(("redis://", "rediss://", "unix://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "liuqing"}
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.Member"

# --- Authentication ------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
if TESTING and not envbool("LIUQING_TEST_REAL_HASHER", False):
    # Argon2 is slow by design; the test suite builds hundreds of members. The hasher itself
    # is exercised by test_passwords_are_hashed_with_argon2 with this flag off.
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "liuqing.core.passwords.DenyListValidator"},
]
# Composition and rotation rules stay off by default (NIST SP 800-63B); assessors may turn
# them on.
PASSWORD_REQUIRE_COMPOSITION = envbool("PASSWORD_REQUIRE_COMPOSITION", False)
PASSWORD_MAX_AGE_DAYS = envint("PASSWORD_MAX_AGE_DAYS", 0)
if PASSWORD_REQUIRE_COMPOSITION:
    AUTH_PASSWORD_VALIDATORS.append({"NAME": "liuqing.core.passwords.CompositionValidator"})

LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"

AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
# Each parameter is its own counter: five failures against one account, or five from one
# address, lock.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Reset only once the second factor passed too (liuqing.core.auth.reset_failures): resetting
# at the password step would give whoever holds the password endless TOTP guesses.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "liuqing.core.auth.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = envint("PROXY_COUNT", 0)

OTP_TOTP_ISSUER = "Liuqing 六情"
OTP_TOTP_TOLERANCE = 1

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = envint("SESSION_IDLE_MINUTES", 15) * 60
SESSION_ABSOLUTE_LIFETIME = envint("SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION or envbool("COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# The appeals figures' rollup (liuqing.appeals.rollup) keeps exact counts for the units at this
# depth of the tree and above (0: the root only; 1: the root and its brigades). Deeper units'
# figures are read from the cases directly (a station's appeals are few).
LIUQING_APPEAL_ROLLUP_DEPTH = envint("LIUQING_APPEAL_ROLLUP_DEPTH", 1)

API_TOKEN_DEFAULT_DAYS = envint("API_TOKEN_DEFAULT_DAYS", 90)
API_TOKEN_MAX_DAYS = envint("API_TOKEN_MAX_DAYS", 365)

# --- Personal data ---------------------------------------------------------------------------
# Retention periods in days per record kind, overriding each rule's default (liuqing.core.
# retention; `liuqing purge --dry-run` lists the kinds): "care.recipient=1095,...".
LIUQING_RETENTION_DAYS = {
    kind.strip(): int(days)
    for kind, _sep, days in (
        item.partition("=") for item in os.environ.get("LIUQING_RETENTION_DAYS", "").split(",")
    )
    if kind.strip() and days.strip()
}
# The key ring never lives in the database. JSON: {"active": "k2", "keys": {"k1": "<base64>",
# ...}, "blind_index": "<base64>"}. make demo writes var/keys.json; production points
# LIUQING_KEYRING_FILE at a file the database host cannot read.
LIUQING_KEYRING = envsecret("LIUQING_KEYRING")
LIUQING_KEYRING_FILE_DEFAULT = VAR_DIR / "keys.json"
if TESTING and not LIUQING_KEYRING:
    # A fixed ring for the test suite only (never used outside LIUQING_TESTING=1).
    LIUQING_KEYRING = (
        '{"active": "t1", "keys": {"t0": "dGVzdC1rZXktMC0wMDAwMDAwMDAwMDAwMDAwMDAwMDA=",'
        ' "t1": "dGVzdC1rZXktMS0xMTExMTExMTExMTExMTExMTExMTE="},'
        ' "blind_index": "dGVzdC1ibGluZC1pbmRleC1rZXktMDAwMDAwMDAwMDA="}'
    )

# --- Security headers ------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS: list[str] = []

# --- Uploads ---------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# --- Languages -------------------------------------------------------------------------------
# Kazakh in Xinjiang is written in the Arabic script (توتە جازۋ). Django knows "kk" as
# Cyrillic Kazakh, so we register our own code "kk-arab" (locale directory kk_Arab), following
# BCP 47's script subtag, and mark it right-to-left.
LANG_INFO["kk-arab"] = {
    "bidi": True,
    "code": "kk-arab",
    "name": "Kazakh (Arabic script)",
    "name_local": "قازاقشا",
}
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("Simplified Chinese")),
    ("ug", _("Uyghur")),
    ("kk-arab", _("Kazakh")),
    ("en", _("English")),
]
# Django decides direction from the part before the first hyphen, so "kk" stands for kk-arab
# here; Cyrillic Kazakh is not offered.
LANGUAGES_BIDI = ["he", "ar", "ar-dz", "fa", "ur", "ug", "kk", "ckb"]
# LIUQING_LOCALE_DIR lets the translation test extract messages into a scratch copy.
LOCALE_PATHS = [Path(os.environ.get("LIUQING_LOCALE_DIR", BASE_DIR / "locale"))]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Lists count matching rows up to this many ("more than 10,000" beyond it; liuqing.core.paging).
LIST_COUNT_CAP = envint("LIST_COUNT_CAP", 10_000)

# --- Casework SLA sweep and notifications (liuqing.casework.sweep, liuqing.notify) -------------
# Warning ladder, in working days on the national calendar: red once past due; yellow with
# less than YELLOW_DAYS left; blue with less than BLUE_DAYS, or less than BLUE_FRACTION of the
# allowed time, left. Escalation 2 (the station chief) once red for more than ESCALATION_2_DAYS.
CASEWORK_WARNING_YELLOW_DAYS = float(os.environ.get("CASEWORK_WARNING_YELLOW_DAYS", "1"))
CASEWORK_WARNING_BLUE_DAYS = float(os.environ.get("CASEWORK_WARNING_BLUE_DAYS", "3"))
CASEWORK_WARNING_BLUE_FRACTION = float(os.environ.get("CASEWORK_WARNING_BLUE_FRACTION", "0.25"))
CASEWORK_ESCALATION_2_DAYS = float(os.environ.get("CASEWORK_ESCALATION_2_DAYS", "2"))
CASEWORK_UPLOAD_MAX_BYTES = envint("CASEWORK_UPLOAD_MAX_MB", 10) * 1024 * 1024
NOTIFY_MAX_ATTEMPTS = envint("NOTIFY_MAX_ATTEMPTS", 6)
NOTIFY_LEASE_SECONDS = envint("NOTIFY_LEASE_SECONDS", 300)
NOTIFY_BOT_RATE_PER_MINUTE = envint("NOTIFY_BOT_RATE_PER_MINUTE", 20)
# External sends in flight at once per worker: raise it for gateways far away on the network
# (each send waits on them); on one machine with a local receiver one thread is fastest.
NOTIFY_SEND_THREADS = envint_between("NOTIFY_SEND_THREADS", 1, 1, 64)
# External sends whose outcomes the worker writes in one transaction (fewer commits per
# delivery); a worker killed between two writes sends up to this many again, with their
# idempotency keys. 1 writes each outcome at once.
NOTIFY_BOOK_EVERY = envint_between("NOTIFY_BOOK_EVERY", 4, 1, 1000)
# CAP alerts (liuqing.partners): the sender (a domain we own) and the site's public address,
# for links in messages and CAP <web>.
PARTNERS_CAP_SENDER = os.environ.get("PARTNERS_CAP_SENDER", "alerts.liuqing.example.org")
LIUQING_BASE_URL = os.environ.get("LIUQING_BASE_URL", "")

# --- Ledger imports and incidents (liuqing.imports, liuqing.incidents) -------------------------
# Rows per import batch (one transaction each) and the upload size cap.
IMPORTS_BATCH_ROWS = envint("IMPORTS_BATCH_ROWS", 5000)
IMPORTS_UPLOAD_MAX_MB = envint("IMPORTS_UPLOAD_MAX_MB", 200)
# Files over this size are imported by the worker (job imports.run_queued), not in the request;
# a worker run with no batch written for IMPORTS_STALE_MINUTES is started again.
IMPORTS_INLINE_MAX_MB = envint("IMPORTS_INLINE_MAX_MB", 2)
IMPORTS_STALE_MINUTES = envint("IMPORTS_STALE_MINUTES", 10)
# Files over IMPORTS_PIPELINE_MIN_MB are read and checked in a second (forked) process
# while the first writes, at most IMPORTS_PIPELINE_DEPTH batches ahead; -1 turns it off.
IMPORTS_PIPELINE_MIN_MB = envint("IMPORTS_PIPELINE_MIN_MB", 2)
IMPORTS_PIPELINE_DEPTH = envint("IMPORTS_PIPELINE_DEPTH", 2)
# H3 resolutions stored with every incident (coarse, fine): 8 ≈ 0.74 km², 9 ≈ 0.11 km² a cell.
INCIDENTS_CELL_RESOLUTIONS = tuple(
    int(r) for r in os.environ.get("INCIDENTS_CELL_RESOLUTIONS", "8,9").split(",")
)
# A point in no unit boundary goes to the nearest unit seat within this distance.
INCIDENTS_SEAT_RADIUS_KM = float(os.environ.get("INCIDENTS_SEAT_RADIUS_KM", "5"))
# The deployment's region (min lat, min lng, max lat, max lng) when the detachment has no
# boundary; points outside are refused. Default: Xinjiang with a margin. Empty disables.
INCIDENTS_AREA_BBOX = (
    tuple(
        float(v)
        for v in os.environ.get("INCIDENTS_AREA_BBOX", "34.0,73.0,49.5,96.5").split(",")
        if v.strip()
    )
    or None
)

# --- Dispute mediation (liuqing.mediation) ---------------------------------------------------
# A dispute is to be mediated within this many calendar days of acceptance (one month by the
# 2002 rules); longer only by an extension both parties consent to. The judicial-confirmation
# reminder goes out this many days after an agreement takes effect (the application is due
# within 30 days).
MEDIATION_DEADLINE_DAYS = envint("MEDIATION_DEADLINE_DAYS", 30)
MEDIATION_CONFIRMATION_REMINDER_DAYS = envint("MEDIATION_CONFIRMATION_REMINDER_DAYS", 20)

# --- Reception desk (liuqing.reception) ----------------------------------------------------------
# User names (comma-separated) of the detachment's designated supervisors: members of the top
# unit with a supervising role who alone see complaints about the detachment itself (its
# police-inspection members). Empty: every supervising member of the detachment sees them,
# and `check --deploy --database default` warns (liuqing.reception.supervision).
RECEPTION_TOP_SUPERVISORS = tuple(
    name.strip()
    for name in os.environ.get("RECEPTION_TOP_SUPERVISORS", "").split(",")
    if name.strip()
)

# --- Incident analytics (liuqing.incidents.refresh, maps, patrols) ------------------------------
# Months each refresh keeps (the month slider and the emerging hot-spot cube).
INCIDENTS_MAP_MONTHS = envint("INCIDENTS_MAP_MONTHS", 24)
# Unit kinds that get their own maps (their cells: their boundary, else their subtree's).
INCIDENTS_MAP_UNIT_KINDS = tuple(
    k for k in os.environ.get("INCIDENTS_MAP_UNIT_KINDS", "detachment,brigade,station").split(",")
)
# Gi* permutations per map (0 = the analytic normal p, for very large maps).
INCIDENTS_PERMUTATIONS = envint("INCIDENTS_PERMUTATIONS", 999)
# Cell levels: the shares of non-zero cells that are red and yellow (KPIS.md: 10 % and 20 %).
INCIDENTS_RED_SHARE = os.environ.get("INCIDENTS_RED_SHARE", "0.1")
INCIDENTS_YELLOW_SHARE = os.environ.get("INCIDENTS_YELLOW_SHARE", "0.2")
# Emerging hot spots (liuqing.analytics.emerging, read through
# liuqing.incidents.thresholds.emerging_parameters, checked by `manage.py check`). The defaults
# are ArcGIS Pro's Emerging Hot Spot Analysis as hotspots.md reads it:
# - a month's bin is a significant hot / cold bin at this confidence (two-sided, 0 < c < 1),
INCIDENTS_EMERGING_CONFIDENCE = os.environ.get("INCIDENTS_EMERGING_CONFIDENCE", "0.90")
# - after Benjamini-Hochberg over all the cube's bins (false: each bin's own p),
INCIDENTS_EMERGING_FDR = envbool("INCIDENTS_EMERGING_FDR", True)
# - the Mann-Kendall trend of a cell's z series counts when its two-sided p is below this,
INCIDENTS_EMERGING_TREND_ALPHA = os.environ.get("INCIDENTS_EMERGING_TREND_ALPHA", "0.05")
# - "frequent" (intensifying, persistent, diminishing, historical): significant in at least
#   this share of the months (a fraction "9/10" or a decimal "0.9"; 0 < share <= 1),
INCIDENTS_EMERGING_PERSISTENCE = os.environ.get("INCIDENTS_EMERGING_PERSISTENCE", "9/10")
# - each bin's neighbourhood: its cell's k-ring in this month and this many months before,
INCIDENTS_EMERGING_TIME_LAG = envint("INCIDENTS_EMERGING_TIME_LAG", 1)
# - and fewer months than this give "not enough data" rather than patterns.
INCIDENTS_EMERGING_MIN_MONTHS = envint("INCIDENTS_EMERGING_MIN_MONTHS", 4)
# Tourist season for the seasonal view of scenic areas (months 1-12).
INCIDENTS_TOURIST_MONTHS = tuple(
    int(m) for m in os.environ.get("INCIDENTS_TOURIST_MONTHS", "6,7,8").split(",") if m.strip()
)
# Patrol plans: the shares of each unit's officer-hours by mode ("mode=share", fractions or
# decimals adding up to 1; modes among car, foot, video).
INCIDENTS_PATROL_MODE_SHARES = {
    mode.strip(): share.strip()
    for mode, _sep, share in (
        item.partition("=")
        for item in os.environ.get(
            "INCIDENTS_PATROL_MODE_SHARES", "car=2/5,foot=2/5,video=1/5"
        ).split(",")
        if item.strip()
    )
}
# A tile URL template ("https://tiles.example/{z}/{x}/{y}.png") drawn under the cells; empty
# (the default) draws no tiles at all, so the map page calls no outside server.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
if MAP_TILE_URL:
    # The tile server's origin may serve images to the map pages (and nothing else).
    _tiles = urlsplit(MAP_TILE_URL.replace("{s}", "SUBDOMAIN"))
    _origin = f"{_tiles.scheme}://{_tiles.netloc.replace('SUBDOMAIN', '*')}"
    CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", f"img-src 'self' data: {_origin}"
    )

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200
