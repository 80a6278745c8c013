"""The developer view: open groups per developer and the groups assigned to me."""

import pytest

from tests.triage.helpers import crash, push, spike
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
