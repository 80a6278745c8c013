"""What triage reads from and asks of the flags app: flags by key, their recent changes, the kill.

The one place triage touches flags.*, so the interface between the two apps is visible at a glance:
flags.models (Flag, FlagEnvironment, FlagChange), flags.changes.disable_flag,
flags.exposures.exposure_counts, flags.demo (the demo's flags), and two hooks the flags app
offers: its `flag_changed` signal (every change redraws the project's charts) and its stale
flags report's sources of keys (the keys seen on error events). Events name flags by key only; a
key the flags app does not know (a flag evaluated by another tool) simply has no Flag and no kill
button.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.dispatch import receiver

from flags import approvals, stale
from flags.models import Flag, FlagChange, FlagEnvironment
from flags.signals import flag_changed
from triage.cache_keys import bump_chart_generation
from triage.models import ProjectFlag

SOURCE = "dashboard"


def flags_by_key(project_ids: Iterable[int], keys: Iterable[str] | None = None) -> dict[tuple[int, str], Flag]:
    """{(project id, key): Flag} with owner and environments loaded (three queries)."""
    flags = Flag.objects.filter(project_id__in=list(project_ids)).select_related("owner").prefetch_related(
        Prefetch("environments", queryset=FlagEnvironment.objects.order_by("environment"))
    )
    if keys is not None:
        # No key holds a NUL (flags.validation), and PostgreSQL refuses one in a query: a form
        # posting one answered 500 (issue 8).
        flags = flags.filter(key__in=[k for k in keys if "\x00" not in k])
    return {(f.project_id, f.key): f for f in flags}


def enabled_in(flag: Flag, environment: str) -> bool:
    """On in that environment (from the prefetched environments; no row means off)."""
    return any(e.environment == environment and e.enabled for e in flag.environments.all())


def enabled_environments(flag: Flag) -> list[str]:
    return [e.environment for e in flag.environments.all() if e.enabled]


def changes(project_id: int, keys: Iterable[str] | None = None, since: dt.datetime | None = None, limit: int = 50) -> QuerySet:
    """The project's flag changes, newest first, with their actor loaded."""
    rows = FlagChange.objects.filter(project_id=project_id).select_related("actor")
    if keys is not None:
        rows = rows.filter(flag_key__in=list(keys))
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.order_by("-created_at", "-id")[:limit]


def flag_state(project_id: int, key: str, environment: str) -> tuple[Flag | None, FlagEnvironment | None]:
    """The flag and its state in the environment (either None when missing)."""
    flag = Flag.objects.filter(project_id=project_id, key=key).select_related("owner").first()
    state = flag.environments.filter(environment=environment).first() if flag else None
    return flag, state


def guard_disable(flag: Flag, environment: str, *, reason: str) -> FlagChange | None:
    """The guard's kill: flags.changes.disable_flag with source "guard" (None when already off)."""
    from flags.changes import disable_flag

    return disable_flag(flag, environment, actor=None, actor_label="guard", reason=reason, source="guard")


def guard_dry_run(flag: Flag, environment: str, *, reason: str) -> FlagChange:
    """What the guard would have done, in the flag's audit log (the state is unchanged)."""
    from flags import audit

    state = audit.state_snapshot(flag.environments.filter(environment=environment).first())
    return audit.record(project=flag.project, flag=flag, action="guard_would_disable", source="guard",
                        actor_label="guard (dry run)", environment=environment, before=state, after=state, reason=reason)


def disable(flag: Flag, environment: str, *, actor, reason: str) -> FlagChange | None:
    """Turns the flag off in the environment at once (audit row + Redis publish in flags.changes).

    None when it was already off; ValueError when the reason is blank.
    """
    from flags.changes import disable_flag

    return disable_flag(flag, environment, actor=actor, reason=reason, source=SOURCE)


def value_text(value) -> str:
    """A flag value as events carry it (triage.digest.normalize): booleans as "true"/"false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def value_served_after(flag: Flag | None, change: FlagChange, environment: str) -> str:
    """The value a change started serving everyone in the environment ("" when it is not one
    value: a partial rollout, a rule, a change elsewhere)."""
    if flag is None:
        return ""
    after = change.after if isinstance(change.after, dict) else {}
    if change.action == "created":  # the new flag's states, per environment
        after = (after.get("environments") or {}).get(environment) or {}
    elif change.environment != environment:
        return ""
    if change.action == "disabled" or (change.action == "created" and not after.get("enabled")):
        variant = flag.off_variant
    elif change.action in ("enabled", "state_changed", "created"):
        if after.get("rules") or after.get("weights") or float(after.get("rollout_percentage") or 0) < 100:
            return ""
        variant = after.get("default_variant")
    else:
        return ""
    variants = flag.variants or {}
    return value_text(variants[variant]) if variant in variants else ""


def exposed_users(redis, project_id: int, environment: str, cohorts: list[tuple[str, str]], affected: set[str],
                  start: dt.datetime, end: dt.datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """{(flag key, variant): (users the OFREP endpoint served the variant to between start and
    end, of them those in `affected`)}, from the flags app's HyperLogLogs, in one round trip:
    the second number never exceeds the first."""
    from flags.exposures import exposed_users_many

    return exposed_users_many(redis, project_id, environment, cohorts, affected, start.timestamp(), end.timestamp())


def exposures(redis, project_id: int, key: str, environment: str, minutes: list[int]) -> dict[str, int]:
    """{variant: evaluations} over the given minutes, as counted by the OFREP endpoint."""
    from flags.exposures import exposure_counts

    totals: dict[str, int] = {}
    for counts in exposure_counts(redis, project_id, key, environment, minutes).values():
        for variant, count in counts.items():
            totals[str(variant)] = totals.get(str(variant), 0) + int(count)
    return totals


def pause_rollouts(project_id: int, flag_key: str, environment: str | None, reason: str) -> int:
    """An alert fired on the flag: its scheduled and progressive changes pause (in that
    environment, or everywhere when the alert names none). Returns how many paused."""
    from flags.schedules import pause_for_alert

    return pause_for_alert(project_id, flag_key, environment, reason)


def seed_demo_flags(project, owner) -> None:
    from flags.demo import seed_flags

    seed_flags(project, owner)


@receiver(flag_changed)
def redraw_charts(sender, change: FlagChange, **kwargs) -> None:
    bump_chart_generation(change.project_id)


@stale.seen_keys_source
def keys_seen_on_errors(project) -> list[tuple[str, int, dt.datetime]]:
    """(key, error events, last seen) for every flag key the project's error events carried."""
    return list(ProjectFlag.objects.filter(project=project).values_list("key", "count", "last_seen"))


@approvals.error_evidence_source
def flag_errors_evidence(project, flag_key: str, environment: str, now: dt.datetime) -> approvals.ErrorEvidence:
    """The flag errors page's row for the flag: users served each value and those an error hit,
    and the groups with most errors carrying it, marked where the group's latest attribution
    names this flag as its suspect."""
    from config.redis_clients import redis_client
    from triage.alerts.deliver import group_url
    from triage.attribution.evidence import latest_attributions
    from triage.pages.flag_errors import WINDOW, flag_error_evidence

    row = flag_error_evidence(redis_client(), project.id, flag_key, environment, now)
    attributions = latest_attributions([line.group.id for line in row.groups])
    groups = []
    for line in row.groups:
        attribution = attributions.get(line.group.id)
        top = attribution.top if attribution is not None else None
        suspect = top is not None and top.key == flag_key
        groups.append(approvals.GroupLine(line.group.title, line.events, group_url(line.group.id), suspect,
                                          top.evidence if suspect else ""))
    cohorts = [approvals.CohortLine(c.value, c.exposed, c.affected, c.events) for c in row.cohorts]
    minutes = int(WINDOW.total_seconds() // 60)
    return approvals.ErrorEvidence("error groups", f"last {minutes} minutes in {environment}", cohorts, groups)
