"""Tag breakdowns on the group page: counted by the digest with the events, shown as top values with shares."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_event
from tests.triage.digest.test_tags import CHROME_MAC, FIREFOX_LINUX
from tests.triage.helpers import crash, push
from tests.triage.pipeline import consumer, drain, send_events
from triage import stream
from triage.digest.events import digest_events, prepare
from triage.models import ErrorGroup, GroupTagValue
from triage.pages.tag_breakdowns import tag_breakdowns
from triage.stream import IngestMessage

pytestmark = pytest.mark.django_db


def browsing(agent: str, segment: str, server: str, **extra) -> dict:
    return crash(request={"url": "https://shop.example.com/cart", "headers": {"User-Agent": agent}},
                 user={"id": f"u-{segment}", "segment": segment}, server_name=server, **extra)


@pytest.fixture
def group(project, redis_client):
    """10 events: 7 from Chrome, 3 from Firefox; 6 paid, 4 free users; two servers; 8 tagged tenant=acme."""
    events = [browsing(CHROME_MAC, "paid", "web-1") for _ in range(6)] + [browsing(CHROME_MAC, "free", "web-2")]
    events += [browsing(FIREFOX_LINUX, "free", "web-2", tags={"tenant": "globex"}) for _ in range(3)]
    for event in events[:8]:
        event["tags"] = {"tenant": "acme"}
    push(project, redis_client, events)
    return ErrorGroup.objects.get(project=project)


def counts(group, key) -> dict[str, int]:
    return dict(GroupTagValue.objects.filter(group=group, key=key).values_list("value", "count"))


def test_the_digest_counts_each_tag_value_of_the_group(group):
    assert counts(group, "browser") == {"Chrome 120": 7, "Firefox 121": 3}
    assert counts(group, "os.name") == {"Mac OS X": 7, "Linux": 3}
    assert counts(group, "user.segment") == {"paid": 6, "free": 4}
    assert counts(group, "server_name") == {"web-1": 6, "web-2": 4}
    assert counts(group, "url") == {"https://shop.example.com/cart": 10}
    assert counts(group, "tenant") == {"acme": 8, "globex": 2}


def test_a_redelivered_message_counts_its_tags_once(project, redis_client):
    """Committed, then the worker died before acknowledging: the redelivery adds nothing to the tag counts."""
    send_events(project, [browsing(CHROME_MAC, "paid", "web-1")])
    consumer(redis_client, "doomed")
    [(message_id, fields)] = redis_client.xreadgroup(stream.GROUP, "doomed", {stream.EVENTS: ">"})[0][1]
    digest_events([prepare(message_id, IngestMessage.from_fields(fields), "")], timezone.now())
    survivor = consumer(redis_client, "survivor")
    survivor.options["CLAIM_IDLE_MS"] = 0
    survivor.run_once()
    group = ErrorGroup.objects.get()
    assert counts(group, "browser") == {"Chrome 120": 1} and counts(group, "user.segment") == {"paid": 1}


def test_a_resent_event_counts_its_tags_once(project, redis_client):
    event = browsing(CHROME_MAC, "paid", "web-1")
    for _ in range(2):
        send_events(project, [event])
        drain(redis_client)
    assert counts(ErrorGroup.objects.get(), "browser") == {"Chrome 120": 1}


def test_breakdowns_list_well_known_tags_first_with_shares(group):
    breakdowns = tag_breakdowns(group)
    keys = [b.key for b in breakdowns]
    assert keys[:4] == ["browser", "browser.name", "os", "os.name"]
    assert keys.index("server_name") < keys.index("url") < keys.index("user") < keys.index("user.segment") < keys.index("tenant")
    browser = breakdowns[0]
    assert [(v.value, v.count, round(v.share, 2)) for v in browser.values] == [("Chrome 120", 7, 0.7), ("Firefox 121", 3, 0.3)]
    assert (browser.total, browser.distinct, browser.coverage, browser.other) == (10, 2, 1.0, 0)
    assert browser.values[0].search == 'browser:"Chrome 120"'


def test_breakdowns_show_the_top_values_and_the_rest_as_other(project, redis_client):
    push(project, redis_client, [crash(tags={"shard": f"s{i % 7}"}) for i in range(14)] + [crash(tags={"shard": "s0"})])
    shard = next(b for b in tag_breakdowns(ErrorGroup.objects.get(), top=3) if b.key == "shard")
    assert [v.value for v in shard.values] == ["s0", "s1", "s2"]  # s0 has 3, the others 2: ties by value
    assert (shard.total, shard.distinct, shard.other) == (15, 7, 15 - 3 - 2 - 2)


def test_a_tag_on_some_events_says_how_many(project, redis_client):
    push(project, redis_client, [crash(tags={"tenant": "acme"}), crash(tags={}), crash(tags={}), crash(tags={})])
    tenant = next(b for b in tag_breakdowns(ErrorGroup.objects.get()) if b.key == "tenant")
    assert tenant.coverage == 0.25


def test_breakdowns_cost_two_queries_however_many_tags(project, redis_client):
    push(project, redis_client, [crash(tags={f"t{i}": f"v{j}" for i in range(30)}) for j in range(20)])
    group = ErrorGroup.objects.get()
    with CaptureQueriesContext(connection) as captured:
        breakdowns = tag_breakdowns(group)
    assert len(breakdowns) > 30 and len(captured.captured_queries) == 2


def test_the_group_page_shows_the_breakdowns_with_search_links(client, alice, group):
    client.force_login(alice)
    html = client.get(f"/groups/{group.id}/").content.decode()
    assert 'data-tag="user.segment"' in html and "paid" in html and "60%" in html
    assert f"?project={group.project_id}&amp;window=all&amp;query=browser%3A%22Chrome%20120%22" in html


def test_tag_values_are_shown_escaped(client, alice, project, redis_client):
    push(project, redis_client, [crash(tags={"note": "<script>alert(1)</script>"})])
    client.force_login(alice)
    html = client.get(f"/groups/{ErrorGroup.objects.get().id}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_events_without_tags_of_their_own_still_break_down_by_derived_ones(project, redis_client):
    push(project, redis_client, [make_event(tags=None, user={"id": "u-9"})])
    keys = {b.key for b in tag_breakdowns(ErrorGroup.objects.get())}
    assert {"user", "level", "handled", "mechanism"} <= keys
