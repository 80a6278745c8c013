"""Flag debt: which flags to clean up, and which keys apps use that Switchyard does not know.

A flag is stale for any of these reasons (permission flags and permanent flags never are):
- past its lifetime (its own, or its kind's default: flags.conf LIFETIME_DAYS);
- it has served one variant to everyone in every environment for STATIC_DAYS (on at 100 %
  with no targeting, or off);
- no app has evaluated it for UNEVALUATED_DAYS (and it is older than that).
Unknown keys are OFREP misses (apps asking for a flag the project lacks) and flag keys seen on
error events (`contexts.flags`) with no flag of that key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from flags import conf, exposures
from flags.models import Flag, FlagKind


@dataclass(frozen=True)
class StaleFlag:
    flag: Flag
    reasons: list[str]
    last_evaluated_at: dt.datetime | None


@dataclass(frozen=True)
class UnknownKey:
    key: str
    ofrep_misses: int
    events: int
    last_seen: dt.datetime | None


def stale_reasons(flag: Flag, states, last_evaluated_at: dt.datetime | None, now: dt.datetime) -> list[str]:
    if flag.permanent or flag.kind == FlagKind.PERMISSION:
        return []
    reasons = []
    lifetime = flag.lifetime
    if lifetime is not None and now - flag.created_at > lifetime:
        reasons.append(f"past its {lifetime.days}-day lifetime (created {flag.created_at:%Y-%m-%d})")
    static_for = dt.timedelta(days=conf.get("STATIC_DAYS"))
    states = list(states)
    if states and all(s.is_static and now - s.updated_at >= static_for for s in states):
        served = sorted({s.default_variant if s.enabled and s.rollout_percentage == 100 else flag.off_variant for s in states})
        reasons.append(f"has served only {', '.join(served)} everywhere for {static_for.days}+ days")
    quiet = dt.timedelta(days=conf.get("UNEVALUATED_DAYS"))
    if now - flag.created_at > quiet and (last_evaluated_at is None or now - last_evaluated_at > quiet):
        when = f"last {last_evaluated_at:%Y-%m-%d}" if last_evaluated_at else "never"
        reasons.append(f"not evaluated for {quiet.days}+ days ({when})")
    return reasons


def latest_evaluations(redis, project) -> dict[str, dt.datetime]:
    """Last evaluation per flag key: the later of the database (persisted by flags.tasks) and Redis."""
    latest = dict(Flag.objects.filter(project=project, last_evaluated_at__isnull=False).values_list("key", "last_evaluated_at"))
    for key, moment in exposures.last_evaluated(redis, project.id).items():
        if key not in latest or moment > latest[key]:
            latest[key] = moment
    return latest


def stale_flags(project, redis, now: dt.datetime) -> list[StaleFlag]:
    evaluated = latest_evaluations(redis, project)
    found = []
    for flag in project.flags.select_related("owner").prefetch_related("environments"):
        reasons = stale_reasons(flag, flag.environments.all(), evaluated.get(flag.key), now)
        if reasons:
            found.append(StaleFlag(flag, reasons, evaluated.get(flag.key)))
    return found


# Functions (project) -> [(key, events, last seen)] of flag keys seen outside the flags app.
# Triage registers the keys its error events carried (triage.flagstate); flags imports nothing
# of triage, so without it this report shows OFREP misses only.
_seen_keys_sources: list[Callable] = []


def seen_keys_source(function: Callable) -> Callable:
    """Decorator: registers a source of flag keys seen in use, for unknown_keys."""
    _seen_keys_sources.append(function)
    return function


def unknown_keys(project, redis) -> list[UnknownKey]:
    known = set(project.flags.values_list("key", flat=True))
    rows: dict[str, dict] = {}
    for key, (count, last) in exposures.missed_keys(redis, project.id).items():
        if key not in known:
            rows[key] = {"ofrep_misses": count, "events": 0, "last_seen": last}
    seen = [row for source in _seen_keys_sources for row in source(project)]
    for key, count, last in seen:
        if key in known:
            continue
        row = rows.setdefault(key, {"ofrep_misses": 0, "events": 0, "last_seen": None})
        row["events"] += count
        row["last_seen"] = max(filter(None, [row["last_seen"], last]), default=None)
    return [UnknownKey(key, **row) for key, row in sorted(rows.items())]


def record_last_evaluated(redis) -> int:
    """Copies Redis's last-evaluated times into Flag.last_evaluated_at (a periodic task), so
    "not evaluated lately" survives a Redis flush. Returns how many flags moved forward."""
    moved = 0
    for project_id in Flag.objects.values_list("project_id", flat=True).distinct():
        for key, moment in exposures.last_evaluated(redis, project_id).items():
            moved += Flag.objects.filter(project_id=project_id, key=key).exclude(
                last_evaluated_at__gte=moment).update(last_evaluated_at=moment)
    return moved
