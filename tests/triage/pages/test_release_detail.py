"""A release's page: its new, regressed and resolved groups, commits, health, and two charts."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from tests.triage.helpers import crash, push
from triage import actions
from triage.attribution.commits import Commit, register_release
from triage.digest.sessions import digest_sessions, prepare_sessions
from triage.models import ErrorGroup, Release
from triage.stream import IngestMessage

pytestmark = pytest.mark.django_db


def group(project, function):
    return ErrorGroup.objects.select_related("project").get(project=project, culprit=f"shop.pricing in {function}")


@pytest.fixture
def history(project, redis_client, alice):
    """1.4.0 brings price, total and tax; price is resolved in the next release and stays fixed, total
    is resolved plainly and comes back in 1.5.0, tax goes on; discount is new in 1.5.0."""
    push(project, redis_client, [crash(f, release="shop@1.4.0") for f in ("price", "total", "tax")])
    actions.resolve_in_next_release(group(project, "price"), actor=alice, now=timezone.now())
    actions.resolve(group(project, "total"), actor=alice, now=timezone.now())
    push(project, redis_client, [crash(f, release="shop@1.5.0", user={"id": u}) for f, u in
                                 [("total", "u-1"), ("tax", "u-2"), ("discount", "u-1"), ("discount", "u-3")]])
    return project


def page(client, project, version):
    return client.get(f"/projects/{project.id}/releases/{version}/")


def culprits(groups) -> list[str]:
    return sorted(g.culprit.split(" in ")[1] for g in groups)


def test_a_release_lists_the_groups_it_brought_broke_again_and_fixed(client, alice, history):
    client.force_login(alice)
    newer = page(client, history, "shop@1.5.0").context
    assert culprits(newer["new_groups"]) == ["discount"]
    assert culprits(newer["regressed_groups"]) == ["total"]
    assert culprits(newer["resolved_groups"]) == ["price"]  # resolved in the release after 1.4.0
    assert (newer["events"], newer["groups"], newer["previous"].version) == (4, 3, "shop@1.4.0")
    older = page(client, history, "shop@1.4.0").context
    assert culprits(older["new_groups"]) == ["price", "tax", "total"]
    assert (culprits(older["regressed_groups"]), culprits(older["resolved_groups"])) == ([], [])
    assert older["following"].version == "shop@1.5.0"


def test_a_plain_resolve_counts_for_the_release_that_was_newest_then(client, alice, history):
    actions.resolve(group(history, "tax"), actor=alice, now=timezone.now())
    client.force_login(alice)
    assert culprits(page(client, history, "shop@1.5.0").context["resolved_groups"]) == ["price", "tax"]
    assert culprits(page(client, history, "shop@1.4.0").context["resolved_groups"]) == []


def test_the_commits_registered_with_the_release_are_listed_newest_first(client, alice, history):
    register_release(history, "shop@1.5.0", [Commit("a1b2c3d4e5f6a7b8", "bob@example.com", message="Fix <b>rounding</b>"),
                                             Commit("0f0f0f0f0f", "ann@example.com", message="Add discounts")], now=timezone.now())
    client.force_login(alice)
    response = page(client, history, "shop@1.5.0")
    assert [c.commit_id for c in response.context["commits"]] == ["a1b2c3d4e5f6a7b8", "0f0f0f0f0f"]
    body = response.content.decode()
    assert "Fix &lt;b&gt;rounding&lt;/b&gt;" in body and "<b>rounding" not in body


def sessions(project, version, *aggregates, sessions_of_users=()):
    items = [{"attrs": {"release": version}, "aggregates": list(aggregates)}]
    items += [{"sid": f"s-{i}", "did": did, "status": status, "started": aggregates[0]["started"], "attrs": {"release": version}}
              for i, (did, status) in enumerate(sessions_of_users)]
    batch = [prepare_sessions(b"%d-0" % i, IngestMessage(project.id, f"{i:032x}", time.time(), json.dumps(item).encode()))
             for i, item in enumerate(items)]
    digest_sessions(batch, timezone.now())


def test_crash_free_sessions_and_users_are_shown_when_sessions_are_sent(client, alice, history):
    started = timezone.now().replace(second=0, microsecond=0).isoformat()
    sessions(history, "shop@1.5.0", {"started": started, "exited": 95, "crashed": 3, "errored": 2},
             sessions_of_users=[("ann", "exited"), ("bob", "crashed")])
    client.force_login(alice)
    response = page(client, history, "shop@1.5.0")
    health = response.context["health"]
    assert (health.sessions, health.crashed, health.users, health.crashed_users) == (102, 4, 2, 1)
    body = response.content.decode()
    assert "96.08 %" in body and "50.00 %" in body  # crash-free sessions, users
    assert "No sessions from this release yet" in page(client, history, "shop@1.4.0").content.decode()
    listed = {s.release.version: s.health for s in client.get("/releases/", {"project": history.id}).context["summaries"]}
    assert listed["shop@1.5.0"].crash_free_sessions == pytest.approx(100 * 98 / 102)


def test_the_events_chart_counts_the_releases_events_and_users_per_bucket(client, alice, history):
    client.force_login(alice)
    figure = client.get(f"/projects/{history.id}/release-chart/", {"kind": "events", "version": "shop@1.5.0", "range": "24h"}).json()
    events, users = figure["data"]
    assert (sum(events["y"]), events["y"][-1]) == (4, 4)  # all in the current hour
    assert users["y"][-1] == 3  # u-1 twice, u-2, u-3
    assert figure["layout"]["yaxis"]["dtick"] == 1  # a few events: whole-number ticks


def test_the_health_chart_has_crash_free_sessions_and_per_day_users(client, alice, history):
    now = timezone.now()
    started = now.replace(second=0, microsecond=0)
    sessions(history, "shop@1.5.0", {"started": started.isoformat(), "exited": 3, "crashed": 1},
             sessions_of_users=[("ann", "crashed"), ("bob", "exited")])
    client.force_login(alice)
    hourly = client.get(f"/projects/{history.id}/release-chart/", {"kind": "health", "version": "shop@1.5.0", "range": "24h"}).json()
    bars, crash_free = hourly["data"]
    assert bars["y"][-1] == 6 and crash_free["y"][-1] == pytest.approx(100 * 4 / 6)
    assert crash_free["y"][0] is None  # no sessions: no rate, not 100 %
    daily = client.get(f"/projects/{history.id}/release-chart/", {"kind": "health", "version": "shop@1.5.0", "range": "7d"}).json()
    assert [trace["name"] for trace in daily["data"]] == ["sessions", "crash-free sessions", "crash-free users"]
    assert daily["data"][2]["y"][-1] == 50.0


def test_charts_refuse_unknown_kinds_and_ranges_with_400(client, alice, history):
    client.force_login(alice)
    url = f"/projects/{history.id}/release-chart/"
    assert client.get(url, {"kind": "pie", "version": "shop@1.5.0"}).status_code == 400
    assert client.get(url, {"kind": "events", "version": "shop@1.5.0", "range": "1y"}).status_code == 400
    assert client.get(url, {"kind": "events", "version": "shop@9"}).status_code == 404


def test_versions_with_slashes_and_markup_have_their_page_escaped(client, alice, project, redis_client):
    push(project, redis_client, [crash("price", release="web/<b>2</b>")])
    client.force_login(alice)
    listed = client.get("/releases/", {"project": project.id}).content.decode()
    assert f'href="/projects/{project.id}/releases/web/%3Cb%3E2%3C/b%3E/"' in listed
    response = client.get(f"/projects/{project.id}/releases/web/%3Cb%3E2%3C/b%3E/")
    assert response.status_code == 200
    assert "web/&lt;b&gt;2&lt;/b&gt;" in response.content.decode()


def test_another_projects_release_is_not_found(client, alice, other_project):
    client.force_login(alice)
    assert client.get(f"/projects/{other_project.id}/releases/secret@9.9.9/").status_code == 404
    assert client.get(f"/projects/{other_project.id}/release-chart/", {"kind": "events", "version": "secret@9.9.9"}).status_code == 404
    assert Release.objects.filter(project=other_project, version="secret@9.9.9").exists()


def test_pages_need_a_login(client, history):
    assert client.get(f"/projects/{history.id}/releases/shop@1.5.0/").status_code == 302


def test_a_release_first_seen_earlier_is_the_previous_one_whatever_its_name(client, alice, project, redis_client):
    push(project, redis_client, [crash("price", release="b")])
    push(project, redis_client, [crash("price", release="a")])
    Release.objects.filter(version="a").update(first_seen=timezone.now() + dt.timedelta(minutes=1))
    client.force_login(alice)
    assert page(client, project, "a").context["previous"].version == "b"
