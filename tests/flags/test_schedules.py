"""Scheduled and progressive changes (flags.schedules): steps applied when due and audited, and
the pauses: the guard, a kill, an alert on the flag, a step that no longer applies."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from flags import audit, changes, schedules
from flags.models import FlagChange, FlagEnvironment, Schedule, ScheduleStatus
from flags.validation import InvalidChange
from tests.flags.factories import make_flag

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def state(flag, environment="production"):
    return FlagEnvironment.objects.get(flag=flag, environment=environment)


@pytest.fixture
def dark(project):
    return make_flag(project, "new-checkout", environments={})  # off everywhere


@pytest.fixture
def ramp(dark, alice):
    return schedules.create_schedule(dark, "production", schedules.progressive_steps([1, 5, 25, 100], every_minutes=60),
                                     start_at=T0, actor=alice, source="dashboard", reason="ship the new checkout", now=T0)


def test_a_progressive_rollout_steps_at_its_times_and_audits_every_step(dark, ramp):
    assert schedules.run_due(T0 - dt.timedelta(seconds=1)) == []
    assert not state(dark).enabled
    assert schedules.run_due(T0) == [(ramp.id, 0, "applied")]
    assert (state(dark).enabled, state(dark).rollout_percentage) == (True, Decimal(1))
    assert schedules.run_due(T0 + dt.timedelta(minutes=59)) == []
    for minutes, percentage in [(60, 5), (120, 25), (180, 100)]:
        schedules.run_due(T0 + dt.timedelta(minutes=minutes))
        assert state(dark).rollout_percentage == Decimal(percentage)
    ramp.refresh_from_db()
    assert (ramp.status, ramp.next_at) == (ScheduleStatus.DONE, None)
    steps = list(FlagChange.objects.filter(flag=dark, source="schedule", environment="production").order_by("id"))
    assert [c.action for c in steps] == ["enabled", "state_changed", "state_changed", "state_changed", "schedule_done"]
    assert steps[0].reason == f"step 1/4 (on, 1 %) of schedule #{ramp.id}: ship the new checkout"
    assert steps[2].before["rollout_percentage"] == 5 and steps[2].after["rollout_percentage"] == 25
    assert steps[0].who == f"schedule #{ramp.id} by alice"


def test_a_step_is_applied_once_however_often_beat_runs(dark, ramp):
    schedules.run_due(T0)
    assert schedules.run_due(T0) == []
    assert FlagChange.objects.filter(flag=dark, source="schedule").count() == 1


def test_turn_on_at_a_time_is_one_step(dark, alice):
    at = T0 + dt.timedelta(hours=3)
    schedules.create_schedule(dark, "staging", [{"changes": {"enabled": True}}], start_at=at, actor=alice,
                              source="api", reason="launch at noon", now=T0)
    schedules.run_due(at - dt.timedelta(minutes=1))
    assert not state(dark, "staging").enabled
    schedules.run_due(at)
    assert state(dark, "staging").enabled


def test_a_step_that_changes_nothing_is_audited_as_such(project, alice):
    flag = make_flag(project, "search-v2")  # already on at 100 %
    schedules.create_schedule(flag, "production", [{"changes": {"enabled": True}}], start_at=T0, actor=alice,
                              source="api", reason="make sure", now=T0)
    assert schedules.run_due(T0)[0][2] == "unchanged"
    assert FlagChange.objects.get(flag=flag, action="schedule_step").reason.endswith("(already so)")


def test_the_guard_firing_pauses_the_rollout_and_a_person_resumes_it(dark, ramp, alice, django_capture_on_commit_callbacks):
    schedules.run_due(T0)
    with django_capture_on_commit_callbacks(execute=True):  # the guard's dry run, as triage.flagstate writes it
        snapshot = audit.state_snapshot(state(dark))
        audit.record(project=dark.project, flag=dark, action="guard_would_disable", source="guard",
                     actor_label="guard (dry run)", environment="production", before=snapshot, after=snapshot,
                     reason="Guard: spike pinned on new-checkout=true")
    ramp.refresh_from_db()
    assert (ramp.status, ramp.next_at) == (ScheduleStatus.PAUSED, None)
    assert "the guard fired" in ramp.status_reason
    assert schedules.run_due(T0 + dt.timedelta(hours=5)) == []
    assert state(dark).rollout_percentage == Decimal(1)
    paused = FlagChange.objects.get(flag=dark, action="schedule_paused")
    assert (paused.source, paused.after["status"]) == ("guard", "paused")

    resumed_at = T0 + dt.timedelta(hours=6)
    schedules.resume_schedule(ramp, actor=alice, source="dashboard", now=resumed_at)
    assert schedules.run_due(resumed_at + dt.timedelta(minutes=59)) == []
    schedules.run_due(resumed_at + dt.timedelta(minutes=60))
    assert state(dark).rollout_percentage == Decimal(5)


def test_a_kill_pauses_the_rollout_so_no_step_turns_it_back_on(dark, ramp, bob, django_capture_on_commit_callbacks):
    schedules.run_due(T0)
    with django_capture_on_commit_callbacks(execute=True):
        changes.disable_flag(dark, "production", actor=bob, reason="checkout errors", source="dashboard")
    ramp.refresh_from_db()
    assert ramp.status == ScheduleStatus.PAUSED and "disabled by bob: checkout errors" in ramp.status_reason
    schedules.run_due(T0 + dt.timedelta(hours=5))
    assert not state(dark).enabled


def test_a_kill_elsewhere_leaves_the_rollout_running(project, dark, ramp, bob, django_capture_on_commit_callbacks):
    changes.enable_flag(dark, "staging", actor=bob, reason="try", source="api")
    with django_capture_on_commit_callbacks(execute=True):
        changes.disable_flag(dark, "staging", actor=bob, reason="done trying", source="api")
    ramp.refresh_from_db()
    assert ramp.status == ScheduleStatus.SCHEDULED


def test_an_alert_on_the_flag_pauses_its_rollout_in_that_environment(project, dark, ramp):
    paused = schedules.pause_for_alert(project.id, "new-checkout", "production", "affected rate 4.0 reached 2")
    ramp.refresh_from_db()
    assert paused == 1 and ramp.status == ScheduleStatus.PAUSED
    assert FlagChange.objects.get(action="schedule_paused").source == "alert"
    assert schedules.pause_for_alert(project.id, "unknown-flag", None, "x") == 0


def test_a_step_that_no_longer_applies_pauses_the_schedule_with_the_reason(project, alice):
    flag = make_flag(project, "theme", value_type="string", variants={"dark": "#111", "light": "#fff", "off": ""})
    schedule = schedules.create_schedule(flag, "production", [{"changes": {"default_variant": "light"}}], start_at=T0,
                                         actor=alice, source="api", reason="lighter", now=T0)
    changes.update_flag(flag, {"variants": {"dark": "#111", "off": ""}}, actor=alice, source="api")  # "light" is gone
    assert schedules.run_due(T0) == [(schedule.id, 0, "paused")]
    schedule.refresh_from_db()
    assert schedule.status == ScheduleStatus.PAUSED and "step 1 could not be applied" in schedule.status_reason


def test_one_active_schedule_per_flag_and_environment_and_cancel(dark, ramp, alice):
    with pytest.raises(InvalidChange, match="still scheduled"):
        schedules.create_schedule(dark, "production", [{"changes": {"enabled": True}}], start_at=T0, actor=alice,
                                  source="api", reason="again", now=T0)
    schedules.cancel_schedule(ramp, actor=alice, source="dashboard", reason="changed plans")
    ramp.refresh_from_db()
    assert (ramp.status, ramp.status_reason) == (ScheduleStatus.CANCELLED, "changed plans")
    assert schedules.run_due(T0) == []
    schedules.create_schedule(dark, "production", [{"changes": {"enabled": True}}], start_at=T0, actor=alice,
                              source="api", reason="again", now=T0)


@pytest.mark.parametrize("steps, message", [
    ([], "non-empty list"),
    ([{"changes": {}}], "changes nothing"),
    ([{"changes": {"rollout_percentage": 150}}], "from 0 to 100"),
    ([{"changes": {"enabled": True}}, {"changes": {"rollout_percentage": 5}, "wait_minutes": -1}], "wait_minutes"),
    ([{"changes": {"guard": "enforce"}}], "not scheduled"),
    ([{"when": "now"}], "an object"),
])
def test_bad_steps_are_refused_with_a_message(dark, alice, steps, message):
    with pytest.raises(InvalidChange, match=message):
        schedules.create_schedule(dark, "production", steps, start_at=T0, actor=alice, source="api", reason="x", now=T0)


def test_a_schedule_needs_a_reason(dark, alice):
    with pytest.raises(InvalidChange, match="reason"):
        schedules.create_schedule(dark, "production", [{"changes": {"enabled": True}}], start_at=T0, actor=alice,
                                  source="api", reason=" ", now=T0)


def test_the_beat_task_runs_due_steps(dark, ramp):
    from flags.tasks import run_schedules

    Schedule.objects.filter(pk=ramp.pk).update(next_at=timezone.now() - dt.timedelta(seconds=1))
    assert run_schedules() == 1
    assert state(dark).enabled


def test_the_beat_schedule_names_the_task(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["flags-run-schedules"]
    assert entry["task"] == "flags.tasks.run_schedules" and entry["schedule"] <= 10
