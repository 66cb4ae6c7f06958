"""Django settings, all read through ``famlink.config`` (environment first)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from famlink import config
from famlink.core.private_files import private_file, private_folder

DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key()
DEBUG = config.flag("FAMLINK_DEBUG")
ALLOWED_HOSTS = [h.strip() for h in (config.get("FAMLINK_ALLOWED_HOSTS") or "127.0.0.1,localhost").split(",") if h.strip()]
ALLOWED_HOSTS.append("testserver")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "govuk_frontend_django",
    "famlink.adapters.storage.sources",
    "famlink.adapters.storage.family",
    "famlink.adapters.storage.linkage",
    "famlink.adapters.storage.governance",
    "famlink.adapters.storage.registers",
    "famlink.adapters.storage.accounts",
    "famlink.adapters.storage.rights",
    "famlink.adapters.storage.workspace",
    "famlink.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "famlink.web.caching.NoStoreMiddleware",  # outside everything that answers for a person
    "famlink.api.gate.ApiGate",  # /api/: signed in and within the rate limit, before any lookup
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "famlink.web.errors.FamlinkErrorMiddleware",
]

ROOT_URLCONF = "famlink.urls"
WSGI_APPLICATION = "famlink.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(config.database_url(), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, plus statements sent with the COMMIT (the audit log's write-ahead INSERT)
    DATABASES["default"]["ENGINE"] = "famlink.adapters.storage.postgresql"
    # a connection kept between requests is checked first (no round trip): one left over from
    # before a PostgreSQL restart is replaced instead of failing the request
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    SQLITE_FILE = Path(DATABASES["default"]["NAME"])
    if str(SQLITE_FILE) != ":memory:":
        # made 0600 before SQLite opens it, which would make it under the umask (its -wal and -shm copy its mode)
        private_file(private_folder(SQLITE_FILE.parent) / SQLITE_FILE.name)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that a test can hand the database to a subprocess.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
FRONTEND_DIR = Path(config.get("FAMLINK_FRONTEND_DIR") or config.checkout_dir() / "node_modules")
STATICFILES_DIRS = [("govuk-frontend", FRONTEND_DIR / "govuk-frontend")] if (FRONTEND_DIR / "govuk-frontend").is_dir() else []
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_AGE = 30 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# HTTPS (docs/configuration.md): a TLS proxy in front sends X-Forwarded-Proto, which
# gunicorn trusts from 127.0.0.1, so request.is_secure() is true and HSTS is sent.
HTTPS = config.flag("FAMLINK_HTTPS")
SESSION_COOKIE_SECURE = HTTPS or config.flag("FAMLINK_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = config.whole_number("FAMLINK_HSTS_SECONDS") if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = config.flag("FAMLINK_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = False  # preloading is for the owner of the whole domain, sent from its apex
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'sha256-GUQ5ad8JK5KmEWmROf3LZd9ge94daqNvd8xy9YS1iDw='"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

EMAIL_BACKEND = config.get("FAMLINK_EMAIL_BACKEND") or "famlink.adapters.outbox.PrivateOutbox"
EMAIL_FILE_PATH = DATA_DIR / "outbox"
DEFAULT_FROM_EMAIL = "famlink@council.example"

LOGIN_URL = "/sign-in/"
FAMLINK_API_CALLS_PER_MINUTE = config.whole_number("FAMLINK_API_CALLS_PER_MINUTE", minimum=1)
FAMLINK_API_TOKEN_DAYS = config.whole_number("FAMLINK_API_TOKEN_DAYS", minimum=1)

# Accounts (famlink/adapters/storage/accounts, docs/identity.md): local
# passwords, GOV.UK One Login over OpenID Connect when FAMLINK_OIDC_ISSUER is set, and
# the council's own OpenID Connect provider for staff when FAMLINK_STAFF_OIDC_ISSUER is.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "famlink.adapters.identity.one_login.OneLoginBackend",
    "famlink.adapters.identity.one_login.CouncilBackend",
]
FAMLINK_OIDC = {
    "ISSUER": config.get("FAMLINK_OIDC_ISSUER") or "",
    "CLIENT_ID": config.get("FAMLINK_OIDC_CLIENT_ID") or "",
    "PRIVATE_KEY_FILE": config.get("FAMLINK_OIDC_PRIVATE_KEY_FILE") or "",
    "KEY_ID": config.get("FAMLINK_OIDC_KEY_ID") or "",
    "VTR": config.get("FAMLINK_OIDC_VTR") or '["Cl.Cm"]',
}
FAMLINK_STAFF_OIDC = {
    "ISSUER": config.get("FAMLINK_STAFF_OIDC_ISSUER") or "",
    "CLIENT_ID": config.get("FAMLINK_STAFF_OIDC_CLIENT_ID") or "",
    "PRIVATE_KEY_FILE": config.get("FAMLINK_STAFF_OIDC_PRIVATE_KEY_FILE") or "",
    "KEY_ID": config.get("FAMLINK_STAFF_OIDC_KEY_ID") or "",
    "MFA_AMR": config.get("FAMLINK_STAFF_OIDC_MFA_AMR") or "mfa",
}
OIDC_RP_SCOPES = "openid email"
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "one-login-callback"
LOGIN_REDIRECT_URL = "/portal/"
LOGIN_REDIRECT_URL_FAILURE = "/sign-in/?failed=one-login"
CSRF_FAILURE_VIEW = "famlink.web.failures.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"file": {"class": "logging.FileHandler", "filename": str(private_file(DATA_DIR / "famlink.log"))}},
    "root": {"handlers": ["file"], "level": "WARNING"},
}
