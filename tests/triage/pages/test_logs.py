"""The logs page (/logs/), its live tail's fetch (/logs/lines/), and the group page's logs tab:
trace lines, the service's lines around the error, links to groups, counts, and escaping."""

import datetime as dt

import pytest

from tests.triage.helpers import crash, push
from tests.triage.logs.helpers import make_line, store_lines
from triage.logs.query import Cursor
from triage.models import ErrorEvent, ErrorGroup

pytestmark = pytest.mark.django_db
TRACE = "7" * 32
XSS = "<script>alert('x')</script>"


def error_in_trace(project, redis_client, at: dt.datetime) -> ErrorGroup:
    event = crash("charge", "shop.pay", "CardDeclined", contexts={"trace": {"trace_id": TRACE}},
                  server_name="web-1", timestamp=at.isoformat())
    push(project, redis_client, [event])
    return ErrorGroup.objects.get(project=project)


def test_the_logs_page_filters_by_the_url_escapes_lines_and_links_lines_to_their_group(client, alice, project, redis_client):
    group = error_in_trace(project, redis_client, dt.datetime.now(dt.UTC))
    store_lines([make_line(project, message=f"declined {XSS}", level="error", trace_id=TRACE),
                 make_line(project, message="cart saved", level="info")])
    client.force_login(alice)
    html = client.get("/logs/", {"project": project.id, "level": "error"}).content.decode()
    assert "declined &lt;script&gt;" in html and XSS not in html
    assert "cart saved" not in html
    assert f'href="/groups/{group.id}/"' in html and 'class="log-level level-error"' in html
    assert client.get("/logs/", {"project": project.id}).content.decode().count('<tr class="log-line') == 2


def test_bad_filters_are_a_400_and_other_projects_a_404(client, alice, charlie, project):
    client.force_login(alice)
    assert client.get("/logs/", {"project": project.id, "trace_id": "nope"}).status_code == 400
    client.force_login(charlie)
    assert client.get("/logs/", {"project": project.id}).status_code == 404
    assert client.get("/logs/lines/", {"project": project.id}).status_code == 404


def test_the_live_tails_fetch_answers_only_lines_newer_than_the_pages_newest(client, alice, project):
    now = dt.datetime.now(dt.UTC)
    [shown] = store_lines([make_line(project, message="on the page", timestamp=now)])
    store_lines([make_line(project, message="new one", timestamp=now + dt.timedelta(seconds=1)),
                 make_line(project, message="new but filtered out", level="debug", timestamp=now + dt.timedelta(seconds=2))])
    client.force_login(alice)
    body = client.get("/logs/lines/", {"project": project.id, "level": "info,warn",
                                       "newer_than": Cursor.of(shown).encode()}).json()
    assert [line["message"] for line in body["lines"]] == ["new one"]
    again = client.get("/logs/lines/", {"project": project.id, "level": "info", "newer_than": body["newest"]}).json()
    assert again["lines"] == [] and again["newest"] == body["newest"]
    assert client.get("/logs/lines/", {"project": project.id, "newer_than": "junk"}).status_code == 400


def test_the_group_page_shows_the_events_trace_its_service_around_it_and_its_log_count(client, alice, project, redis_client):
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
    group = error_in_trace(project, redis_client, at)
    store_lines([make_line(project, message=f"step {i} of the checkout", trace_id=TRACE, service="web-1",
                           timestamp=at - dt.timedelta(seconds=3 - i)) for i in range(3)]
                + [make_line(project, message="after the error on web-1", service="web-1", timestamp=at + dt.timedelta(seconds=2)),
                   make_line(project, message="another service", service="worker-1", timestamp=at)])
    client.force_login(alice)
    html = client.get(f"/groups/{group.id}/").content.decode()
    trace_part = html.split('class="list compact logs-table trace-logs"')[1].split("</table>")[0]
    assert [f"step {i} of the checkout" in trace_part for i in range(3)] == [True] * 3
    around = html.split('class="list compact logs-table around-logs"')[1].split("</table>")[0]
    before, after = around.split('class="event-marker"')
    assert "step 2 of the checkout" in before and "after the error on web-1" in after
    assert "another service" not in html
    assert '<a href="#logs">3 log lines</a> in its trace' in html
    assert ErrorEvent.objects.get().trace_id == TRACE
