"""Stale flags: past lifetime, one variant for a week, not evaluated lately, unknown keys."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from flags import exposures, stale
from flags.models import Flag, FlagEnvironment
from tests.flags.factories import make_flag

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def flag(kind="release", created_days_ago=1, **fields):
    return Flag(key="f", kind=kind, created_at=NOW - dt.timedelta(days=created_days_ago), **fields)


def state(enabled=True, percentage=100, changed_days_ago=1, **fields):
    return FlagEnvironment(environment="production", enabled=enabled, default_variant="on",
                           rollout_percentage=Decimal(percentage), updated_at=NOW - dt.timedelta(days=changed_days_ago),
                           **fields)


def reasons(f, states, evaluated_days_ago=0):
    evaluated = None if evaluated_days_ago is None else NOW - dt.timedelta(days=evaluated_days_ago)
    return stale.stale_reasons(f, states, evaluated, NOW)


def test_fresh_flag_in_use_is_not_stale():
    assert reasons(flag(), [state(percentage=50)]) == []


def test_release_flag_past_its_40_day_lifetime_is_stale():
    assert "past its 40-day lifetime" in reasons(flag(created_days_ago=41), [state(percentage=50)])[0]


def test_own_lifetime_overrides_the_kinds_default():
    assert reasons(flag(created_days_ago=11, lifetime_days=10), [state(percentage=50)])
    assert not reasons(flag(created_days_ago=41, lifetime_days=90), [state(percentage=50)])


def test_permission_and_permanent_flags_are_never_stale():
    assert reasons(flag(kind="permission", created_days_ago=900), [state(changed_days_ago=900)], None) == []
    assert reasons(flag(kind="ops", permanent=True, created_days_ago=900), [state(changed_days_ago=900)], None) == []


def test_flag_serving_one_variant_everywhere_for_a_week_is_stale():
    found = reasons(flag(), [state(changed_days_ago=8), state(enabled=False, changed_days_ago=30)])
    assert found == ["has served only off, on everywhere for 7+ days"]


def test_a_partial_rollout_or_a_recent_change_is_not_static():
    assert reasons(flag(), [state(percentage=50, changed_days_ago=30)]) == []
    assert reasons(flag(), [state(changed_days_ago=2)]) == []
    assert reasons(flag(), [state(changed_days_ago=30, rules=[{"conditions": [], "variant": "on"}])]) == []


def test_flag_not_evaluated_for_two_weeks_is_stale():
    assert reasons(flag(created_days_ago=20), [state(percentage=50)], evaluated_days_ago=15) == [
        "not evaluated for 14+ days (last 2026-11-12)"]
    assert reasons(flag(created_days_ago=20), [state(percentage=50)], evaluated_days_ago=None) == [
        "not evaluated for 14+ days (never)"]
    assert reasons(flag(created_days_ago=3), [state(percentage=50)], evaluated_days_ago=None) == []


def test_tunables_change_the_thresholds(tunables):
    tunables["FLAGS_LIFETIME_DAYS"] = {"release": 2, "experiment": 2, "ops": 2, "permission": None}
    assert reasons(flag(created_days_ago=3), [state(percentage=50)])


def test_unknown_keys_come_from_ofrep_misses_and_error_events(project, redis_client):
    from triage.models import ProjectFlag

    make_flag(project, "new-checkout")
    now = timezone.now()
    exposures.record_evaluations(redis_client, project.id, "production", [], now.timestamp(), misses=["old-banner"])
    ProjectFlag.objects.create(project=project, key="old-banner", value="true", count=4, first_seen=now, last_seen=now)
    ProjectFlag.objects.create(project=project, key="new-checkout", value="true", count=9, first_seen=now, last_seen=now)
    found = stale.unknown_keys(project, redis_client)
    assert [(u.key, u.ofrep_misses, u.events) for u in found] == [("old-banner", 1, 4)]


def test_creating_the_flag_forgets_its_misses(project, redis_client, django_capture_on_commit_callbacks):
    exposures.record_evaluations(redis_client, project.id, "production", [], NOW.timestamp(), misses=["search-v2"])
    with django_capture_on_commit_callbacks(execute=True):
        make_flag(project, "search-v2")
    assert exposures.missed_keys(redis_client, project.id) == {}


def test_last_evaluated_times_are_persisted_from_redis(project, redis_client):
    flag = make_flag(project, "new-checkout")
    exposures.record_evaluations(redis_client, project.id, "production", [("new-checkout", "on")], NOW.timestamp())
    assert stale.record_last_evaluated(redis_client) == 1
    flag.refresh_from_db()
    assert flag.last_evaluated_at == NOW
    assert stale.record_last_evaluated(redis_client) == 0  # never moves backwards or twice
