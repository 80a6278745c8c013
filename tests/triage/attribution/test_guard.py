"""triage.attribution.guard: a spike pinned on a guarded flag disables it (enforce) or says what it
would do (dry run), tells the owner, and leaves the noise flags and unguarded flags alone."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from flags import changes
from flags.models import FlagChange, FlagEnvironment
from tests.flags.factories import make_flag
from tests.triage.attribution.test_evidence import FLAGS, group, traffic
from tests.triage.helpers import push
from triage.attribution import guard
from triage.models import AlertDelivery, ErrorGroup, GroupActivity

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(project, alice):
    for key in FLAGS:
        make_flag(project, key, environments={"production": {"enabled": True, "rollout_percentage": 50}})
    return project


def guarded(project, key: str, mode: str, actor) -> None:
    changes.update_environment(project.flags.get(key=key), "production", {"guard": mode}, actor=actor, source="api")


def spiking(project, client, redis_client, seed=5):
    """The generated traffic, with the bad flag's group seen before and quiet since: a spike now."""
    push(project, redis_client, traffic(client, project, random.Random(seed)))
    ErrorGroup.objects.filter(project=project).update(first_seen=timezone.now() - dt.timedelta(hours=2))
    return group(project, "apply_discount")


def test_enforce_disables_the_flag_behind_the_spike_and_tells_its_owner(client, flagged, redis_client, alice):
    for key in FLAGS:
        guarded(flagged, key, "enforce", alice)
    bad = spiking(flagged, client, redis_client)
    [decision] = guard.watch(redis_client, timezone.now())
    assert (decision.group_id, decision.flag_key, decision.mode, decision.disabled) == (bad.id, "bad-checkout", "enforce", True)
    states = dict(FlagEnvironment.objects.filter(flag__project=flagged, environment="production").values_list("flag__key", "enabled"))
    assert states == {"bad-checkout": False, **{k: True for k in FLAGS[1:]}}
    kill = FlagChange.objects.get(action="disabled")
    assert (kill.source, kill.actor, kill.actor_label) == ("guard", None, "guard")
    assert "users who got true hit this error" in kill.reason
    assert GroupActivity.objects.filter(group=bad, kind="flag_disabled").exists()
    [message] = AlertDelivery.objects.filter(rule=None)  # to the owner, delivered by a worker (triage.alerts)
    assert (message.channel, message.target, message.trigger) == ("email", "alice@example.com", "guard")
    assert guard.watch(redis_client, timezone.now()) == []  # already off: a guard never acts twice


def test_dry_run_records_what_it_would_do_once_and_changes_nothing(client, flagged, redis_client, alice):
    guarded(flagged, "bad-checkout", "dry_run", alice)
    spiking(flagged, client, redis_client)
    [decision] = guard.watch(redis_client, timezone.now())
    assert (decision.mode, decision.disabled) == ("dry_run", False)
    assert FlagEnvironment.objects.get(flag__key="bad-checkout", environment="production").enabled
    assert FlagChange.objects.filter(action="guard_would_disable", source="guard").count() == 1
    assert guard.watch(redis_client, timezone.now()) == []  # said once per half hour


def test_an_unguarded_flag_is_never_touched(client, flagged, redis_client):
    spiking(flagged, client, redis_client)
    assert guard.watch(redis_client, timezone.now()) == []
    assert all(FlagEnvironment.objects.filter(flag__project=flagged, environment="production").values_list("enabled", flat=True))
