"""Settings read from the environment; unset DATABASE_URL means a SQLite file under var/."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent  # src/everydoor
PROJECT_DIR = Path(os.environ.get("EVERYDOOR_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("EVERYDOOR_VAR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)



def _secret_key() -> str:
    """EVERYDOOR_SECRET_KEY, else a random key kept beside the database (made on first start): a known
    key would let anyone forge session cookies and API tokens."""
    if os.environ.get("EVERYDOOR_SECRET_KEY"):
        return os.environ["EVERYDOOR_SECRET_KEY"]
    import secrets

    kept = VAR_DIR / "secret_key"
    if not kept.exists():
        kept.write_text(secrets.token_urlsafe(50), encoding="ascii")
        kept.chmod(0o600)
    return kept.read_text(encoding="ascii").strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("EVERYDOOR_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("EVERYDOOR_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "csp",
    "everydoor.core",
    "everydoor.accounts",
    "everydoor.geo",
    "everydoor.registry",
    "everydoor.linkage",
    "everydoor.coverage",
    "everydoor.campaign",
    "everydoor.lapses",
    "everydoor.web",
    "everydoor.field",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "everydoor.web.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "everydoor.web.errors.UserErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: it answers a locked-out sign-in
]

ROOT_URLCONF = "everydoor.config.urls"
WSGI_APPLICATION = "everydoor.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "everydoor.web.context.navigation",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'everydoor.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web app read while an import writes; IMMEDIATE avoids lock upgrades. A new database
    # gets 16 KiB pages (the page size is fixed once it holds anything): the import of the full card
    # register 4-8% faster. Temporary storage in files: SQLite's sorter builds an index from files
    # faster than from memory (the card register's personal-ID index 5.6 -> 3.5 s). Reads through a memory
    # map (capped at 2 GiB by SQLite's build): the pages come from the OS's cache without a read() each (a village's
    # card periods, random rows of the card table, 371 -> 172 ms per village), shared by every connection.
    # Connections are kept, as on PostgreSQL: a new one per request started from an empty page cache.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA cache_size=-200000; PRAGMA temp_store=FILE; PRAGMA mmap_size=2147418112;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Failed sign-ins are throttled (django-axes): after AXES_FAILURE_LIMIT failures for one user name from one
# address, that pair is locked out for an hour. The first backend skips sign-ins made without a request
# (scripts, the test client): only forms reached over the network are throttled.
AUTHENTICATION_BACKENDS = ["everydoor.accounts.backends.SignInThrottle", "everydoor.accounts.backends.Accounts"]
AXES_FAILURE_LIMIT = int(os.environ.get("EVERYDOOR_SIGNIN_FAILURES", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

# Security headers. Nothing inline: every script and style is a file of ours (CSP), no framing.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"],
        "object-src": ["'none'"], "base-uri": ["'none'"], "frame-ancestors": ["'none'"], "form-action": ["'self'"],
    }
}
# Sessions read from the process's cache, written through to the database: no query per page for them.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600  # a working day
# Served over HTTPS (behind the agency's TLS proxy): secure cookies and HSTS. Off by default, since the
# demo and an intranet without a certificate are served over plain HTTP.
HTTPS = os.environ.get("EVERYDOOR_HTTPS", "0") == "1"
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS if h]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
if os.environ.get("EVERYDOOR_FAST_HASHER") == "1":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Provincial top-ups of the national support shares: a JSON file (see everydoor/rules/law.py).
EVERYDOOR_RULE_OVERRIDES = os.environ.get("EVERYDOOR_RULE_OVERRIDES")

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers as each language writes them: 31/10/2025 and 1.475.810 in Vietnamese.
FORMAT_MODULE_PATH = ["everydoor.web.formats"]
USE_THOUSAND_SEPARATOR = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"  # without it, signing out renders a template no app ships (a 500)
# A file of commune boundaries (GeoJSON, features with the commune code in properties "code" or "ma_xa"):
# the map draws them; without one it draws a dot per commune at its position.
EVERYDOOR_BOUNDARIES = os.environ.get("EVERYDOOR_BOUNDARIES")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("EVERYDOOR_LOG_LEVEL", "WARNING")},
}

# The progress pages may show a report counted up to this many seconds ago while the newer one is counted in the
# background (campaign.progress): a province's report takes a second or more, and visits arrive all day.
EVERYDOOR_PROGRESS_MAX_AGE_S = float(os.environ.get("EVERYDOOR_PROGRESS_MAX_AGE_S", "60"))
