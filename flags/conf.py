"""Flags tunables: defaults here, overridable through settings.SWITCHYARD["FLAGS_<NAME>"].

One place for product numbers, like triage's SWITCHYARD dict; tests change them with the
`tunables` fixture (tunables["FLAGS_UNEVALUATED_DAYS"] = 1).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Expected lifetime per kind, after which a flag is listed as stale (None: never). Unleash's
    # defaults for release and experiment; ops toggles that should stay are marked permanent.
    "LIFETIME_DAYS": {"release": 40, "experiment": 40, "ops": 7, "permission": None},
    # "Serves one variant to everyone" for this long makes a flag stale.
    "STATIC_DAYS": 7,
    # No evaluation for this long (and older than this) makes a flag stale.
    "UNEVALUATED_DAYS": 14,
    # Environments every project offers, before any SDK key or flag state names another.
    "ENVIRONMENTS": ["production", "staging", "development"],
    # Exposure counters per (environment, minute) live this long in Redis.
    "EXPOSURE_TTL_SECONDS": 2 * 24 * 3600,
    # OFREP misses (flag keys apps evaluate that Switchyard does not know) are kept this long.
    "MISS_TTL_SECONDS": 14 * 24 * 3600,
    # Server-sent events: a comment line this often keeps proxies from closing an idle stream.
    "SSE_KEEPALIVE_SECONDS": 15,
    # Open change streams per process: per SDK key (a client key serves every browser of an app)
    # and in all. Past them a new stream gets 429.
    "SSE_STREAMS_PER_KEY": {"server": 50, "client": 2000},
    "SSE_STREAMS_PER_PROCESS": 5000,
    # Lifetime of the signed event-stream URL handed out in bulk responses.
    "SSE_URL_MAX_AGE_SECONDS": 3600,
    # flags.client.flag_is_active (django-waffle's API) for Django apps beside Switchyard: the
    # project (id or slug) and environment whose flags they read.
    "DJANGO_PROJECT": None,
    "DJANGO_ENVIRONMENT": "production",
}


def get(name: str) -> Any:
    return getattr(settings, "SWITCHYARD", {}).get(f"FLAGS_{name}", DEFAULTS[name])
