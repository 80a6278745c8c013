"""The OFREP endpoints in-process: answers the real client can read, every error as JSON, and
no database query on the hot path."""

import json
import time

import pytest

from flags import cache, changes, exposures, sdk_keys
from flags.exposures import exposure_counts, minute_of_epoch
from tests.conftest import delete_own_keys
from tests.flags.factories import make_flag, make_sdk_key

URL = "/ofrep/v1/evaluate/flags/"
BULK = "/ofrep/v1/evaluate/flags"


@pytest.fixture
def sdk(project):
    return make_sdk_key(project, "production")


def post(client, path, body, key=None, **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", **headers)


def test_single_evaluation_answers_key_value_reason_variant_and_metadata(client, project, sdk):
    make_flag(project, "new-checkout")
    response = post(client, URL + "new-checkout", {"context": {"targetingKey": "u1"}}, sdk)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "key": "new-checkout", "value": True, "reason": "STATIC", "variant": "on",
        "metadata": {"owner": "alice", "kind": "release", "environment": "production"},
    }


def test_killed_flag_answers_its_off_value_with_reason_disabled(client, project, sdk, alice):
    flag = make_flag(project, "new-checkout")
    changes.disable_flag(flag, "production", actor=alice, reason="errors", source="api")
    body = post(client, URL + "new-checkout", {"context": {"targetingKey": "u1"}}, sdk).json()
    assert (body["value"], body["reason"], body["variant"]) == (False, "DISABLED", "off")


def test_key_with_slashes_is_routed_to_the_flag(client, project, sdk):
    make_flag(project, "payments/retry-v2")
    response = post(client, URL + "payments/retry-v2", {"context": {}}, sdk)
    assert response.status_code == 200
    assert response.json()["key"] == "payments/retry-v2"


@pytest.mark.parametrize("body", [{}, {"context": {}}, b"", {"context": None}])
def test_request_without_targeting_key_evaluates_a_flag_that_needs_none(client, project, sdk, body):
    make_flag(project, "new-checkout")
    response = post(client, URL + "new-checkout", body, sdk)
    assert (response.status_code, response.json()["value"]) == (200, True)


def test_unknown_flag_is_404_flag_not_found_in_json(client, project, sdk):
    response = post(client, URL + "nope", {"context": {}}, sdk)
    assert response.status_code == 404
    assert response.json()["key"] == "nope"
    assert response.json()["errorCode"] == "FLAG_NOT_FOUND"
    assert "nope" in response.json()["errorDetails"]


def test_split_flag_without_targeting_key_is_400_targeting_key_missing(client, project, sdk):
    make_flag(project, "dark-mode", environments={"production": {"enabled": True, "rollout_percentage": 50}})
    response = post(client, URL + "dark-mode", {"context": {"plan": "pro"}}, sdk)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "TARGETING_KEY_MISSING"


def test_malformed_json_is_400_parse_error(client, project, sdk):
    make_flag(project, "new-checkout")
    response = post(client, URL + "new-checkout", b'{"context": {', sdk)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "PARSE_ERROR"


@pytest.mark.parametrize("body", [[1, 2], {"context": "user-1"}, {"context": {"targetingKey": 42}}])
def test_context_of_the_wrong_shape_is_400_invalid_context(client, project, sdk, body):
    make_flag(project, "new-checkout")
    response = post(client, URL + "new-checkout", body, sdk)
    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_CONTEXT")


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer sysrv_wrong"}, {"HTTP_AUTHORIZATION": "Basic eDp5"}])
def test_missing_or_wrong_key_is_401_with_a_json_body(client, project, headers):
    make_flag(project, "new-checkout")
    response = client.post(URL + "new-checkout", data="{}", content_type="application/json", **headers)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "GENERAL"


def test_key_in_x_api_key_header_is_accepted(client, project, sdk):
    make_flag(project, "new-checkout")
    assert post(client, URL + "new-checkout", {}, None, HTTP_X_API_KEY=sdk).status_code == 200


def test_revoked_key_is_refused_once_its_memo_expires(client, project, tunables, alice, redis_client):
    tunables["KEY_CACHE_SECONDS"] = 0
    key, plaintext = sdk_keys.create_sdk_key(project, "production", source="command")
    make_flag(project, "new-checkout")
    assert post(client, URL + "new-checkout", {}, plaintext).status_code == 200
    sdk_keys.revoke_sdk_key(key, actor=alice, source="dashboard")
    redis_client.hdel(sdk_keys.KEYS_HASH, key.key_hash)  # on_commit did not run
    assert post(client, URL + "new-checkout", {}, plaintext).status_code == 401


def test_another_projects_key_does_not_see_this_projects_flags(client, project, charlie):
    from tests.factories import make_project

    make_flag(project, "new-checkout")
    other_key = make_sdk_key(make_project("billing", members=[charlie]))
    response = post(client, URL + "new-checkout", {}, other_key)
    assert (response.status_code, response.json()["errorCode"]) == (404, "FLAG_NOT_FOUND")


def test_key_of_another_environment_evaluates_that_environment(client, project):
    make_flag(project, "new-checkout", environments={"production": {"enabled": True}})
    staging = make_sdk_key(project, "staging")
    assert post(client, URL + "new-checkout", {}, staging).json()["reason"] == "DISABLED"


def test_client_key_sees_only_client_side_flags(client, project):
    make_flag(project, "server-only")
    make_flag(project, "banner", client_side=True)
    browser_key = make_sdk_key(project, kind="client")
    assert post(client, URL + "server-only", {}, browser_key).status_code == 404
    assert post(client, URL + "banner", {}, browser_key).status_code == 200
    bulk = post(client, BULK, {}, browser_key).json()
    assert [item["key"] for item in bulk["flags"]] == ["banner"]


def test_get_is_405_with_a_json_body(client, sdk):
    response = client.get(URL + "x", HTTP_AUTHORIZATION=f"Bearer {sdk}")
    assert (response.status_code, response.json()["errorCode"]) == (405, "GENERAL")


def test_any_other_ofrep_path_is_a_json_404(client):
    response = client.post("/ofrep/v1/configuration", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "GENERAL"


def test_server_error_is_a_json_500(client, project, sdk, monkeypatch):
    make_flag(project, "new-checkout")

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cache, "load", broken)
    response = post(client, URL + "new-checkout", {}, sdk)
    assert response.status_code == 500
    assert response.json() == {"key": "new-checkout", "errorCode": "GENERAL", "errorDetails": "internal error"}


def test_preflight_request_gets_cors_headers(client):
    response = client.options(URL + "new-checkout")
    assert response.status_code == 204
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_bulk_evaluates_every_flag_and_reports_per_flag_errors_inside_a_200(client, project, sdk):
    make_flag(project, "new-checkout")
    make_flag(project, "dark-mode", environments={"production": {"enabled": True, "rollout_percentage": 50}})
    response = post(client, BULK, {"context": {}}, sdk)
    assert response.status_code == 200
    items = {item["key"]: item for item in response.json()["flags"]}
    assert items["new-checkout"]["value"] is True
    assert items["dark-mode"]["errorCode"] == "TARGETING_KEY_MISSING"
    assert response.json()["eventStreams"][0]["type"] == "sse"
    assert response["ETag"].startswith('"')


def test_bulk_answers_304_to_a_matching_if_none_match(client, project, sdk):
    make_flag(project, "new-checkout")
    first = post(client, BULK, {"context": {"targetingKey": "u1"}}, sdk)
    again = post(client, BULK, {"context": {"targetingKey": "u1"}}, sdk, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    other_user = post(client, BULK, {"context": {"targetingKey": "u2"}}, sdk, HTTP_IF_NONE_MATCH=first["ETag"])
    assert other_user.status_code == 200  # the ETag covers the context too


def test_bulk_etag_changes_at_once_when_a_flag_is_disabled(client, project, sdk, alice, django_capture_on_commit_callbacks):
    flag = make_flag(project, "new-checkout")
    first = post(client, BULK, {"context": {"targetingKey": "u1"}}, sdk)
    with django_capture_on_commit_callbacks(execute=True):
        changes.disable_flag(flag, "production", actor=alice, reason="errors", source="dashboard")
    after = post(client, BULK, {"context": {"targetingKey": "u1"}}, sdk, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert after.json()["flags"][0]["reason"] == "DISABLED"


def test_hot_path_makes_no_database_query_after_warm_up(client, project, sdk, django_assert_num_queries):
    make_flag(project, "new-checkout")
    post(client, URL + "new-checkout", {"context": {"targetingKey": "u1"}}, sdk)
    post(client, BULK, {"context": {"targetingKey": "u1"}}, sdk)
    with django_assert_num_queries(0):
        assert post(client, URL + "new-checkout", {"context": {"targetingKey": "u2"}}, sdk).status_code == 200
        assert post(client, URL + "missing", {"context": {}}, sdk).status_code == 404
        assert post(client, BULK, {"context": {"targetingKey": "u2"}}, sdk).status_code == 200


def test_configuration_is_rebuilt_from_the_database_after_a_redis_flush(client, project, sdk, alice, redis_client):
    flag = make_flag(project, "new-checkout")
    assert post(client, URL + "new-checkout", {}, sdk).json()["value"] is True
    changes.disable_flag(flag, "production", actor=alice, reason="errors", source="api")  # no on_commit here
    delete_own_keys(redis_client)
    assert post(client, URL + "new-checkout", {}, sdk).json()["reason"] == "DISABLED"


def test_every_evaluation_is_counted_per_flag_variant_environment_and_minute(client, project, sdk, redis_client):
    make_flag(project, "dark-mode", environments={"production": {"enabled": True, "rollout_percentage": 50}})
    variants = [post(client, URL + "dark-mode", {"context": {"targetingKey": f"u{i}"}}, sdk).json()["variant"]
                for i in range(40)]
    post(client, BULK, {"context": {"targetingKey": "u0"}}, sdk)
    minute = minute_of_epoch(time.time())
    counts = exposure_counts(redis_client, project.id, "dark-mode", "production", [minute - 60, minute])  # a minute may turn
    total = {v: counts[minute].get(v, 0) + counts[minute - 60].get(v, 0) for v in ("on", "off")}
    expected = {v: variants.count(v) for v in ("on", "off")}
    expected[variants[0]] += 1  # the bulk call evaluated u0 once more
    assert total == expected


def test_ofrep_misses_are_recorded_for_the_stale_flags_page(client, project, sdk, redis_client):
    post(client, URL + "old-banner", {}, sdk)
    post(client, URL + "old-banner", {}, sdk)
    assert exposures.missed_keys(redis_client, project.id)["old-banner"][0] == 2


def test_successful_answer_reports_server_time(client, project, sdk):
    make_flag(project, "new-checkout")
    assert post(client, URL + "new-checkout", {}, sdk)["Server-Timing"].startswith("app;dur=")


def test_a_flag_with_a_broken_stored_rule_fails_alone(client, project, sdk):
    from flags.models import FlagEnvironment

    make_flag(project, "new-checkout")
    broken = make_flag(project, "dark-mode")
    FlagEnvironment.objects.filter(flag=broken, environment="production").update(
        rules=[{"conditions": [{"attribute": "plan", "op": "regex", "value": ".*"}], "variant": "on"}])
    response = post(client, URL + "dark-mode", {}, sdk)
    assert (response.status_code, response.json()["errorCode"]) == (500, "GENERAL")
    assert post(client, URL + "new-checkout", {}, sdk).json()["value"] is True
    items = {item["key"]: item for item in post(client, BULK, {}, sdk).json()["flags"]}
    assert items["dark-mode"]["errorCode"] == "GENERAL" and items["new-checkout"]["value"] is True


@pytest.mark.parametrize(("levels", "code"), [(10_000, "PARSE_ERROR"), (100, "INVALID_CONTEXT")])
def test_a_deeply_nested_context_is_a_400(client, project, sdk, levels, code):
    make_flag(project, "new-checkout")
    body = b'{"context": {"targetingKey": "u1", "deep": ' + b"[" * levels + b"]" * levels + b"}}"
    response = client.post(URL + "new-checkout", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {sdk}")
    assert (response.status_code, response.json()["errorCode"]) == (400, code)


def test_keys_that_cannot_be_sdk_keys_are_refused_and_leave_nothing_in_redis(client, project, redis_client):
    make_flag(project, "new-checkout")
    before = redis_client.dbsize()
    for key in ("sysrv_" + "a" * 1_000_000, "not-a-key", "sysrv_unknown"):
        assert post(client, URL + "new-checkout", {}, key).status_code == 401
    assert redis_client.dbsize() == before + 1  # the one well-formed unknown key, remembered for a minute
