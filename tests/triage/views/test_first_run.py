"""A project's first-run page (/projects/<id>/start/) and an empty project's group list: the DSN and
snippet until the first event, then the group list, without reloading the page in a loop."""

import pytest

from tests.factories import grant, make_project
from tests.triage.helpers import crash, push

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(alice, redis_client):
    """Another of Alice's projects, with a group: Alice has groups, just not in `project`."""
    busy = make_project("busy", members=[alice])
    push(busy, redis_client, [crash("busy_function")])
    return busy


def poll(client, url):
    """What the start page's listener asks every few seconds."""
    return client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="first-run")


def listener_url(html: str) -> str:
    marker = 'id="first-run" hx-get="'
    assert marker in html
    return html.split(marker, 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_the_start_page_listens_for_its_own_project_and_never_refreshes_itself(client, alice, project, busy, redis_client):
    client.force_login(alice)
    html = client.get(f"/projects/{project.id}/start/").content.decode()
    assert f"Send {project.name}'s first event" in html
    url = listener_url(html)
    # Alice has groups (in `busy`): the listener still waits, and never answers HX-Refresh, which
    # would reload the start page itself every time.
    waiting = poll(client, url)
    assert "HX-Refresh" not in waiting and "HX-Redirect" not in waiting

    push(project, redis_client, [crash("first")])
    arrived = poll(client, url)
    assert "HX-Refresh" not in arrived
    assert arrived["HX-Redirect"] == f"/groups/?project={project.id}"


def test_the_start_page_of_a_project_with_events_does_not_ask_for_a_first_event(client, alice, project, redis_client):
    push(project, redis_client, [crash("first"), crash("second")])
    client.force_login(alice)
    html = client.get(f"/projects/{project.id}/start/").content.decode()
    assert "first event" not in html
    assert 'id="first-run"' not in html  # nothing to wait for
    assert f'href="/groups/?project={project.id}"' in html
    assert project.keys.first().dsn() in html  # the DSN is still there, for the next app


def test_the_home_page_listener_opens_the_list_when_the_first_event_arrives(client, alice, project, redis_client):
    client.force_login(alice)
    url = listener_url(client.get("/groups/").content.decode())
    assert "HX-Redirect" not in poll(client, url)
    push(project, redis_client, [crash("first")])
    assert poll(client, url)["HX-Redirect"] == "/groups/"


def test_a_new_project_opens_on_its_start_page(client, alice):
    grant(alice, "projects.add_project")
    client.force_login(alice)
    response = client.post("/projects/new/", {"name": "checkout"})
    from projects.models import Project

    assert response["Location"] == f"/projects/{Project.objects.get(name='checkout').id}/start/"


def test_an_empty_project_in_the_list_shows_its_dsn_and_snippet(client, alice, project, busy):
    client.force_login(alice)
    html = client.get(f"/groups/?project={project.id}").content.decode()
    dsn = project.keys.first().dsn()
    assert "No groups match" not in html
    assert f'sentry_sdk.init(dsn="{dsn}"' in html and "sentry_sdk.capture_exception" in html
    assert listener_url(html) == f"/groups/?project={project.id}"


def test_a_project_with_old_groups_only_is_not_empty(client, alice, busy):
    client.force_login(alice)
    html = client.get(f"/groups/?project={busy.id}&status=resolved").content.decode()
    assert "No groups match" in html and "sentry_sdk.init" not in html


def test_someone_elses_empty_project_shows_no_dsn(client, bob, busy):
    client.force_login(bob)
    html = client.get(f"/groups/?project={busy.id}").content.decode()
    assert busy.keys.first().dsn() not in html


def test_choosing_an_empty_project_in_the_filters_opens_its_first_run_page(client, alice, project, busy):
    """The filter menus fetch the rows with htmx: an empty project's answer sends the browser to
    its page (a refresh would reload the list it came from, as if the choice did nothing)."""
    client.force_login(alice)
    response = client.get(f"/groups/?project={project.id}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="groups")
    assert response["HX-Redirect"] == f"/groups/?project={project.id}"
