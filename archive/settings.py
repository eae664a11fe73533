"""Settings for the Financial Policy Archive, read from the environment.

Every value has a safe default for local use; a value that cannot be understood stops the
start with ImproperlyConfigured instead of being silently replaced.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use True or False.")


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def _env_number(name: str, default, kind, described: str):
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not {described}.") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn `sqlite:///relative.db`, `sqlite:////abs.db` or `postgres://u:p@h:port/db` into a
    DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw = unquote(parts.path)
        if not raw or raw == "/":
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file.")
        # sqlite:///name.db is relative to the project; sqlite:////abs/name.db is absolute.
        path = Path(raw[1:])
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path if path.is_absolute() else BASE_DIR / path,
            # Opening a connection registers Django's SQL functions and sets the pragmas
            # below, about a millisecond that every request paid when it was not kept.
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
            "OPTIONS": {
                # WAL lets the web server read while an import writes; IMMEDIATE takes the
                # write lock at BEGIN, so two writers queue instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if parts.scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database.")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} has a bad port.") from None
        # Set for the web server (e.g. 5000 ms) so no public query runs unbounded; left
        # unset for imports and migrations, whose statements may rightly take longer.
        options = {"options": f"-c statement_timeout={env_int('DATABASE_STATEMENT_TIMEOUT', 0)}"}
        # Django's own connection pool (psycopg_pool), one per process: with N threads a
        # process needs at most N connections; none are opened and closed per request.
        pool_size = env_int("DATABASE_POOL_SIZE", 0)
        if pool_size:
            options["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 10}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 0 if pool_size else env_int("DATABASE_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            # Behind pgbouncer in transaction mode a cursor cannot outlive its transaction.
            "DISABLE_SERVER_SIDE_CURSORS": env_bool("DATABASE_PGBOUNCER", False),
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r} is not understood; use sqlite:///file.db or "
        "postgres://user:password@host:5432/name."
    )


def read_env_file(path: Path) -> None:
    """Settings from a file of NAME=value lines (`#` starts a comment), for those the
    environment does not set: `make install` writes `.env` with DJANGO_DEBUG=True, so that
    the README's `manage.py` commands run as printed in a development checkout."""
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip().isidentifier():
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value, not {line!r}.")
        os.environ.setdefault(name.strip(), value.strip())


read_env_file(Path(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env")))

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(for local development set DJANGO_DEBUG=True)."
        )
    SECRET_KEY = "django-insecure-local-development-only-key-never-used-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

DATABASE_URL = os.environ.get("DATABASE_URL") or "sqlite:///db.sqlite3"
DATABASES = {"default": database_from_url(DATABASE_URL)}
if os.environ.get("DATABASE_REPLICA_URL"):
    # Read-only queries go to the replica (archive.routers); in tests it is the primary.
    DATABASES["replica"] = {**database_from_url(os.environ["DATABASE_REPLICA_URL"]),
                            "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["archive.routers.PrimaryReplicaRouter"]
# How long a client reads from the primary after writing: longer than the replica's lag.
REPLICA_LAG_SECONDS = env_int("DATABASE_REPLICA_LAG", 10)
# Exports stream every match for minutes: their queries run under this statement timeout
# (milliseconds, 0 for none) instead of the web's DATABASE_STATEMENT_TIMEOUT.
EXPORT_STATEMENT_TIMEOUT = env_int("EXPORT_STATEMENT_TIMEOUT", 300_000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# dumpdata and loaddata (export_archive, import_archive) keep times to the microsecond.
SERIALIZATION_MODULES = {"json": "archive.serializers"}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_filters",
    "archive",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "archive.middleware.PrimaryAfterWriteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "archive.middleware.QueryTimeoutMiddleware",
]

# Public pages are the same for every anonymous visitor: each server keeps a page it has
# rendered, shared by its gunicorn workers (a file cache, so no other service is needed),
# until a release or a name changes (archive.middleware: the key holds the archive's
# state) or PAGE_CACHE_SECONDS pass. The admin and the health check are never cached; off in
# development so that changes to the code show at once.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0 if DEBUG else 120)
if PAGE_CACHE_SECONDS:
    MIDDLEWARE = ["archive.middleware.UpdateCurrentPageCache", *MIDDLEWARE,
                  "archive.middleware.FetchCurrentPageCache"]
CACHE_MIDDLEWARE_SECONDS = PAGE_CACHE_SECONDS
CACHE_DIR = os.environ.get("CACHE_DIR") or os.path.join(tempfile.gettempdir(),
                                                         "financial-policy-archive-cache")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": CACHE_DIR,
        "OPTIONS": {"MAX_ENTRIES": 3000},
    },
    # Failed logins (archive.throttle) apart from the pages: requests for many different
    # pages would otherwise push the counts out of a full cache.
    "logins": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": CACHE_DIR.rstrip(os.sep) + "-logins",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}

# The search index (archive/search_index.py), derived from the database: each server keeps
# its own, rebuilt with `manage.py rebuild_search_index` and kept up to date from the
# database's change log.
SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR") or BASE_DIR / "search-index")

# Harvesting (archive/harvest/): every request and response is kept in WARC files here.
WARC_DIR = Path(os.environ.get("WARC_DIR") or BASE_DIR / "warc")
# Named in every request's User-Agent, so a site's operator can see who fetches and why.
HARVEST_CONTACT_URL = os.environ.get("HARVEST_CONTACT_URL", "https://archive.example.org/about")
# Seconds between two requests to one host (a longer Crawl-delay in its robots.txt wins).
HARVEST_DELAY = env_float("HARVEST_DELAY", 5.0)
HARVEST_TIMEOUT = env_float("HARVEST_TIMEOUT", 30.0)
HARVEST_RETRIES = env_int("HARVEST_RETRIES", 3)
# Seconds before the first retry, doubled before each next one.
HARVEST_BACKOFF = env_float("HARVEST_BACKOFF", 2.0)
HARVEST_MAX_REDIRECTS = env_int("HARVEST_MAX_REDIRECTS", 5)
HARVEST_MAX_BYTES = env_int("HARVEST_MAX_MB", 20) * 1024 * 1024

ROOT_URLCONF = "archive.urls"
WSGI_APPLICATION = "archive.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "archive.context_processors.navigation",
            ],
        },
    },
]

# Django's backend behind a throttle of wrong passwords (archive.throttle).
AUTHENTICATION_BACKENDS = ["archive.throttle.ThrottledModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files need `collectstatic`; in development Django serves the sources.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto header.
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Production defaults are strict; a local HTTP deployment relaxes them explicitly.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Scripts only from this site, never inline; imported text can therefore never run even if
# it slipped past escaping. Inline styles stay allowed for the admin's style attributes.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO; the harvest's run log says what became of each page.
    "loggers": {"httpx": {"level": "WARNING"}},
}
