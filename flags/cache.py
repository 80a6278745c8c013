"""The compiled configuration of each (project, environment) in Redis, and its propagation.

Hot path (`load`): one Redis GET of the environment's version; when it matches this
process's memo the memo answers, otherwise one GET of the compiled configuration. The
database is read only when Redis has no configuration (a flush, or a first start).

Write path (`publish`): after a change commits, the environment is compiled from the
database and written with a new random version (config and version in one MULTI), then a
message goes out on the project's pub/sub channel for the server-sent-events stream. Compiles
of one environment are serialised by a Redis lock, so the last writer always compiled after the
last commit: a slow publisher can never overwrite a newer configuration with an older one.
The version is random rather than a counter so a flushed Redis can never hand out a version a
process already memoised for different content.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache

from config.redis_clients import redis_client
from flags.compiler import compile_environment
from flags.evaluation import prepare_flag

log = logging.getLogger(__name__)

RAW_PREFIX = "switchyard:flags"


def config_key(project_id: int, environment: str) -> str:
    return f"flags:config:{project_id}:{environment}"


def version_key(project_id: int, environment: str) -> str:
    return f"flags:version:{project_id}:{environment}"


def channel(project_id: int) -> str:
    return f"{RAW_PREFIX}:changes:{project_id}"


def _lock_name(project_id: int, environment: str) -> str:
    return f"{RAW_PREFIX}:lock:{project_id}:{environment}"


@dataclass(frozen=True)
class EnvironmentConfig:
    project_id: int
    environment: str
    version: str
    modified: float  # epoch seconds of the change that produced it
    flags: dict[str, dict]  # flag key → prepared flag configuration


_memo: dict[tuple[int, str], EnvironmentConfig] = {}


def load(project_id: int, environment: str) -> EnvironmentConfig:
    """The current configuration; a change committed before this call is always visible."""
    memo = _memo.get((project_id, environment))
    try:
        version = cache.get(version_key(project_id, environment))
        if memo is not None and version is not None and memo.version == version:
            return memo
        stored = cache.get(config_key(project_id, environment)) if version is not None else None
        if stored is None:
            stored = _rebuild(project_id, environment, only_if_missing=True)
    except Exception:
        if memo is None:
            raise
        # Redis is unreachable: answering from the last configuration this process saw beats
        # failing every evaluation; the next successful read replaces it.
        log.warning("flag configuration for %s/%s served from memory: Redis failed", project_id, environment, exc_info=True)
        return memo
    config = _prepared(project_id, environment, stored)
    _memo[(project_id, environment)] = config
    return config


def _prepared(project_id: int, environment: str, stored: dict) -> EnvironmentConfig:
    segments = stored.get("segments", {})
    flags = {key: _prepare_one(flag, segments) for key, flag in stored["flags"].items()}
    return EnvironmentConfig(project_id, environment, stored["version"], stored["modified"], flags)


def _prepare_one(flag: dict, segments: dict) -> dict:
    """A flag whose stored targeting no longer prepares (a condition removed from the code) is
    marked broken: it answers an error, and the environment's other flags keep working."""
    try:
        return prepare_flag(flag, segments)
    except Exception:
        log.exception("flag %r has an invalid configuration (manage.py check --database default)", flag.get("key"))
        return {**flag, "_broken": True, "_rules": (), "_allow": frozenset(), "_deny": frozenset(), "_prereqs": (),
                "_split": None, "_targeted": True}


def _rebuild(project_id: int, environment: str, only_if_missing: bool = False) -> dict:
    # Poll the lock every 2 ms: redis-py's default of 100 ms would add up to 100 ms to a kill
    # that waits behind another publish of the same environment.
    lock = redis_client().lock(
        _lock_name(project_id, environment), timeout=10, blocking_timeout=10, sleep=0.002
    )
    with lock:
        if only_if_missing:
            stored = cache.get(config_key(project_id, environment))
            if stored is not None:  # rebuilt meanwhile, or only the version key was evicted
                cache.set(version_key(project_id, environment), stored["version"], timeout=None)
                return stored
        stored = compile_environment(project_id, environment)
        stored["version"] = secrets.token_hex(8)
        stored["modified"] = time.time()
        cache.set_many(
            {config_key(project_id, environment): stored, version_key(project_id, environment): stored["version"]},
            timeout=None,
        )
    return stored


def publish(project_id: int, environments, event: dict) -> None:
    """Recompiles the environments and announces the change. Call after commit.

    Never raises: the change is committed, and a publish that failed (Redis down) is repaired
    by the next change of the environment or by `manage.py publish_flags`.
    """
    try:
        redis = redis_client()
        for environment in sorted(set(environments)):
            stored = _rebuild(project_id, environment)
            affected = affected_flags(stored["flags"], event)
            message = {
                "type": "refetchEvaluation",
                "etag": stored["version"],
                "lastModified": int(stored["modified"]),
                "environment": environment,
                **event,
                # The flags whose answers may change besides the one named: its dependants, or a
                # segment's users (and theirs), so a stream that follows one flag hears its
                # prerequisite's kill.
                "dependants": affected,
                # What client (browser) keys may see of flag names (flags.ofrep.sse).
                "client": bool(stored["flags"].get(event.get("flag"), {}).get("client")),
                "client_dependants": [k for k in affected if stored["flags"][k].get("client")],
            }
            redis.publish(channel(project_id), json.dumps(message))
    except Exception:
        log.exception("could not publish flag change %s for project %s", event, project_id)


def affected_flags(flags: dict[str, dict], event: dict) -> list[str]:
    """The keys of the compiled flags whose answers depend on the event's flag (its dependants,
    transitively) or on its segment (the flags whose rules use it, and their dependants)."""
    needs = {key: {p["key"] for p in flag.get("prereqs", ())} for key, flag in flags.items()}
    if event.get("segment"):
        found = {key for key, flag in flags.items() if event["segment"] in _segments_used(flag)}
    else:
        found = set()
    frontier = set(found) | ({event["flag"]} if event.get("flag") else set())
    while frontier:
        frontier = {key for key, required in needs.items() if required & frontier and key not in found}
        found |= frontier
    found.discard(event.get("flag"))
    return sorted(found)


def _segments_used(flag: dict) -> set[str]:
    return {key for rule in flag.get("rules", ()) for c in rule["conditions"]
            if c["op"] in ("in_segment", "not_in_segment") for key in c["value"]}


def forget_memo() -> None:
    """Drops this process's memo (tests, and after `publish_flags`)."""
    _memo.clear()
