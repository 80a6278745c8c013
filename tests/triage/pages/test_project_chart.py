"""The project's error chart above the group list: every group's events per minute or hour, with
the same release and flag-change markers as a group's chart (issue 10, item 6)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.triage.helpers import crash, push
from triage.models import ErrorGroup, GroupMinuteCount

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_groups(project, redis_client):
    push(project, redis_client, [crash("price", release="shop@1.4.0") for _ in range(3)])
    push(project, redis_client, [crash("pay", "shop.payments", release="shop@1.5.0") for _ in range(4)])
    return list(ErrorGroup.objects.filter(project=project))


def chart(client, project, range_name="1h"):
    response = client.get(f"/projects/{project.id}/chart/", {"range": range_name})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_last_hour_sums_every_group_of_the_project(client, alice, project, two_groups):
    client.force_login(alice)
    counts = chart(client, project)["data"][0]["y"]
    assert len(counts) == 60 and sum(counts) == 7


def test_days_include_the_rolled_up_minutes_of_every_group(client, alice, project, two_groups):
    hour_ago = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=5)
    for group in two_groups:
        GroupMinuteCount.objects.create(group=group, minute=hour_ago, count=10)
    client.force_login(alice)
    counts = chart(client, project, "24h")["data"][0]["y"]
    assert len(counts) == 24 and sum(counts) == 27 and 20 in counts


def test_releases_and_any_flag_change_of_the_project_are_marked(client, alice, project, two_groups):
    from flags import changes

    flag = changes.create_flag(project, key="dark-mode", owner=alice, actor=alice, source="api",
                               environments={"production": {"enabled": True}})
    changes.disable_flag(flag, "production", actor=alice, reason="too dark", source="api")
    client.force_login(alice)
    layout = chart(client, project)["layout"]
    texts = " ".join(a["text"] + " " + a["hovertext"] for a in layout["annotations"])
    assert "shop@1.4.0" in texts and "shop@1.5.0" in texts and "dark-mode disabled in production by alice: too dark" in texts
    assert layout["yaxis"]["dtick"] in (1, 2) and layout["yaxis"]["tickformat"] == ",d"  # whole-number ticks


def test_a_bad_range_is_a_400_and_a_stranger_gets_a_404(client, alice, charlie, project):
    client.force_login(alice)
    assert client.get(f"/projects/{project.id}/chart/", {"range": "3y"}).status_code == 400
    client.force_login(charlie)
    assert client.get(f"/projects/{project.id}/chart/").status_code == 404


def test_the_group_list_of_one_project_shows_its_chart(client, alice, project, two_groups):
    client.force_login(alice)
    page = client.get("/groups/", {"project": project.id}).content.decode()
    assert f'data-spike-chart="/projects/{project.id}/chart/"' in page
    assert "spike-chart" in page and "data-plotly=" in page


def test_a_user_of_one_project_sees_its_chart_in_the_unfiltered_list(client, alice, project, two_groups):
    client.force_login(alice)
    assert f'data-spike-chart="/projects/{project.id}/chart/"' in client.get("/groups/").content.decode()
