"""REST API of issue 14: prerequisites and weights on flags, segments, schedules, the approval
policy and requests; 400 with a message for bad input, 409 for a change held for approval."""

import json

import pytest

from flags import approvals, policy
from flags.models import (
    ApprovalRequest,
    ApprovalStatus,
    FlagChange,
    FlagEnvironment,
    Schedule,
    ScheduleStatus,
)
from projects.tokens import create_token
from tests.factories import grant
from tests.flags.factories import make_flag


@pytest.fixture
def token(alice):
    grant(alice, "flags.add_flag", "flags.change_flag", "flags.add_segment", "flags.change_segment",
          "flags.delete_segment", "projects.change_project")
    return create_token(alice)


@pytest.fixture
def bob_token(bob):
    grant(bob, "flags.change_flag")
    return create_token(bob)


def call(client, method, path, token=None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(path, data=data, content_type="application/json", **headers)


def api(project, rest=""):
    return f"/api/0/projects/{project.id}/{rest}"


def test_prerequisites_and_weights_go_through_patch_and_come_back(client, project, token):
    make_flag(project, "new-checkout")
    make_flag(project, "copy", value_type="string", variants={"a": "A", "b": "B", "off": ""})
    body = {"prerequisites": [{"key": "new-checkout", "variants": ["on"]}],
            "environments": {"production": {"weights": {"a": 50, "b": 50}}}}
    flag = call(client, "patch", api(project, "flags/copy/"), token, body).json()
    assert flag["prerequisites"] == [{"key": "new-checkout", "variants": ["on"]}]
    assert flag["environments"]["production"]["weights"] == {"a": 50, "b": 50}
    assert call(client, "get", api(project, "flags/new-checkout/"), token).json()["dependants"] == ["copy"]


def test_bad_prerequisites_and_weights_are_400_with_a_message(client, project, token):
    make_flag(project, "copy", value_type="string", variants={"a": "A", "b": "B", "off": ""})
    cycle = call(client, "patch", api(project, "flags/copy/"), token, {"prerequisites": [{"key": "copy", "variants": ["a"]}]})
    weights = call(client, "patch", api(project, "flags/copy/"), token, {"environments": {"production": {"weights": {"a": 90}}}})
    boolean = call(client, "patch", api(project, "flags/copy/"), token, {"prerequisites": "nope"})
    assert (cycle.status_code, weights.status_code, boolean.status_code) == (400, 400, 400)
    assert "own prerequisite" in cycle.json()["detail"] and "add up to 100" in weights.json()["detail"]


def test_segments_crud_is_audited_and_guarded_by_permissions(client, project, token, bob):
    created = call(client, "post", api(project, "segments/"), token,
                   {"key": "beta", "name": "Beta", "included": ["vip"], "reason": "beta program"})
    assert created.status_code == 201 and created.json()["used_by"] == []
    changed = call(client, "patch", api(project, "segments/beta/"), token, {"excluded": ["banned"], "reason": "abuse"})
    assert changed.json()["excluded"] == ["banned"]
    assert call(client, "get", api(project, "segments/"), token).json()["results"][0]["key"] == "beta"
    assert call(client, "patch", api(project, "segments/beta/"), create_token(bob), {"name": "x"}).status_code == 403
    assert call(client, "post", api(project, "segments/"), token, {"key": "bad key"}).status_code == 400
    assert call(client, "delete", api(project, "segments/beta/"), token).json() == {"deleted": "beta"}
    assert list(FlagChange.objects.filter(segment_key="beta").values_list("action", flat=True).order_by("id")) == [
        "segment_created", "segment_updated", "segment_deleted"]
    assert call(client, "get", api(project, "segments/beta/"), token).status_code == 404


def test_a_progressive_rollout_is_scheduled_and_cancelled_over_the_api(client, project, token):
    make_flag(project, "new-checkout", environments={})
    made = call(client, "post", api(project, "flags/new-checkout/schedules/"), token, {
        "environment": "production", "percentages": [1, 5, 25, 100], "every_minutes": 60,
        "start_at": "2030-01-01T09:00:00Z", "reason": "ship it"})
    assert made.status_code == 201
    data = made.json()
    assert (data["status"], data["next_at"], len(data["steps"])) == ("scheduled", "2030-01-01T09:00:00+00:00", 4)
    listed = call(client, "get", api(project, "flags/new-checkout/schedules/"), token).json()["results"]
    assert [s["id"] for s in listed] == [data["id"]]
    paused = call(client, "post", api(project, f"flags/new-checkout/schedules/{data['id']}/pause/"), token, {"reason": "wait"})
    assert (paused.json()["status"], paused.json()["status_reason"]) == ("paused", "wait")
    cancelled = call(client, "post", api(project, f"flags/new-checkout/schedules/{data['id']}/cancel/"), token, {})
    assert cancelled.json()["status"] == "cancelled"
    again = call(client, "post", api(project, f"flags/new-checkout/schedules/{data['id']}/resume/"), token, {})
    assert again.status_code == 400 and "not paused" in again.json()["detail"]


@pytest.mark.parametrize("body, message", [
    ({"environment": "production", "reason": "x", "start_at": "tomorrow", "steps": [{"changes": {"enabled": True}}]}, "ISO 8601"),
    ({"environment": "production", "reason": "x", "percentages": [1, 5]}, "every_minutes"),
    ({"environment": "production", "reason": "x", "steps": "on"}, "non-empty list"),
])
def test_bad_schedules_are_400_with_a_message(client, project, token, body, message):
    make_flag(project, "new-checkout", environments={})
    response = call(client, "post", api(project, "flags/new-checkout/schedules/"), token, body)
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not Schedule.objects.exists()


def test_a_held_change_is_409_then_requested_and_approved_by_a_second_member(client, project, token, bob_token, alice):
    assert call(client, "put", api(project, "flag-policy/"), token, {"approval_environments": ["production"]}).json() == {
        "approval_environments": ["production"]}
    make_flag(project, "new-checkout", environments={})
    held = call(client, "post", api(project, "flags/new-checkout/enable/"), bob_token,
                {"environment": "production", "reason": "launch"})
    assert held.status_code == 409
    assert (held.json()["approval_required"], held.json()["widening"]) == (True, ["turns it on"])

    asked = call(client, "post", api(project, "flags/new-checkout/approval-requests/"), bob_token,
                 {"environment": "production", "changes": {"enabled": True}, "reason": "launch"})
    assert asked.status_code == 201
    request_id = asked.json()["id"]
    detail = call(client, "get", api(project, f"approval-requests/{request_id}/"), token).json()
    assert (detail["before"]["enabled"], detail["after"]["enabled"]) == (False, True)
    assert isinstance(detail["error_evidence"], list)
    own = call(client, "post", api(project, f"approval-requests/{request_id}/approve/"), bob_token, {})
    assert own.status_code == 400 and "second member" in own.json()["detail"]
    approved = call(client, "post", api(project, f"approval-requests/{request_id}/approve/"), token, {"comment": "go"})
    assert approved.json()["status"] == "applied"
    assert FlagEnvironment.objects.get(flag__key="new-checkout", environment="production").enabled
    pending = call(client, "get", api(project, "approval-requests/?status=pending"), token).json()["results"]
    assert pending == []


def test_disabling_is_never_409(client, project, token, alice):
    make_flag(project, "new-checkout")
    policy.set_approval_environments(project, ["production"], actor=alice, source="api")
    response = call(client, "post", api(project, "flags/new-checkout/disable/"), token,
                    {"environment": "production", "reason": "errors"})
    assert response.status_code == 200 and response.json()["changed"] is True


def test_requests_of_another_project_are_404_and_the_policy_needs_project_change(client, project, alice, bob, charlie):
    policy.set_approval_environments(project, ["production"], actor=alice, source="api")
    flag = make_flag(project, "new-checkout", environments={})
    held = approvals.request_change(flag, "production", {"enabled": True}, actor=alice, reason="x", source="api")
    grant(charlie, "flags.change_flag", "projects.change_project")
    outsider = create_token(charlie)
    assert call(client, "get", api(project, f"approval-requests/{held.id}/"), outsider).status_code == 404
    assert call(client, "post", api(project, f"approval-requests/{held.id}/approve/"), outsider, {}).status_code == 404
    assert call(client, "put", api(project, "flag-policy/"), create_token(bob), {"approval_environments": []}).status_code == 403
    assert ApprovalRequest.objects.get().status == ApprovalStatus.PENDING


def test_cancel_and_reject_over_the_api(client, project, token, bob_token, alice):
    policy.set_approval_environments(project, ["production"], actor=alice, source="api")
    flag = make_flag(project, "new-checkout", environments={})
    first = approvals.request_change(flag, "production", {"enabled": True}, actor=alice, reason="x", source="api")
    assert call(client, "post", api(project, f"approval-requests/{first.id}/reject/"), bob_token,
                {"comment": "not now"}).json()["status"] == "rejected"
    second = approvals.request_change(flag, "production", {"enabled": True}, actor=alice, reason="y", source="api")
    assert call(client, "post", api(project, f"approval-requests/{second.id}/cancel/"), bob_token, {}).status_code == 400
    assert call(client, "post", api(project, f"approval-requests/{second.id}/cancel/"), token, {}).json()["status"] == "cancelled"
    assert call(client, "post", api(project, f"approval-requests/{second.id}/bogus/"), token, {}).status_code == 404


def test_a_widening_schedule_answers_pending_approval(client, project, token, alice):
    policy.set_approval_environments(project, ["production"], actor=alice, source="api")
    make_flag(project, "new-checkout", environments={})
    made = call(client, "post", api(project, "flags/new-checkout/schedules/"), token, {
        "environment": "production", "steps": [{"changes": {"enabled": True}}], "reason": "launch"}).json()
    assert made["status"] == ScheduleStatus.PENDING_APPROVAL
    assert ApprovalRequest.objects.get().schedule_id == made["id"]
