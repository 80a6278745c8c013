"""triage.attribution.assignment and the actions it calls: new groups are queued after the digest,
suggested, recorded in their history and auto-assigned once."""

from collections import namedtuple
from unittest.mock import Mock

import pytest
from celery.exceptions import Retry
from django.db import OperationalError
from django.utils import timezone

from tests.triage.helpers import crash, push
from triage import actions, tasks
from triage.attribution import assignment, owners
from triage.models import ErrorGroup, GroupActivity, GroupStatus, GroupSuggestion

pytestmark = pytest.mark.django_db

Suspected = namedtuple("Suspected", "key significant suspect")


@pytest.fixture
def queued(monkeypatch):
    """The group ids suggest_owners was queued with, instead of the broker."""
    calls = []
    monkeypatch.setattr(tasks.suggest_owners, "delay", calls.append)
    return calls


def owned(project, *, auto_assign: bool, rules: str = "/shop/ @bob\n") -> None:
    owners.save_ownership(project, rules=rules, auto_assign=auto_assign, actor=None, now=timezone.now())


def new_group(project, redis_client, function="apply_discount") -> ErrorGroup:
    push(project, redis_client, [crash(function, "shop.checkout_v2", "CheckoutError")])
    return ErrorGroup.objects.get(project=project, culprit=f"shop.checkout_v2 in {function}")


def history(group) -> list[tuple]:
    return [(a.kind, a.actor_id, a.data) for a in GroupActivity.objects.filter(group=group).order_by("id")]


def test_a_batch_that_makes_groups_queues_them_after_commit_and_a_later_batch_does_not(
    project, redis_client, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        group = new_group(project, redis_client)
    assert queued == [[group.id]]
    with django_capture_on_commit_callbacks(execute=True):
        new_group(project, redis_client)  # the same group again: not new to this batch
    assert queued == [[group.id]]


def test_the_task_suggests_records_and_auto_assigns_once(project, bob, redis_client):
    owned(project, auto_assign=True)
    group = new_group(project, redis_client)
    assert tasks.suggest_owners.run([group.id]) == 1
    group.refresh_from_db()
    assert group.assignee == bob
    reason = "CODEOWNERS: /shop/ @bob"
    assert history(group) == [
        ("suggested", None, {"username": "bob", "source": "ownership", "reason": reason}),
        ("assigned", None, {"assignee": "bob", "source": "ownership", "reason": reason}),
    ]
    assert GroupSuggestion.objects.get(group=group).user == bob
    assert tasks.suggest_owners.run([group.id]) == 0  # run again: nothing new, nothing reassigned
    assert len(history(group)) == 2


def test_without_auto_assign_the_suggestion_is_only_recorded(project, bob, redis_client):
    owned(project, auto_assign=False)
    group = new_group(project, redis_client)
    assert assignment.suggest_for_groups([group.id], timezone.now()) == 0
    group.refresh_from_db()
    assert group.assignee is None
    assert [kind for kind, _, _ in history(group)] == ["suggested"]


def test_a_group_someone_assigned_or_unassigned_is_never_auto_assigned(project, alice, bob, redis_client):
    owned(project, auto_assign=True)
    group = new_group(project, redis_client)
    actions.assign(group, alice, actor=alice, now=timezone.now())
    actions.assign(group, None, actor=alice, now=timezone.now())  # unassigned by hand
    suggestion = owners.suggest(group)
    assert suggestion.user == bob
    assert actions.auto_assign(group, suggestion, timezone.now()) is False
    assert ErrorGroup.objects.get(pk=group.pk).assignee is None


def test_an_auto_assigned_group_is_not_reassigned_when_a_flag_owner_arrives(project, alice, bob, redis_client):
    owned(project, auto_assign=True)
    group = new_group(project, redis_client)
    assignment.suggest_for_groups([group.id], timezone.now())
    flag_owner = owners.Suggestion(alice, "flag_owner", "owns new-checkout, the suspect flag")
    assert actions.record_suggestion(group, flag_owner, now=timezone.now()) is True  # the newer evidence is kept
    assert actions.auto_assign(group, flag_owner, timezone.now()) is False
    assert ErrorGroup.objects.get(pk=group.pk).assignee == bob


def test_only_new_untriaged_groups_are_auto_assigned(project, alice, bob, redis_client):
    owned(project, auto_assign=True)
    group = new_group(project, redis_client)
    actions.resolve(group, actor=alice, now=timezone.now())
    assert assignment.suggest_for_groups([group.id], timezone.now()) == 0
    assert ErrorGroup.objects.get(pk=group.pk).status == GroupStatus.RESOLVED


def test_a_flag_owner_suggestion_is_not_replaced_by_the_task(project, alice, bob, redis_client):
    owned(project, auto_assign=False)
    group = new_group(project, redis_client)
    flag_owner = owners.Suggestion(alice, "flag_owner", "owns new-checkout, the suspect flag")
    actions.record_suggestion(group, flag_owner, now=timezone.now())
    assignment.suggest_for_groups([group.id], timezone.now())
    kept = GroupSuggestion.objects.get(group=group)
    assert (kept.user, kept.source) == (alice, "flag_owner")
    assert [kind for kind, _, _ in history(group)] == ["suggested"]


def test_a_suggestion_that_goes_away_is_forgotten(project, bob, redis_client):
    owned(project, auto_assign=False)
    group = new_group(project, redis_client)
    assignment.suggest_for_groups([group.id], timezone.now())
    owned(project, auto_assign=False, rules="")
    assignment.suggest_for_groups([group.id], timezone.now())
    assert not GroupSuggestion.objects.filter(group=group).exists()


def test_a_member_who_leaves_stops_being_the_suggestion(project, bob, redis_client):
    owned(project, auto_assign=False)
    group = new_group(project, redis_client)
    assignment.suggest_for_groups([group.id], timezone.now())
    assert GroupSuggestion.objects.filter(group=group, user=bob).exists()
    project.members.remove(bob)
    assert not GroupSuggestion.objects.filter(group=group).exists()


def test_accepting_a_suggestion_assigns_through_assign_and_says_why(project, alice, bob, redis_client):
    owned(project, auto_assign=False)
    group = new_group(project, redis_client)
    group = actions.accept_suggestion(group, actor=alice, now=timezone.now())
    assert group.assignee == bob
    assert history(group)[-1] == ("assigned", alice.id, {"assignee": "bob", "source": "ownership", "reason": "CODEOWNERS: /shop/ @bob"})
    owned(project, auto_assign=False, rules="")
    with pytest.raises(ValueError, match="Nobody is suggested"):
        actions.accept_suggestion(group, actor=alice, now=timezone.now())


def test_an_outage_retries_the_task_later_and_a_bug_fails_it(monkeypatch):
    retried = []

    def retry(exc, countdown):
        retried.append((type(exc), countdown))
        return Retry()

    monkeypatch.setattr(tasks.suggest_owners, "retry", retry)
    monkeypatch.setattr(assignment, "suggest_for_groups", Mock(side_effect=OperationalError("server closed the connection")))
    with pytest.raises(Retry):
        tasks.suggest_owners.run([1])
    assert retried == [(OperationalError, 1)]
    monkeypatch.setattr(assignment, "suggest_for_groups", Mock(side_effect=KeyError("a bug")))
    with pytest.raises(KeyError):
        tasks.suggest_owners.run([1])
    assert len(retried) == 1
