"""The spike chart's data endpoint: Plotly figure JSON per minute or hour, with release and flag
markers, cached per minute in Redis."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.triage.helpers import spike
from triage.models import GroupMinuteCount

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(project, redis_client):
    return spike(project, redis_client, 12, release="shop@1.5.0")


def chart(client, group, range_name="1h"):
    response = client.get(f"/groups/{group.id}/chart/", {"range": range_name})
    assert response.status_code == 200
    return response.json()


def test_last_hour_is_sixty_minutes_ending_with_this_ones_events(client, alice, group):
    client.force_login(alice)
    figure = chart(client, group)
    counts = figure["data"][0]["y"]
    assert len(counts) == 60 and sum(counts[-2:]) == 12 == sum(counts)  # the push may straddle a minute


def test_days_are_per_hour_and_include_rolled_up_minutes_older_than_redis_keeps(client, alice, group):
    old = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=5)
    GroupMinuteCount.objects.create(group=group, minute=old, count=7)
    client.force_login(alice)
    counts = chart(client, group, "24h")["data"][0]["y"]
    assert len(counts) == 24 and sum(counts) == 19
    assert 7 in counts[-7:-4] and sum(counts[-2:]) == 12  # exact hours shift if the clock crosses one
    assert len(chart(client, group, "7d")["data"][0]["y"]) == 168


def test_release_first_seen_is_marked_on_the_time_axis(client, alice, group):
    client.force_login(alice)
    labels = [a["text"] for a in chart(client, group)["layout"]["annotations"]]
    assert labels == ["shop@1.5.0"]


def test_a_flag_killed_from_triage_shows_on_the_chart_at_once(client, triager, project, group, demo_flags, django_capture_on_commit_callbacks):
    def hover_texts():
        return " ".join(a["hovertext"] for a in chart(client, group)["layout"]["annotations"])

    client.force_login(triager)
    assert "alice: checkout spike" not in hover_texts()  # and the figure is cached now
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/flag-errors/{project.id}/disable/", {"key": "new-checkout", "environment": "production", "reason": "checkout spike"})
    assert "alice: checkout spike" in hover_texts()


@pytest.mark.parametrize("source", ["api", "admin", "trigger", "command"])
def test_a_flag_change_from_any_source_shows_on_the_chart_at_once(client, alice, group, demo_flags, source,
                                                                    django_capture_on_commit_callbacks):
    from flags import changes

    def hover_texts():
        return " ".join(a["hovertext"] for a in chart(client, group)["layout"]["annotations"])

    client.force_login(alice)
    assert "rollback" not in hover_texts()  # and the figure is cached now
    with django_capture_on_commit_callbacks(execute=True):
        changes.disable_flag(demo_flags.get(key="new-checkout"), "production", actor=alice, reason="rollback", source=source)
    assert "rollback" in hover_texts()


def test_the_figure_is_cached_for_the_minute(client, alice, group):
    client.force_login(alice)
    with CaptureQueriesContext(connection) as first:
        chart(client, group)
    with CaptureQueriesContext(connection) as second:
        chart(client, group)
    assert not any("groupminutecount" in q["sql"] for q in second.captured_queries)
    assert len(second) < len(first)


def test_an_unknown_range_is_a_400_with_the_choices(client, alice, group):
    client.force_login(alice)
    response = client.get(f"/groups/{group.id}/chart/", {"range": "5y"})
    assert response.status_code == 400 and "1h, 24h, 7d, 14d" in response.json()["detail"]


def test_anonymous_is_sent_to_log_in(client, group):
    assert client.get(f"/groups/{group.id}/chart/")["Location"].startswith("/login/")
