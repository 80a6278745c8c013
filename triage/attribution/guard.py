"""The watch: every few seconds, what the spiking groups say, and what to do about it.

For each spiking group (triage.attribution.spikes) its flags are ranked (evidence.py). Then:

- the responsible developer: the owner of a significant suspect flag is suggested (and assigned,
  once, where the project auto-assigns: triage.attribution.owners);
- alerts: a "spike" alert with the group's score, a "flag_cohort" alert with the top suspect's
  affected rate (triage.alerts rate-limits them per rule and group);
- guarded rollouts: where the top suspect is significant on exposures, its value is one the flag
  serves when on (disabling changes what users get), at least GUARD_MIN_AFFECTED_USERS users of
  it were hit, and the flag's guard in that environment is `enforce`, the flag is disabled through
  flags.changes.disable_flag with source "guard" and the evidence as the reason, and its owner is
  told; with `dry_run`, the audit log and the owner get what it would have done (once per flag,
  environment and GUARD_REPEAT_MINUTES). A guard never enables a flag.

Runs as a Celery beat task (triage.tasks.watch_spikes). Idempotent: disabling a disabled flag
changes nothing, and every alert is rate-limited.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from triage import actions, cache_keys, flagstate
from triage.attribution import owners, spikes
from triage.attribution.evidence import Attribution, fresh_attribution
from triage.models import ErrorGroup

log = logging.getLogger(__name__)

MAX_GROUPS = 50  # spiking groups looked at per run, highest score first
GUARD_REPEAT_MINUTES = 30


@dataclass(frozen=True)
class GuardDecision:
    group_id: int
    flag_key: str
    environment: str
    mode: str  # "enforce" or "dry_run"
    disabled: bool  # the flag was turned off by this decision
    reason: str


def watch(redis, now: dt.datetime) -> list[GuardDecision]:
    """One run over the spiking groups; returns the guard decisions it took. Spikes and
    attributions are computed afresh (a guard acts on the last seconds' evidence, not on a page's
    minute-old copy) and left in the cache for the pages."""
    states = spikes.refresh_spike_scores(redis, now)
    spiking = sorted((g for g, s in states.items() if s.spiking), key=lambda g: -states[g].score)[:MAX_GROUPS]
    decisions = []
    for group in ErrorGroup.objects.filter(id__in=spiking).select_related("project"):
        attribution = fresh_attribution(redis, group, now, states[group.id])
        _suggest(group, attribution, now)
        _alert(group, attribution, now)
        decision = _guard(group, attribution, now)
        if decision is not None:
            decisions.append(decision)
    return decisions


def _guard(group: ErrorGroup, attribution: Attribution, now: dt.datetime) -> GuardDecision | None:
    top = attribution.top
    if top is None or not top.significant or top.basis != "exposures":
        return None
    if top.affected_with < settings.SWITCHYARD["GUARD_MIN_AFFECTED_USERS"]:
        return None
    flag, state = flagstate.flag_state(group.project_id, top.key, top.environment)
    if flag is None or state is None or not state.enabled or state.guard == "off":
        return None
    if flagstate.value_text((flag.variants or {}).get(flag.off_variant)) == top.value:
        return None  # the suspect value is the one a kill serves: disabling would not help
    reason = f"Guard: spike of “{group.title[:120]}” pinned on {top.key}={top.value}. {top.evidence}"
    if state.guard == "enforce":
        change = flagstate.guard_disable(flag, top.environment, reason=reason)
        if change is None:
            return None
        actions.record_flag_disabled(group, actor=None, now=now, flag_key=flag.key, environment=top.environment,
                                     reason=reason)
        _tell(group, flag, top.environment, "enforce", reason, now)
        return GuardDecision(group.id, flag.key, top.environment, "enforce", True, reason)
    if not cache.add(cache_keys.guard_dry_run(flag.id, top.environment), 1, GUARD_REPEAT_MINUTES * 60):
        return None
    flagstate.guard_dry_run(flag, top.environment, reason=reason)
    _tell(group, flag, top.environment, "dry_run", reason, now)
    return GuardDecision(group.id, flag.key, top.environment, "dry_run", False, reason)


def _tell(group, flag, environment: str, mode: str, reason: str, now: dt.datetime) -> None:
    from triage import alerts

    done = "disabled" if mode == "enforce" else "would have disabled (dry run)"
    subject = f"Switchyard {done} {flag.key} in {environment}"
    details = {"trigger": "guard", "group": group.title, "group_id": group.id, "flag": flag.key,
               "environment": environment, "mode": mode, "evidence": reason}
    alerts.notify(group.project_id, "guard", now=now, group_id=group.id, flag_key=flag.key, details=details)
    if flag.owner_id:
        alerts.notify_user(flag.owner, subject, reason, now=now, details=details)


def _suggest(group: ErrorGroup, attribution: Attribution, now: dt.datetime) -> None:
    """The flag owner of a significant suspect becomes the group's suggestion (and its assignee,
    once, where the project auto-assigns): the flag evidence only exists here."""
    if not any(s.significant for s in attribution.suspicions):
        return
    suggestion = owners.suggest(group, attribution.suspicions)
    actions.record_suggestion(group, suggestion, now=now)
    actions.auto_assign(group, suggestion, now)


def _alert(group: ErrorGroup, attribution: Attribution, now: dt.datetime) -> None:
    from triage import alerts

    details = {"group": group.title, "group_id": group.id, "score": attribution.spike.score,
               "began_at": attribution.spike.began.isoformat() if attribution.spike.began else None}
    alerts.notify(group.project_id, "spike", now=now, group_id=group.id, value=attribution.spike.score, details=details)
    top = attribution.top
    if top is not None and top.rate_with is not None:
        alerts.notify(group.project_id, "flag_cohort", now=now, group_id=group.id, flag_key=top.key,
                      value=top.rate_with, details={**details, "flag": top.key, "value": top.value, "evidence": top.evidence,
                                                    "environment": top.environment})
