"""The developer view: open groups per developer (assigned, else suggested) and the groups assigned and suggested to me."""

import pytest
from django.utils import timezone

from tests.triage.helpers import crash, push, spike
from triage.attribution import assignment, owners
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db


def test_counts_open_groups_per_developer_and_lists_mine(client, alice, bob, project, redis_client):
    push(project, redis_client, [crash("a"), crash("b"), crash("c")])
    hot = spike(project, redis_client, 15)
    ErrorGroup.objects.filter(culprit__in=["shop.pricing in a", "shop.pricing in b"]).update(assignee=bob)
    ErrorGroup.objects.filter(pk=hot.pk).update(assignee=alice)
    client.force_login(alice)
    response = client.get("/developers/")
    loads = {d.username: (d.unresolved, d.spiking) for d in response.context["loads"]}
    assert loads == {"alice": (1, 1), "bob": (2, 0), "": (1, 0)}
    assert [row.group.id for row in response.context["rows"]] == [hot.id]
    assert 'href="/groups/?assignee=bob"' in response.content.decode()


def test_nothing_assigned_says_how_to_assign(client, alice, project):
    client.force_login(alice)
    assert "Nothing is assigned to you" in client.get("/developers/").content.decode()


def test_members_of_other_projects_are_not_listed(client, alice, project, other_project):
    client.force_login(alice)
    assert "charlie" not in {d.username for d in client.get("/developers/").context["loads"]}


def test_open_groups_count_for_their_assignee_else_their_suggested_developer(client, alice, bob, project, redis_client):
    push(project, redis_client, [crash("a"), crash("b"), crash("c", module="web.views")])
    owners.save_ownership(project, rules="/shop/ @bob\n", auto_assign=False, actor=None, now=timezone.now())
    assignment.suggest_for_groups(list(ErrorGroup.objects.values_list("id", flat=True)), timezone.now())
    ErrorGroup.objects.filter(culprit="shop.pricing in a").update(assignee=alice)  # assigned wins over suggested
    client.force_login(bob)
    response = client.get("/developers/")
    loads = {d.username: (d.unresolved, d.suggested) for d in response.context["loads"]}
    assert loads == {"alice": (1, 0), "bob": (1, 1), "": (1, 0)}
    assert [g.culprit for g in response.context["suggested"]] == ["shop.pricing in b"]
    assert "CODEOWNERS: /shop/ @bob" in response.content.decode()
