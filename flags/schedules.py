"""Scheduled and progressive changes: a flag's state in one environment changed at set times.

A schedule is a list of steps, each a partial state and the minutes to wait after the previous
one: "turn on at 09:00" is one step, a progressive rollout is `progressive_steps([1, 5, 25, 100],
every_minutes=60)`. The beat task flags.tasks.run_schedules calls `run_due` every few seconds;
each step goes through flags.changes.update_environment (source "schedule"), so it is audited
and reaches OFREP like any change, and a step that changes nothing is audited as such.

A schedule pauses by itself when the flag's guard fires (its dry run, or its kill), when the flag
is disabled there by anyone, and when an alert fires on the flag (triage tells through
`pause_for_alert`, via triage.flagstate: flags imports nothing of triage). A person resumes it;
the wait for the next step starts again then. A schedule that widens the flag where the project
requires approval waits for one (flags.approvals) before it starts.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from flags import approvals, audit, changes, policy
from flags.models import FlagChange, FlagEnvironment, Schedule, ScheduleStatus, Source
from flags.signals import flag_changed
from flags.validation import InvalidChange, validate_environment, validate_state

log = logging.getLogger(__name__)

MAX_STEPS = 20
MAX_WAIT_MINUTES = 90 * 24 * 60


def progressive_steps(percentages: list, every_minutes: int) -> list[dict]:
    """Steps of a progressive rollout: on at the first percentage, then each next one after
    `every_minutes`."""
    if not percentages:
        raise InvalidChange("a progressive rollout needs at least one percentage")
    steps = [{"changes": {"enabled": True, "rollout_percentage": percentages[0]}, "wait_minutes": 0}]
    steps += [{"changes": {"rollout_percentage": p}, "wait_minutes": every_minutes} for p in percentages[1:]]
    return steps


def validate_steps(steps, variants: dict) -> list[dict]:
    if not isinstance(steps, list) or not steps:
        raise InvalidChange('steps must be a non-empty list of {"changes": {state fields}, "wait_minutes": N}')
    if len(steps) > MAX_STEPS:
        raise InvalidChange(f"a schedule has at most {MAX_STEPS} steps")
    cleaned = []
    for number, step in enumerate(steps, 1):
        if not isinstance(step, dict) or set(step) - {"changes", "wait_minutes"} or "changes" not in step:
            raise InvalidChange(f'step {number}: an object {{"changes": {{…}}, "wait_minutes": N}}')
        wait = step.get("wait_minutes", 0)
        if isinstance(wait, bool) or not isinstance(wait, int) or not 0 <= wait <= MAX_WAIT_MINUTES:
            raise InvalidChange(f"step {number}: wait_minutes is a whole number of minutes from 0 to {MAX_WAIT_MINUTES}")
        try:
            state = validate_state(step["changes"], variants)
        except InvalidChange as exc:
            raise InvalidChange(f"step {number}: {exc}") from None
        if not state:
            raise InvalidChange(f"step {number}: changes nothing")
        if "guard" in state:
            raise InvalidChange(f"step {number}: the guard is not scheduled")
        cleaned.append({"changes": {k: audit._json(v) for k, v in state.items()}, "wait_minutes": wait if number > 1 else 0})
    return cleaned


def describe_step(step: dict) -> str:
    """'on, 1 %' / '25 %' / 'off': what a step sets, for pages and audit reasons."""
    state = step["changes"]
    words = []
    if "enabled" in state:
        words.append("on" if state["enabled"] else "off")
    if "rollout_percentage" in state:
        words.append(f"{float(state['rollout_percentage']):g} %")
    words += [f"{name.replace('_', ' ')} changed" for name in state if name not in ("enabled", "rollout_percentage")]
    return ", ".join(words)


def snapshot(schedule: Schedule) -> dict:
    return {"id": schedule.id, "status": schedule.status, "steps": schedule.steps, "next_step": schedule.next_step,
            "next_at": schedule.next_at.isoformat() if schedule.next_at else None}


def _record(schedule: Schedule, action: str, *, source: str, actor=None, actor_label: str = "", before=None,
            reason: str = "") -> FlagChange:
    return audit.record(project=schedule.flag.project, flag=schedule.flag, action=action, source=source, actor=actor,
                        actor_label=actor_label, environment=schedule.environment, before=before,
                        after=snapshot(schedule), reason=reason)


def _widening(flag, environment: str, steps: list[dict]) -> list[str]:
    """What the schedule's steps widen, applied in order from the state now."""
    state = audit.state_snapshot(FlagEnvironment.objects.filter(flag=flag, environment=environment).first())
    found = []
    for step in steps:
        after = dict(state or {"enabled": False})
        after.update(step["changes"])
        found += [w for w in policy.widening(state, after) if w not in found]
        state = after
    return found


def create_schedule(flag, environment: str, steps, *, start_at: dt.datetime, actor, source: str, reason: str,
                    now: dt.datetime | None = None) -> Schedule:
    """Schedules the steps from `start_at` (a past time runs at the next beat). One active
    schedule per flag and environment. Held for approval when it widens the flag where the
    project requires approval."""
    now = now or timezone.now()
    validate_environment(environment)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidChange("a reason is required to schedule a change")
    steps = validate_steps(steps, flag.variants)
    with transaction.atomic():
        flag.__class__.objects.select_for_update().filter(pk=flag.pk).first()
        active = Schedule.objects.filter(flag=flag, environment=environment, status__in=[
            ScheduleStatus.PENDING_APPROVAL, ScheduleStatus.SCHEDULED, ScheduleStatus.PAUSED]).first()
        if active is not None:
            raise InvalidChange(f"schedule #{active.id} of {flag.key} in {environment} is still {active.get_status_display().lower()}: "
                                "cancel it first")
        widening = _widening(flag, environment, steps)
        held = bool(widening) and policy.requires_approval(flag.project_id, environment)
        schedule = Schedule.objects.create(
            flag=flag, environment=environment, steps=steps, reason=reason, created_by=actor, created_at=now,
            updated_at=now, start_at=start_at, next_at=None if held else start_at,
            status=ScheduleStatus.PENDING_APPROVAL if held else ScheduleStatus.SCHEDULED,
        )
        _record(schedule, "schedule_created", source=source, actor=actor, reason=reason)
        if held:
            approvals.hold_schedule(schedule, widening, actor=actor, source=source)
    return schedule


def start_approved(schedule: Schedule, now: dt.datetime) -> None:
    """Called by flags.approvals.approve inside its transaction: the schedule starts at its start
    time, or at the next beat if that has passed."""
    schedule.status, schedule.next_at, schedule.updated_at = ScheduleStatus.SCHEDULED, max(schedule.start_at, now), now
    schedule.save(update_fields=["status", "next_at", "updated_at"])


def end_unapproved(schedule: Schedule, *, status: str, actor, source: str) -> None:
    """A held schedule whose request was rejected or cancelled (flags.approvals)."""
    before = snapshot(schedule)
    schedule.status, schedule.next_at = ScheduleStatus.CANCELLED, None
    schedule.status_reason = f"approval {status}"
    schedule.save(update_fields=["status", "next_at", "status_reason"])
    _record(schedule, "schedule_cancelled", source=source, actor=actor, before=before, reason=schedule.status_reason)


def run_due(now: dt.datetime) -> list[tuple[int, int, str]]:
    """Applies every step that is due; returns (schedule id, step index, outcome) for each.
    Each schedule is claimed with a row lock (SKIP LOCKED), so two beats never apply a step twice."""
    done = []
    due = Schedule.objects.filter(status=ScheduleStatus.SCHEDULED, next_at__lte=now).values_list("id", flat=True)
    for schedule_id in list(due):
        outcome = _run_one(schedule_id, now)
        if outcome is not None:
            done.append(outcome)
    return done


def _run_one(schedule_id: int, now: dt.datetime) -> tuple[int, int, str] | None:
    with transaction.atomic():
        schedule = (Schedule.objects.select_for_update(skip_locked=True, of=("self",)).select_related("flag__project", "created_by")
                    .filter(pk=schedule_id, status=ScheduleStatus.SCHEDULED, next_at__lte=now).first())
        if schedule is None:
            return None
        index, step = schedule.next_step, schedule.steps[schedule.next_step]
        before = snapshot(schedule)
        try:
            with transaction.atomic():
                outcome = _apply(schedule, index, step)
        except InvalidChange as exc:
            _pause(schedule, f"step {index + 1} could not be applied: {exc}", source=Source.SCHEDULE,
                   actor_label="schedule")
            return schedule.id, index, "paused"
        schedule.next_step = index + 1
        if schedule.next_step >= len(schedule.steps):
            schedule.status, schedule.next_at, schedule.status_reason = ScheduleStatus.DONE, None, "all steps applied"
        else:
            schedule.next_at = now + dt.timedelta(minutes=schedule.steps[schedule.next_step]["wait_minutes"])
        schedule.updated_at = now
        schedule.save(update_fields=["next_step", "status", "next_at", "status_reason", "updated_at"])
        if schedule.status == ScheduleStatus.DONE:
            _record(schedule, "schedule_done", source=Source.SCHEDULE, actor_label="schedule", before=before,
                    reason=schedule.reason)
    return schedule.id, index, outcome


def _apply(schedule: Schedule, index: int, step: dict) -> str:
    label = f"schedule #{schedule.id}" + (f" by {schedule.created_by.get_username()}" if schedule.created_by_id else "")
    reason = f"step {index + 1}/{len(schedule.steps)} ({describe_step(step)}) of schedule #{schedule.id}: {schedule.reason}"
    approved = hasattr(schedule, "approval_request") and schedule.approval_request.status == "applied"
    change = changes.update_environment(schedule.flag, schedule.environment, step["changes"], actor=None,
                                        actor_label=label, source=Source.SCHEDULE, reason=reason, approved=approved)
    if change is None:
        state = audit.state_snapshot(FlagEnvironment.objects.filter(flag=schedule.flag, environment=schedule.environment).first())
        audit.record(project=schedule.flag.project, flag=schedule.flag, action="schedule_step", source=Source.SCHEDULE,
                     actor_label=label, environment=schedule.environment, before=state, after=state,
                     reason=f"{reason} (already so)")
        return "unchanged"
    return "applied"


def _pause(schedule: Schedule, reason: str, *, source: str, actor=None, actor_label: str = "") -> None:
    before = snapshot(schedule)
    schedule.status, schedule.next_at, schedule.status_reason = ScheduleStatus.PAUSED, None, reason
    schedule.updated_at = timezone.now()
    schedule.save(update_fields=["status", "next_at", "status_reason", "updated_at"])
    _record(schedule, "schedule_paused", source=source, actor=actor, actor_label=actor_label, before=before, reason=reason)


def pause_schedule(schedule: Schedule, *, actor, source: str, reason: str = "") -> Schedule:
    """A person pauses a running schedule."""
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update(of=("self",)).select_related("flag__project").get(pk=schedule.pk)
        if schedule.status != ScheduleStatus.SCHEDULED:
            raise InvalidChange(f"schedule #{schedule.id} is {schedule.get_status_display().lower()}, not running")
        _pause(schedule, (reason or "").strip() or f"paused by {actor.get_username()}", source=source, actor=actor)
    return schedule


def pause_schedules(flag, environment: str | None, *, reason: str, source: str, actor=None, actor_label: str = "") -> int:
    """Pauses the flag's running schedules (in one environment, or all); returns how many."""
    paused = 0
    with transaction.atomic():
        running = Schedule.objects.select_for_update(of=("self",)).select_related("flag__project").filter(
            flag=flag, status=ScheduleStatus.SCHEDULED)
        if environment:
            running = running.filter(environment=environment)
        for schedule in running:
            _pause(schedule, reason, source=source, actor=actor, actor_label=actor_label)
            paused += 1
    return paused


def pause_for_alert(project_id: int, flag_key: str, environment: str | None, reason: str) -> int:
    """An alert fired on the flag (triage.alerts, through triage.flagstate): its schedules pause."""
    from flags.models import Flag

    flag = Flag.objects.filter(project_id=project_id, key=flag_key).first()
    if flag is None:
        return 0
    return pause_schedules(flag, environment, reason=f"alert: {reason}", source=Source.ALERT, actor_label="alert")


def resume_schedule(schedule: Schedule, *, actor, source: str, now: dt.datetime | None = None) -> Schedule:
    """A paused schedule carries on: the next step after its wait, counted from now."""
    now = now or timezone.now()
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update(of=("self",)).select_related("flag__project").get(pk=schedule.pk)
        if schedule.status != ScheduleStatus.PAUSED:
            raise InvalidChange(f"schedule #{schedule.id} is {schedule.get_status_display().lower()}, not paused")
        before = snapshot(schedule)
        wait = schedule.steps[schedule.next_step]["wait_minutes"] if schedule.next_step else 0
        schedule.status, schedule.status_reason = ScheduleStatus.SCHEDULED, ""
        schedule.next_at, schedule.updated_at = now + dt.timedelta(minutes=wait), now
        schedule.save(update_fields=["status", "status_reason", "next_at", "updated_at"])
        _record(schedule, "schedule_resumed", source=source, actor=actor, before=before, reason="resumed")
    return schedule


def cancel_schedule(schedule: Schedule, *, actor, source: str, reason: str = "") -> Schedule:
    """Stops the schedule for good (its pending approval request too); steps applied stay applied."""
    from flags.models import ApprovalStatus

    with transaction.atomic():
        schedule = Schedule.objects.select_for_update(of=("self",)).select_related("flag__project").get(pk=schedule.pk)
        if not schedule.is_active:
            raise InvalidChange(f"schedule #{schedule.id} is already {schedule.get_status_display().lower()}")
        before = snapshot(schedule)
        schedule.status, schedule.next_at = ScheduleStatus.CANCELLED, None
        schedule.status_reason = (reason or "").strip() or "cancelled"
        schedule.updated_at = timezone.now()
        schedule.save(update_fields=["status", "next_at", "status_reason", "updated_at"])
        schedule.flag.approval_requests.filter(schedule=schedule, status=ApprovalStatus.PENDING).update(
            status=ApprovalStatus.CANCELLED, reviewed_at=schedule.updated_at)
        _record(schedule, "schedule_cancelled", source=source, actor=actor, before=before, reason=schedule.status_reason)
    return schedule


@receiver(flag_changed)
def pause_on_guard_or_kill(sender, change: FlagChange, **kwargs) -> None:
    """The guard fired on the flag (it disabled it, or in dry run would have), or someone killed
    it: its schedules in that environment stop widening it until a person resumes them."""
    if change.flag_id is None or change.source == Source.SCHEDULE:
        return
    guard = change.source == Source.GUARD
    if not guard and change.action != "disabled":
        return
    why = f"the guard fired: {change.reason}" if guard else f"{change.flag_key} was disabled by {change.who}: {change.reason}"
    try:
        pause_schedules(change.flag, change.environment or None, reason=why, source=change.source,
                        actor=change.actor, actor_label=change.actor_label)
    except Exception:  # the kill itself is committed; never fail it for the schedule
        log.exception("could not pause the schedules of %s", change.flag_key)
