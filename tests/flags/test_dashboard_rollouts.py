"""Dashboard pages of issue 14: prerequisites both ways on a flag's page, weighted variants,
segments, schedules, and approvals (held changes become requests a second member reviews)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from flags import approvals, policy, segments
from flags.models import (
    ApprovalRequest,
    ApprovalStatus,
    FlagChange,
    FlagEnvironment,
    Schedule,
    ScheduleStatus,
)
from tests.factories import grant
from tests.flags.factories import make_flag


@pytest.fixture
def logged_in(client, alice):
    grant(alice, "flags.add_flag", "flags.change_flag", "flags.add_segment", "flags.change_segment",
          "flags.delete_segment", "projects.change_project")
    client.force_login(alice)
    return client


def url(name, project, **kwargs):
    return reverse(f"flags:{name}", kwargs={"project_id": project.id, **kwargs})


def test_a_flags_page_shows_what_it_needs_and_what_needs_it_and_where_a_kill_turns_it_off(logged_in, project, alice):
    make_flag(project, "new-checkout", environments={"production": {"enabled": False}})
    make_flag(project, "tax", prerequisites=[{"key": "new-checkout", "variants": ["on"]}])
    tax_page = logged_in.get(url("flag_detail", project, key="tax")).content.decode()
    assert "Requires:" in tax_page and f'href="/projects/{project.id}/flags/new-checkout/"' in tax_page
    assert "Off for everyone here while <code>new-checkout</code> is off in production" in tax_page
    checkout_page = logged_in.get(url("flag_detail", project, key="new-checkout")).content.decode()
    assert "Required by:" in checkout_page and f'href="/projects/{project.id}/flags/tax/"' in checkout_page


def test_prerequisites_are_saved_from_the_page_and_a_cycle_is_refused_there(logged_in, project):
    make_flag(project, "new-checkout")
    make_flag(project, "tax", prerequisites=[{"key": "new-checkout", "variants": ["on"]}])
    response = logged_in.post(url("prerequisites_update", project, key="new-checkout"),
                              {"prerequisites": "tax: on", "reason": "loop"}, follow=True)
    assert "cannot form a cycle" in response.content.decode()
    logged_in.post(url("prerequisites_update", project, key="tax"), {"prerequisites": "", "reason": "standalone"})
    assert FlagChange.objects.filter(flag_key="tax", action="updated").get().after["prerequisites"] == []


def test_weights_are_set_and_shown_on_the_environment_card(logged_in, project):
    make_flag(project, "copy", value_type="string", variants={"a": "A", "b": "B", "c": "C", "off": ""})
    form = {"environment": "production", "default_variant": "a", "rollout_percentage": "100",
            "weights": '{"a": 45, "b": 45, "c": 10}', "rules": "", "allow_keys": "", "deny_keys": "", "guard": "off"}
    logged_in.post(url("environment_update", project, key="copy"), form)
    state = FlagEnvironment.objects.get(flag__key="copy", environment="production")
    assert state.weights == {"a": 45, "b": 45, "c": 10} and state.allocation[0] == [0, 4500, "a"]
    assert "Split by weight: a 45 % · b 45 % · c 10 %" in logged_in.get(url("flag_detail", project, key="copy")).content.decode()


def test_segments_are_created_edited_and_listed_with_the_flags_using_them(logged_in, project):
    logged_in.post(url("segment_create", project), {"key": "beta", "name": "Beta", "included": "vip\nceo",
                                                   "rules": '[{"conditions": [{"attribute": "plan", "op": "in", "value": ["pro"]}]}]'})
    make_flag(project, "search-v2", environments={"production": {"enabled": True, "rules": [
        {"conditions": [{"op": "in_segment", "value": ["beta"]}], "variant": "on"}]}})
    page = logged_in.get(url("segment_detail", project, key="beta")).content.decode()
    assert "<code>vip</code>" in page and "search-v2" in page and "segment_created" in page
    logged_in.post(url("segment_update", project, key="beta"), {"name": "Beta", "included": "vip", "rules": "",
                                                               "reason": "ceo left"})
    assert FlagChange.objects.get(action="segment_updated").reason == "ceo left"
    response = logged_in.post(url("segment_delete", project, key="beta"), follow=True)
    assert "used by search-v2 (production)" in response.content.decode()
    assert "beta" in logged_in.get(url("segment_list", project)).content.decode()


def test_a_progressive_rollout_is_scheduled_paused_and_resumed_from_the_page(logged_in, project):
    make_flag(project, "new-checkout", environments={})
    start = (timezone.localtime() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    logged_in.post(url("schedule_create", project, key="new-checkout"), {
        "environment": "production", "start_at": start, "percentages": "1, 5, 25, 100", "every_minutes": "30",
        "reason": "ship it"})
    schedule = Schedule.objects.get()
    assert [s["changes"] for s in schedule.steps] == [{"enabled": True, "rollout_percentage": 1}, {"rollout_percentage": 5},
                                                      {"rollout_percentage": 25}, {"rollout_percentage": 100}]
    page = logged_in.get(url("flag_detail", project, key="new-checkout")).content.decode()
    assert "on, 1 %" in page and "after 30 min" in page
    logged_in.post(url("schedule_action", project, key="new-checkout", schedule_id=schedule.id, action="pause"))
    assert Schedule.objects.get().status == ScheduleStatus.PAUSED
    logged_in.post(url("schedule_action", project, key="new-checkout", schedule_id=schedule.id, action="resume"))
    assert Schedule.objects.get().status == ScheduleStatus.SCHEDULED


def test_turn_on_at_a_time_without_percentages_is_one_step(logged_in, project):
    make_flag(project, "new-checkout", environments={})
    logged_in.post(url("schedule_create", project, key="new-checkout"), {
        "environment": "staging", "start_at": "2030-01-01T09:00", "percentages": "", "reason": "launch day"})
    assert Schedule.objects.get().steps == [{"changes": {"enabled": True}, "wait_minutes": 0}]


def test_enabling_where_approval_is_required_makes_a_request_a_second_member_approves(
        logged_in, client, project, alice, bob):
    policy.set_approval_environments(project, ["production"], actor=alice, source="dashboard")
    make_flag(project, "new-checkout", environments={})
    response = logged_in.post(url("flag_enable", project, key="new-checkout"),
                              {"environment": "production", "reason": "launch"}, follow=True)
    held = ApprovalRequest.objects.get()
    assert response.redirect_chain[-1][0] == url("approval_detail", project, request_id=held.id)
    html = response.content.decode()
    assert "Held for approval" in html and "A second member must approve" in html and "Approve and apply" not in html
    assert not FlagEnvironment.objects.get(flag__key="new-checkout", environment="production").enabled

    grant(bob, "flags.change_flag")
    client.force_login(bob)
    page = client.get(url("approval_detail", project, request_id=held.id)).content.decode()
    assert "turns it on" in page and "Approve and apply" in page and "enabled" in page
    client.post(url("approval_action", project, request_id=held.id, action="approve"), {"comment": "ok"})
    assert FlagEnvironment.objects.get(flag__key="new-checkout", environment="production").enabled
    assert ApprovalRequest.objects.get().status == ApprovalStatus.APPLIED


def test_the_approvals_page_lists_requests_and_sets_the_policy(logged_in, project, alice, bob):
    logged_in.post(url("approval_policy", project), {"environments": ["production", "staging"], "reason": "SOC 2"})
    assert policy.approval_environments(project.id) == ["production", "staging"]
    flag = make_flag(project, "new-checkout", environments={})
    approvals.request_change(flag, "staging", {"enabled": True}, actor=bob, reason="try", source="api")
    page = logged_in.get(url("approval_list", project)).content.decode()
    assert "new-checkout" in page and "turns it on" in page and 'class="badge pending">1<' in page


def test_review_needs_the_change_permission_and_the_policy_needs_project_change(client, project, alice, bob):
    policy.set_approval_environments(project, ["production"], actor=alice, source="dashboard")
    flag = make_flag(project, "new-checkout", environments={})
    held = approvals.request_change(flag, "production", {"enabled": True}, actor=alice, reason="x", source="api")
    client.force_login(bob)  # a member without flags.change_flag
    assert client.post(url("approval_action", project, request_id=held.id, action="approve")).status_code == 403
    assert client.post(url("approval_policy", project), {"environments": []}).status_code == 403
    assert client.get(url("approval_action", project, request_id=held.id, action="approve")).status_code == 405
    assert ApprovalRequest.objects.get().status == ApprovalStatus.PENDING


def test_other_users_get_404_for_segments_and_requests(client, project, alice, charlie):
    segments.create_segment(project, key="beta", actor=alice, source="api")
    grant(charlie, "flags.change_flag", "flags.change_segment")
    client.force_login(charlie)
    assert client.get(url("segment_detail", project, key="beta")).status_code == 404
    assert client.get(url("approval_list", project)).status_code == 404
    assert client.post(url("segment_update", project, key="beta"), {"name": "x"}).status_code == 404
