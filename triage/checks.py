"""System checks run at start-up (`manage.py check`, the web server, the worker)."""

from django.conf import settings
from django.core.checks import Error, Info, Warning, register

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


@register()
def redis_persistence_check(app_configs, **kwargs):
    """The streams hold every accepted event until a worker digests it: a Redis that persists
    nothing loses them all on a restart (README.md, "Operations")."""
    import redis

    from config.redis_clients import is_cluster_url, parse_cluster_url

    options = {"socket_timeout": 2, "socket_connect_timeout": 2, "decode_responses": True}
    if is_cluster_url(settings.REDIS_URL):  # the first node listed stands for the cluster's configuration
        parsed = parse_cluster_url(settings.REDIS_URL)
        (host, port), *_ = parsed.nodes
        client = redis.Redis(host=host, port=port, username=parsed.username, password=parsed.password,
                             ssl=parsed.ssl, **options)
    else:
        client = redis.Redis.from_url(settings.REDIS_URL, **options)
    try:
        return redis_persistence_problems(client)
    finally:
        client.close()


def redis_persistence_problems(client) -> list:
    """W003 when the server has neither an append-only file nor RDB snapshots; one I001 when
    that cannot be found out (managed Redis often refuses CONFIG; the server may be down)."""
    import redis

    try:
        config = {**client.config_get("appendonly"), **client.config_get("save")}
    except redis.ResponseError:
        return [Info("Redis persistence could not be checked (CONFIG GET refused): make sure the server keeps "
                     "an append-only file or snapshots", id="triage.I001")]
    except redis.RedisError as exc:
        return [Info(f"Redis persistence could not be checked ({type(exc).__name__})", id="triage.I001")]
    if str(config.get("appendonly", "")).lower() != "yes" and not str(config.get("save", "")).strip():
        return [Warning(
            "Redis at REDIS_URL persists nothing (appendonly no, no save points): events accepted but not yet "
            "digested are lost when it restarts",
            hint="Set appendonly yes (appendfsync everysec) on the server; see README.md, Operations.",
            id="triage.W003",
        )]
    return []
