"""triage.actions: resolve, resolve in next release, ignore, reopen and assign, and how new events
then move the group (the worker's regression rules)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.triage.helpers import crash, push
from triage import actions
from triage.models import ErrorGroup, GroupActivity

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(project, redis_client):
    push(project, redis_client, [crash(release="shop@1.4.0"), crash(release="shop@1.5.0")])
    return ErrorGroup.objects.select_related("project").get(project=project)


def later(group, redis_client, release="shop@1.5.0", n=1):
    push(group.project, redis_client, [crash(release=release) for _ in range(n)])
    return ErrorGroup.objects.get(pk=group.pk)


def test_resolve_marks_it_resolved_and_records_who(group, alice):
    resolved = actions.resolve(group, actor=alice, now=timezone.now())
    assert (resolved.status, resolved.resolved_in_release) == ("resolved", "")
    assert GroupActivity.objects.get(group=group).actor == alice


def test_any_new_event_regresses_a_resolved_group(group, alice, redis_client):
    actions.resolve(group, actor=alice, now=timezone.now())
    again = later(group, redis_client, release="shop@1.4.0")
    assert (again.status, again.substatus) == ("unresolved", "regressed")


def test_resolve_in_next_release_binds_to_the_newest_release(group, alice):
    resolved = actions.resolve_in_next_release(group, actor=alice, now=timezone.now())
    assert resolved.resolved_in_release == "shop@1.5.0"
    assert GroupActivity.objects.get(group=group).data == {"after_release": "shop@1.5.0"}


def test_events_from_the_resolving_release_or_older_keep_it_resolved(group, alice, redis_client):
    actions.resolve_in_next_release(group, actor=alice, now=timezone.now())
    later(group, redis_client, release="shop@1.5.0")
    assert later(group, redis_client, release="shop@1.4.0").status == "resolved"


def test_an_event_from_a_later_release_marks_it_regressed(group, alice, redis_client):
    actions.resolve_in_next_release(group, actor=alice, now=timezone.now())
    again = later(group, redis_client, release="shop@1.6.0")
    assert (again.status, again.substatus) == ("unresolved", "regressed")


def test_resolve_in_next_release_needs_a_release(project, alice, redis_client):
    push(project, redis_client, [crash(release=None)])
    group = ErrorGroup.objects.select_related("project").get(project=project)
    with pytest.raises(ValueError, match="no release"):
        actions.resolve_in_next_release(group, actor=alice, now=timezone.now())


def test_ignore_until_more_events_reopens_after_that_many(group, alice, redis_client):
    actions.ignore(group, actor=alice, now=timezone.now(), more_events=2)
    assert later(group, redis_client).status == "ignored"
    assert later(group, redis_client).status == "unresolved"


def test_ignore_until_a_date_stores_it_and_refuses_the_past(group, alice):
    now = timezone.now()
    assert actions.ignore(group, actor=alice, now=now, until=now + dt.timedelta(days=1)).ignore_until == now + dt.timedelta(days=1)
    with pytest.raises(ValueError):
        actions.ignore(group, actor=alice, now=now, until=now - dt.timedelta(minutes=1))
    with pytest.raises(ValueError):
        actions.ignore(group, actor=alice, now=now, more_events=0)


def test_ignore_refuses_a_count_the_database_cannot_hold(group, alice):
    with pytest.raises(ValueError, match="more events"):
        actions.ignore(group, actor=alice, now=timezone.now(), more_events=actions.MAX_IGNORE_EVENTS + 1)
    assert actions.ignore(group, actor=alice, now=timezone.now(), more_events=actions.MAX_IGNORE_EVENTS).status == "ignored"


def test_reopen_forgets_resolve_and_ignore_conditions(group, alice):
    now = timezone.now()
    actions.ignore(group, actor=alice, now=now, more_events=10)
    reopened = actions.reopen(group, actor=alice, now=now)
    assert (reopened.status, reopened.substatus, reopened.ignore_until_count) == ("unresolved", "ongoing", None)


def test_assign_hands_it_to_a_member_and_unassign_clears_it(group, alice, bob):
    now = timezone.now()
    assert actions.assign(group, bob, actor=alice, now=now).assignee == bob
    assert actions.assign(group, None, actor=alice, now=now).assignee is None
    assert list(GroupActivity.objects.filter(group=group).values_list("kind", flat=True)) == ["unassigned", "assigned"]


def test_assign_refuses_someone_outside_the_project(group, alice, charlie):
    with pytest.raises(ValueError, match="not a member"):
        actions.assign(group, charlie, actor=alice, now=timezone.now())
    assert ErrorGroup.objects.get(pk=group.pk).assignee is None
