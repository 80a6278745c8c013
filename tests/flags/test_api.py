"""The flags REST API: bearer tokens, membership, permissions, 400 with a message for bad input."""

import json

import pytest

from flags.models import FlagChange, FlagEnvironment
from projects.tokens import create_token
from tests.factories import grant
from tests.flags.factories import make_flag


@pytest.fixture
def token(alice):
    grant(alice, "flags.add_flag", "flags.change_flag")
    return create_token(alice)


def call(client, method, path, token=None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if body is not None and not isinstance(body, bytes) else body
    return getattr(client, method)(path, data=data, content_type="application/json", **headers)


def base(project):
    return f"/api/0/projects/{project.id}/flags/"


def test_list_shows_the_projects_flags_with_their_states(client, project, token):
    make_flag(project, "new-checkout")
    response = call(client, "get", base(project), token)
    assert response.status_code == 200
    flag = response.json()["results"][0]
    assert (flag["key"], flag["owner"], flag["environments"]["production"]["enabled"]) == ("new-checkout", "alice", True)


def test_create_makes_a_flag_audited_with_source_api(client, project, token, alice):
    body = {"key": "payments/retry-v2", "name": "Retry v2", "owner": "bob", "kind": "ops", "team": "payments",
            "environments": {"staging": {"enabled": True, "rollout_percentage": 25}}, "reason": "INC-7"}
    response = call(client, "post", base(project), token, body)
    assert response.status_code == 201, response.content
    assert response.json()["environments"]["staging"]["rollout_percentage"] == 25
    change = FlagChange.objects.get(flag_key="payments/retry-v2")
    assert (change.source, change.actor, change.action, change.reason) == ("api", alice, "created", "INC-7")


@pytest.mark.parametrize("body, message", [
    ({"key": "bad key!", "owner": "alice"}, "invalid flag key"),
    ({"key": "x"}, "needs an owner"),
    ({"key": "x", "owner": "nobody"}, "no such user"),
    ({"key": "x", "owner": "charlie"}, "not a member"),
    ({"key": "x", "owner": "alice", "kind": "forever"}, "unknown kind"),
    ({"key": "x", "owner": "alice", "value_type": "string", "variants": {"a": 1, "off": "o"}}, "must be a string value"),
    ({"key": "x", "owner": "alice", "environments": {"production": {"rollout_percentage": "lots"}}}, "0 to 100"),
    ({"key": "x", "owner": "alice", "environments": {"production": {"colour": "red"}}}, "unknown state field"),
    ({"key": "x", "owner": "alice", "client_side": "yes"}, "true or false"),
    ({"key": "flags/new", "owner": "alice"}, "reserved"),
])
def test_create_answers_400_with_a_message_for_bad_input(client, project, token, charlie, body, message):
    response = call(client, "post", base(project), token, body)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_create_of_an_existing_key_is_400(client, project, token):
    make_flag(project, "new-checkout")
    response = call(client, "post", base(project), token, {"key": "new-checkout", "owner": "alice"})
    assert (response.status_code, "already exists" in response.json()["detail"]) == (400, True)


def test_malformed_json_body_is_400(client, project, token):
    response = call(client, "post", base(project), token, b"{nope")
    assert (response.status_code, response.json()["detail"]) == (400, "the body is not valid JSON")


def test_get_one_flag_by_a_key_with_slashes(client, project, token):
    make_flag(project, "payments/retry-v2")
    response = call(client, "get", base(project) + "payments/retry-v2/", token)
    assert (response.status_code, response.json()["key"]) == (200, "payments/retry-v2")


def test_patch_changes_state_rollout_and_rules_per_environment(client, project, token):
    make_flag(project, "new-checkout")
    rules = [{"conditions": [{"attribute": "plan", "op": "in", "value": ["pro"]}], "variant": "on"}]
    body = {"environments": {"production": {"rollout_percentage": 20, "rules": rules},
                             "staging": {"enabled": True}}, "reason": "ramp to 20 %", "team": "checkout"}
    response = call(client, "patch", base(project) + "new-checkout/", token, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["team"] == "checkout"
    assert data["environments"]["production"]["rollout_percentage"] == 20
    assert data["environments"]["production"]["rules"][0]["conditions"][0]["value"] == ["pro"]
    assert data["environments"]["staging"]["enabled"] is True
    actions = sorted(FlagChange.objects.filter(flag_key="new-checkout").values_list("action", flat=True))
    assert actions == ["created", "enabled", "state_changed", "updated"]


def test_patch_with_one_bad_environment_changes_nothing(client, project, token):
    make_flag(project, "new-checkout")
    body = {"environments": {"staging": {"enabled": True}, "production": {"default_variant": "purple"}}, "reason": "x"}
    response = call(client, "patch", base(project) + "new-checkout/", token, body)
    assert response.status_code == 400
    assert FlagEnvironment.objects.get(flag__key="new-checkout", environment="staging").enabled is False


def test_patch_that_disables_without_a_reason_is_400(client, project, token):
    make_flag(project, "new-checkout")
    response = call(client, "patch", base(project) + "new-checkout/", token, {"environments": {"production": {"enabled": False}}})
    assert (response.status_code, response.json()["detail"]) == (400, "a reason is required to disable a flag")


def test_disable_endpoint_kills_the_flag_once(client, project, token, alice):
    make_flag(project, "new-checkout")
    path = base(project) + "new-checkout/disable/"
    first = call(client, "post", path, token, {"environment": "production", "reason": "deploy 812 broke checkout"})
    second = call(client, "post", path, token, {"environment": "production", "reason": "again"})
    assert first.json()["changed"] is True and first.json()["change"]["reason"] == "deploy 812 broke checkout"
    assert second.status_code == 200 and second.json() == {"changed": False, "change": None}
    change = FlagChange.objects.get(action="disabled")
    assert (change.actor, change.source) == (alice, "api")


@pytest.mark.parametrize("body, message", [
    ({"reason": "x"}, "environment is required"),
    ({"environment": "production"}, "reason is required"),
    ({"environment": "production", "reason": 5}, "reason must be a string"),
])
def test_disable_endpoint_validates_its_input(client, project, token, body, message):
    make_flag(project, "new-checkout")
    response = call(client, "post", base(project) + "new-checkout/disable/", token, body)
    assert response.status_code == 400 and message in response.json()["detail"]


def test_enable_endpoint_needs_a_reason_too(client, project, token):
    make_flag(project, "new-checkout", environments={})
    path = base(project) + "new-checkout/enable/"
    assert call(client, "post", path, token, {"environment": "production"}).status_code == 400
    assert call(client, "post", path, token, {"environment": "production", "reason": "launch"}).json()["changed"] is True


def test_without_a_token_the_api_answers_401(client, project):
    assert call(client, "get", base(project)).status_code == 401


def test_another_projects_flags_are_404(client, project, charlie):
    make_flag(project, "new-checkout")
    grant(charlie, "flags.change_flag", "flags.add_flag")
    token = create_token(charlie)
    assert call(client, "get", base(project), token).status_code == 404
    assert call(client, "get", base(project) + "new-checkout/", token).status_code == 404
    assert call(client, "post", base(project) + "new-checkout/disable/", token,
                {"environment": "production", "reason": "x"}).status_code == 404
    assert FlagEnvironment.objects.get(flag__key="new-checkout", environment="production").enabled


def test_member_without_the_permission_may_read_but_not_change(client, project, bob):
    make_flag(project, "new-checkout")
    token = create_token(bob)
    assert call(client, "get", base(project) + "new-checkout/", token).status_code == 200
    response = call(client, "post", base(project) + "new-checkout/disable/", token, {"environment": "production", "reason": "x"})
    assert (response.status_code, response.json()["detail"]) == (403, "needs the flags.change_flag permission")
    assert call(client, "post", base(project), token, {"key": "x", "owner": "bob"}).status_code == 403


def test_audit_log_is_exported_as_json(client, project, token):
    make_flag(project, "new-checkout")
    make_flag(project, "dark-mode")
    response = call(client, "get", f"/api/0/projects/{project.id}/flag-changes/?flag=dark-mode", token)
    rows = response.json()["results"]
    assert [(r["flag"], r["action"], r["actor"]) for r in rows] == [("dark-mode", "created", "alice")]
