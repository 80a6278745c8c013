"""The group detail page: the event with its stack trace, flags beside the chart, why grouped,
triage controls, and what a user outside the project or without permissions sees."""

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import grant, make_event
from tests.triage.helpers import crash, old_payloads, push, spike, store_old_payload
from triage import actions
from triage.models import ErrorEvent, ErrorGroup

pytestmark = pytest.mark.django_db
PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "fingerprint"
XSS = "<script>alert('x')</script>"


def page(client, group, **params):
    response = client.get(f"/groups/{group.id}/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_shows_the_latest_event_with_chained_exceptions_and_in_app_frames(client, alice, project, redis_client):
    event = json.loads((PAYLOADS / "chain_config_json_a.json").read_text())
    push(project, redis_client, [{**event, "event_id": "a" * 32}])
    group = ErrorGroup.objects.get(project=project)
    client.force_login(alice)
    html = page(client, group)
    shown = html.split('<span class="exc-type">')[1:]
    assert [part.split("<")[0] for part in shown] == ["ConfigError", "JSONDecodeError"]
    assert "chained to the exception above" in shown[0]  # printed between the two
    assert html.count('class="frame in-app"') == 3 and html.count('class="frame system"') == 4
    assert "return json.loads(raw)" in html  # context lines
    assert '<tr class="current"><td class="ln">7</td>' in html


def test_another_event_can_be_selected_and_paged_through(client, alice, project, redis_client):
    push(project, redis_client, [make_event(release="shop@1.4.0"), make_event(release="shop@1.5.0")])
    group = ErrorGroup.objects.get(project=project)
    older, newer = ErrorEvent.objects.filter(group=group).order_by("received_at", "id")
    client.force_login(alice)
    response = client.get(f"/groups/{group.id}/", {"event": older.event_id})
    assert response.context["event"] == older
    assert response.context["newer"].event_id == newer.event_id and response.context["older"] is None


def test_tags_user_and_environment_are_shown(client, alice, project, redis_client):
    push(project, redis_client, [make_event(tags={"tenant": "globex"}, user={"id": "u-9", "email": "zoe@example.com"}, environment="staging")])
    client.force_login(alice)
    html = page(client, ErrorGroup.objects.get(project=project))
    assert "globex" in html and "zoe@example.com" in html and "staging" in html


def test_html_in_event_data_is_shown_escaped(client, alice, project, redis_client):
    event = make_event(
        message=XSS, tags={"tenant": XSS}, user={"id": XSS}, environment="prod",
        contexts={"flags": {"values": [{"flag": "<b>flag</b>", "result": True}]}, "runtime": {"name": XSS}},
        exception={"values": [{"type": "ValueError", "value": XSS, "stacktrace": {"frames": [
            {"filename": "<img src=x onerror=alert(1)>.py", "function": "<svg onload=alert(2)>", "module": "shop", "lineno": 3,
             "in_app": True, "pre_context": [XSS], "context_line": XSS, "post_context": [], "vars": {XSS: XSS}},
        ]}}]},
    )
    push(project, redis_client, [event])
    group = ErrorGroup.objects.get(project=project)
    client.force_login(alice)
    for html in (page(client, group), client.get("/groups/").content.decode()):
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html and "<b>flag" not in html
    html = page(client, group)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;svg onload=alert(2)&gt;" in html


def test_flags_of_its_events_are_listed_with_their_share(client, alice, project, redis_client):
    push(project, redis_client, [make_event(contexts={"flags": {"values": [{"flag": "new-checkout", "result": i < 3}]}}) for i in range(4)])
    client.force_login(alice)
    response = client.get(f"/groups/{ErrorGroup.objects.get(project=project).id}/")
    (row,) = response.context["flag_rows"]
    assert row.key == "new-checkout" and {(v.value, v.share) for v in row.values} == {("true", 0.75), ("false", 0.25)}
    assert "Not managed by Switchyard" in response.content.decode()


def test_a_user_with_the_flag_permission_gets_a_disable_button_beside_the_chart(client, triager, project, redis_client, demo_flags):
    group = spike(project, redis_client, 12)
    client.force_login(triager)
    html = page(client, group)
    assert "Disable new-checkout in production" in html
    assert f'action="/flag-errors/{project.id}/disable/"' in html and 'name="reason" required' in html


def test_a_user_without_the_flag_permission_sees_no_disable_button(client, bob, project, redis_client, demo_flags):
    group = spike(project, redis_client, 12)
    client.force_login(grant(bob, "triage.change_errorgroup"))
    html = page(client, group)
    assert "Disable new-checkout" not in html and "/disable/" not in html
    assert "on in production" in html


def test_a_user_without_the_triage_permission_sees_no_triage_buttons(client, bob, project, redis_client):
    push(project, redis_client, [make_event()])
    client.force_login(bob)
    html = page(client, ErrorGroup.objects.get(project=project))
    assert "/resolve/" not in html and "/assign/" not in html


def test_why_grouped_lists_the_fingerprint_components(client, alice, project, redis_client):
    push(project, redis_client, [crash("price", "shop.pricing", "ValueError")])
    client.force_login(alice)
    html = page(client, ErrorGroup.objects.get(project=project))
    assert "Why grouped" in html and "Decided by <code>switchyard-v2</code>" in html
    assert "exception-type" in html and "shop.pricing in price" in html


def test_a_regressed_group_says_so(client, alice, project, redis_client):
    push(project, redis_client, [make_event(release="shop@1.0.0")])
    actions.resolve(ErrorGroup.objects.get(project=project), actor=alice, now=timezone.now())
    push(project, redis_client, [make_event(release="shop@1.1.0")])
    assert ErrorGroup.objects.get(project=project).substatus == "regressed"
    client.force_login(alice)
    assert "Regressed" in page(client, ErrorGroup.objects.get(project=project))


def test_another_projects_group_is_not_found(client, alice, other_project):
    client.force_login(alice)
    group = ErrorGroup.objects.get(project=other_project)
    assert client.get(f"/groups/{group.id}/").status_code == 404
    assert client.get(f"/groups/{group.id}/chart/").status_code == 404


def detail_queries(client, group) -> int:
    page(client, group)  # fills the per-minute caches: then every request costs the same
    with CaptureQueriesContext(connection) as queries:
        page(client, group)
    return len(queries)


def test_the_detail_page_costs_the_same_queries_with_more_events_releases_and_flags(client, triager, project, redis_client, demo_flags):
    flags = {"values": [{"flag": "new-checkout", "result": True}]}
    push(project, redis_client, [make_event(release="shop@1.0.0", contexts={"flags": flags})])
    group = ErrorGroup.objects.get(project=project)
    client.force_login(triager)
    few = detail_queries(client, group)
    many_flags = {"values": [{"flag": f"f{i}", "result": i % 2 == 0} for i in range(8)] + flags["values"]}
    push(project, redis_client, [make_event(release=f"shop@1.{i}.0", environment=f"env{i}", contexts={"flags": many_flags}) for i in range(20)])
    assert detail_queries(client, group) == few


@pytest.mark.parametrize("name", list(old_payloads()))
def test_events_stored_with_deep_nesting_or_lone_surrogates_still_render(client, alice, project, redis_client, name):
    push(project, redis_client, [make_event(message="checkout failed")])
    group = ErrorGroup.objects.get(project=project)
    store_old_payload(group, old_payloads()[name])
    client.force_login(alice)
    html = page(client, group)
    assert "bad price 12 for order ord-1" in html  # the exception is still shown
    if name.startswith("lone surrogate in"):  # shown fields; the other payloads carry theirs in extra
        assert "\ufffd" in html
