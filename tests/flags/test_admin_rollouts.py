"""The admin of issue 14: segments, schedules, approval requests and the policy go through their
domain functions (audited); held or invalid changes are form errors, never a 500."""

import datetime as dt

import pytest

from flags import approvals, policy, schedules, segments
from flags.models import (
    ApprovalRequest,
    ApprovalStatus,
    FlagChange,
    FlagEnvironment,
    Schedule,
    ScheduleStatus,
    Segment,
)
from tests.flags.factories import admin_change_form, make_flag


@pytest.fixture
def admin_client(client, django_user_model, project):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    project.members.add(admin)
    client.force_login(admin)
    client.admin = admin
    return client


def test_a_segment_added_and_edited_in_the_admin_is_audited(admin_client, project):
    response = admin_client.post("/admin/flags/segment/add/", {
        "project": project.id, "key": "beta", "name": "Beta", "description": "", "included": '["vip"]',
        "excluded": "[]", "rules": "[]"})
    assert response.status_code == 302
    segment = Segment.objects.get(key="beta")
    admin_client.post(f"/admin/flags/segment/{segment.pk}/change/", {
        "name": "Beta", "description": "", "included": '["vip", "ceo"]', "excluded": "[]", "rules": "[]"})
    assert list(FlagChange.objects.filter(segment_key="beta").values_list("action", "source").order_by("id")) == [
        ("segment_created", "admin"), ("segment_updated", "admin")]


def test_a_bad_segment_is_a_form_error(admin_client, project):
    response = admin_client.post("/admin/flags/segment/add/", {
        "project": project.id, "key": "beta", "name": "Beta", "included": '"vip"', "excluded": "[]", "rules": "[]"})
    assert response.status_code == 200 and "included must be a list" in response.content.decode()


def test_a_segment_in_use_cannot_be_deleted_in_the_admin(admin_client, project, alice):
    segment = segments.create_segment(project, key="beta", actor=alice, source="api", included=["vip"])
    make_flag(project, "search-v2", environments={"production": {"enabled": True, "rules": [
        {"conditions": [{"op": "in_segment", "value": ["beta"]}], "variant": "on"}]}})
    assert admin_client.post(f"/admin/flags/segment/{segment.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_a_prerequisite_cycle_is_a_form_error_in_the_flag_admin(admin_client, project):
    checkout = make_flag(project, "new-checkout")
    make_flag(project, "tax", prerequisites=[{"key": "new-checkout", "variants": ["on"]}])
    data = admin_change_form(checkout, prerequisites='[{"key": "tax", "variants": ["on"]}]')
    response = admin_client.post(f"/admin/flags/flag/{checkout.pk}/change/", data)
    assert response.status_code == 200 and "cannot form a cycle" in response.content.decode()


def test_a_held_widening_in_the_inline_is_a_form_error(admin_client, project, alice):
    flag = make_flag(project, "new-checkout", environments={"production": {"enabled": True, "rollout_percentage": 5}})
    policy.set_approval_environments(project, ["production"], actor=alice, source="api")
    index = [s.environment for s in flag.environments.all()].index("production")
    data = admin_change_form(flag, **{f"environments-{index}-rollout_percentage": "50"})
    response = admin_client.post(f"/admin/flags/flag/{flag.pk}/change/", data)
    assert response.status_code == 200 and "needs a second member" in response.content.decode()
    assert FlagEnvironment.objects.get(flag=flag, environment="production").rollout_percentage == 5


def test_the_enable_action_reports_a_held_flag_and_changes_the_rest(admin_client, project, alice):
    held = make_flag(project, "a", environments={})
    policy.set_approval_environments(project, ["production"], actor=alice, source="api")
    response = admin_client.post("/admin/flags/flag/", {"action": "enable_in_environment", "_selected_action": [held.pk],
                                                        "apply": "1", "environment": "production", "reason": "go"},
                                 follow=True)
    assert any("needs a second member" in str(m) for m in response.context["messages"])
    assert not FlagEnvironment.objects.get(flag=held, environment="production").enabled


def test_approving_in_the_admin_applies_the_request(admin_client, project, bob, alice):
    policy.set_approval_environments(project, ["production"], actor=alice, source="api")
    flag = make_flag(project, "new-checkout", environments={})
    request = approvals.request_change(flag, "production", {"enabled": True}, actor=bob, reason="launch", source="api")
    admin_client.post("/admin/flags/approvalrequest/", {"action": "approve", "_selected_action": [request.pk]})
    assert ApprovalRequest.objects.get().status == ApprovalStatus.APPLIED
    assert FlagEnvironment.objects.get(flag=flag, environment="production").enabled
    assert FlagChange.objects.get(action="approval_approved").source == "admin"


def test_pausing_a_schedule_in_the_admin(admin_client, project, alice):
    flag = make_flag(project, "new-checkout", environments={})
    schedule = schedules.create_schedule(flag, "staging", [{"changes": {"enabled": True}}], actor=alice, source="api",
                                         start_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), reason="launch")
    admin_client.post("/admin/flags/schedule/", {"action": "pause", "_selected_action": [schedule.pk]})
    assert Schedule.objects.get().status == ScheduleStatus.PAUSED
    assert admin_client.get("/admin/flags/schedule/add/").status_code == 403


def test_the_policy_in_the_admin_is_audited(admin_client, project):
    response = admin_client.post("/admin/flags/approvalpolicy/add/", {"project": project.id,
                                                                      "environments": '["production"]'})
    assert response.status_code == 302
    assert policy.approval_environments(project.id) == ["production"]
    assert FlagChange.objects.get(action="approval_policy_changed").source == "admin"
