"""Settings read from the environment; unset DATABASE_URL means a SQLite file under var/."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent  # src/everydoor
PROJECT_DIR = Path(os.environ.get("EVERYDOOR_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("EVERYDOOR_VAR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("EVERYDOOR_SECRET_KEY", "dev-only-not-secret")
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
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "everydoor.web.errors.UserErrorMiddleware",
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
    # faster than from memory (the card register's personal-ID index 5.6 -> 3.5 s).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA cache_size=-200000; PRAGMA temp_store=FILE;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("EVERYDOOR_LOG_LEVEL", "WARNING")},
}
