"""A trace's page: every event of the trace across groups, by the SDK's time, with room for its logs."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from tests.triage.helpers import crash, push
from tests.triage.logs.helpers import make_line, store_lines
from triage.models import ErrorEvent
from triage.pages.trace import merge_timeline, trace_page

pytestmark = pytest.mark.django_db
TRACE = "358db1228a8b42ccac048e890f6a8e12"


def at(seconds: int) -> str:
    return (timezone.now() - dt.timedelta(minutes=5) + dt.timedelta(seconds=seconds)).isoformat()


@pytest.fixture
def traced(project, redis_client):
    """One request's trace: three errors in two groups, sent out of order, and an event of another trace."""
    push(project, redis_client, [
        crash("total", timestamp=at(3), contexts={"trace": {"trace_id": TRACE}}),
        crash("price", timestamp=at(1), contexts={"trace": {"trace_id": TRACE}}),
        crash("price", timestamp=at(2), contexts={"trace": {"trace_id": TRACE}}),
        crash("price", timestamp=at(2), contexts={"trace": {"trace_id": "f" * 32}}),
    ])
    return project


def test_a_trace_lists_its_events_across_groups_in_the_order_they_happened(client, alice, traced):
    client.force_login(alice)
    response = client.get(f"/projects/{traced.id}/traces/{TRACE}/")
    page = response.context
    assert [item.event.group.culprit.split(" in ")[1] for item in page["items"]] == ["price", "price", "total"]
    assert [item.event.timestamp for item in page["items"]] == sorted(item.event.timestamp for item in page["items"])
    assert (page["events"], page["groups"], page["logs"]) == (3, 2, 0)
    body = response.content.decode()
    assert body.count('class="trace-event"') == 3
    assert "3 events in 2 groups" in body


def test_the_traces_log_lines_are_shown_between_its_events(client, alice, traced):
    """Lines stored by the logs digest (triage.logs) join the events by the SDK's time; a line of
    another trace and another project's line of the same trace stay out."""
    from tests.factories import make_project

    first = ErrorEvent.objects.filter(trace_id=TRACE).earliest("timestamp").timestamp
    store_lines([
        make_line(traced, message="checkout <started>", level="info", logger="shop.cart", trace_id=TRACE,
                  timestamp=first - dt.timedelta(seconds=1)),
        make_line(traced, message="price service slow", level="warn", trace_id=TRACE, timestamp=first + dt.timedelta(milliseconds=500)),
        make_line(traced, message="another request", level="info", trace_id="e" * 32, timestamp=first),
        make_line(make_project("elsewhere"), message="not ours", level="info", trace_id=TRACE, timestamp=first),
    ])
    client.force_login(alice)
    response = client.get(f"/projects/{traced.id}/traces/{TRACE}/")
    kinds = [(item.kind, item.log.message if item.log else item.event.group.culprit.split(" in ")[1])
             for item in response.context["items"]]
    assert kinds == [("log", "checkout <started>"), ("event", "price"), ("log", "price service slow"),
                     ("event", "price"), ("event", "total")]
    body = response.content.decode()
    assert "3 events in 2 groups and 2 log lines" in body
    assert "checkout &lt;started&gt;" in body and "another request" not in body and "not ours" not in body


def test_log_lines_merge_into_the_timeline_by_time():
    @dataclass
    class Line:
        timestamp: dt.datetime
        level: str
        message: str
        logger: str = ""

    t0 = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    events = [ErrorEvent(event_id="a", timestamp=t0 + dt.timedelta(seconds=2)), ErrorEvent(event_id="b", timestamp=t0 + dt.timedelta(seconds=5))]
    lines = [Line(t0, "info", "request started"), Line(t0 + dt.timedelta(seconds=2), "error", "gateway timeout"),
             Line(t0 + dt.timedelta(seconds=9), "info", "request ended")]
    timeline = merge_timeline(events, lines)
    assert [(i.kind, i.event.event_id if i.event else i.log.message) for i in timeline] == [
        ("log", "request started"), ("event", "a"), ("log", "gateway timeout"), ("event", "b"), ("log", "request ended")]


def test_an_unknown_trace_is_an_empty_page_and_another_projects_a_404(client, alice, traced, other_project):
    client.force_login(alice)
    response = client.get(f"/projects/{traced.id}/traces/{'0' * 32}/")
    assert response.status_code == 200 and "Nothing of this trace is stored" in response.content.decode()
    assert client.get(f"/projects/{other_project.id}/traces/{TRACE}/").status_code == 404
    assert client.get(f"/projects/{traced.id}/traces/{'a' * 65}/").status_code == 400


def test_trace_ids_an_sdk_made_up_are_shown_escaped_and_still_link(client, alice, project, redis_client):
    odd = "<b>x</b>/y?z"
    push(project, redis_client, [crash(contexts={"trace": {"trace_id": odd}})])
    client.force_login(alice)
    page = trace_page(project, odd)
    assert page.events == 1
    response = client.get(f"/projects/{project.id}/traces/%3Cb%3Ex%3C/b%3E/y%3Fz/")
    assert response.status_code == 200
    assert "&lt;b&gt;x&lt;/b&gt;/y?z" in response.content.decode()
    group = ErrorEvent.objects.get(trace_id=odd).group
    assert f'href="/projects/{project.id}/traces/%3Cb%3Ex%3C/b%3E/y%3Fz/"' in client.get(f"/groups/{group.id}/").content.decode()
