"""Saved views: a filtered group list kept under a name, in the nav, per user per project, optionally shared."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import grant, make_project
from triage.models import SavedView
from triage.saved_views import save_view, view_query, views_for

pytestmark = pytest.mark.django_db


def test_a_view_is_the_lists_query_with_its_project_and_without_a_page():
    assert view_query("?status=all&page=3&query=price+tax&environment=&project=9", 4) == "project=4&status=all&query=price+tax"
    with pytest.raises(ValueError, match="window must be"):
        view_query("window=3y", 4)


def test_saving_the_same_name_again_replaces_the_view(project, alice):
    save_view(alice, project, "  checkout   errors ", "release=shop@1.5.0", shared=False, now=timezone.now())
    view = save_view(alice, project, "checkout errors", "release=shop@1.6.0", shared=False, now=timezone.now())
    assert (SavedView.objects.count(), view.name, view.query) == (1, "checkout errors", f"project={project.id}&release=shop%401.6.0")


def test_each_user_sees_their_own_views_and_the_ones_shared_in_their_projects(project, alice, bob, charlie):
    save_view(alice, project, "mine", "status=all", shared=False, now=timezone.now())
    save_view(alice, project, "team", "assignee=none", shared=True, now=timezone.now())
    secret = make_project("secret", members=[charlie])
    save_view(charlie, secret, "theirs", "", shared=True, now=timezone.now())
    assert [v.name for v in views_for(alice)] == ["mine", "team"]
    assert [v.name for v in views_for(bob)] == ["team"]
    assert [v.name for v in views_for(charlie)] == ["theirs"]
    project.members.remove(alice)
    assert [v.name for v in views_for(alice)] == []  # a view of a project no longer hers is out of sight


def test_a_saved_view_shows_in_the_nav_and_opens_the_list_it_saved(client, alice, project):
    client.force_login(alice)
    response = client.post("/views/new/", {"name": "Unassigned <b>fatal</b>", "project": project.id,
                                           "query": "assignee=none&status=all&page=2"})
    assert response.status_code == 302
    assert response["Location"] == f"/groups/?project={project.id}&assignee=none&status=all"
    page = client.get("/releases/").content.decode()  # any page: the nav lists it
    assert f'href="/groups/?project={project.id}&amp;assignee=none&amp;status=all"' in page
    assert "Unassigned &lt;b&gt;fatal&lt;/b&gt;" in page and "<b>fatal" not in page


def test_the_filters_project_wins_over_the_forms(client, alice, project):
    other = make_project("other", members=[alice])
    client.force_login(alice)
    client.post("/views/new/", {"name": "v", "project": project.id, "query": f"project={other.id}&status=all"})
    assert SavedView.objects.get().project == other


def test_bad_input_is_a_message_and_no_view(client, alice, project):
    client.force_login(alice)
    response = client.post("/views/new/", {"name": "", "project": project.id, "query": "status=all"}, follow=True)
    assert "A view needs a name." in response.content.decode()
    response = client.post("/views/new/", {"name": "x", "project": project.id, "query": "sort=nonsense"}, follow=True)
    assert "sort one of" in response.content.decode()
    assert client.post("/views/new/", {"name": "x", "project": "99999999999999999999999", "query": ""}).status_code == 404
    assert not SavedView.objects.exists()


def test_saving_needs_membership_sharing_needs_the_permission_and_all_need_post_and_csrf(client, alice, charlie, project):
    client.force_login(charlie)
    assert client.post("/views/new/", {"name": "x", "project": project.id, "query": ""}).status_code == 404
    client.force_login(alice)
    assert client.post("/views/new/", {"name": "x", "project": project.id, "query": "", "shared": "on"}).status_code == 403
    assert client.get("/views/new/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post("/views/new/", {"name": "x", "project": project.id, "query": ""}).status_code == 403
    assert not SavedView.objects.exists()
    grant(alice, "projects.change_project")
    assert client.post("/views/new/", {"name": "x", "project": project.id, "query": "", "shared": "on"}).status_code == 302
    assert SavedView.objects.get().shared


def test_deleting_ones_own_view_and_someone_elses_shared_one_needs_the_permission(client, alice, bob, charlie, project):
    own = save_view(bob, project, "bob's", "", shared=False, now=timezone.now())
    shared = save_view(alice, project, "team", "", shared=True, now=timezone.now())
    private = save_view(alice, project, "alice's", "", shared=False, now=timezone.now())
    client.force_login(bob)
    assert client.post(f"/views/{private.id}/delete/").status_code == 404  # not his to see
    assert client.post(f"/views/{shared.id}/delete/").status_code == 403
    assert client.post(f"/views/{own.id}/delete/").status_code == 302
    client.force_login(charlie)
    assert client.post(f"/views/{shared.id}/delete/").status_code == 404
    grant(bob, "projects.change_project")
    client.force_login(bob)
    assert client.post(f"/views/{shared.id}/delete/").status_code == 302
    assert list(SavedView.objects.values_list("name", flat=True)) == ["alice's"]
