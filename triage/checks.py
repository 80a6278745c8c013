"""System checks run at start-up (`manage.py check`, the web server, the worker)."""

from django.conf import settings
from django.core.checks import Error, Warning, register

REQUIRED_TUNABLES = ("STREAM_MAXLEN", "BATCH_SIZE", "CLAIM_IDLE_MS", "MAX_DELIVERIES", "MAX_EVENT_BYTES")


@register()
def settings_check(app_configs, **kwargs):
    problems = []
    if not getattr(settings, "REDIS_URL", ""):
        problems.append(Error("REDIS_URL is empty", id="triage.E001"))
    tunables = getattr(settings, "SWITCHYARD", {})
    for name in REQUIRED_TUNABLES:
        if not isinstance(tunables.get(name), int) or tunables[name] <= 0:
            problems.append(Error(f"SWITCHYARD[{name!r}] must be a positive integer", id="triage.E002"))
    if tunables.get("MAX_EVENT_BYTES", 0) > tunables.get("MAX_DECOMPRESSED_BYTES", 0):
        problems.append(Warning("MAX_EVENT_BYTES exceeds MAX_DECOMPRESSED_BYTES", id="triage.W001"))
    if not settings.DEBUG and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning("SQLite outside local mode: set DATABASE_URL to PostgreSQL for production", id="triage.W002")
        )
    return problems
