"""End to end with real parts: openfeature-sdk + openfeature-provider-ofrep → uvicorn/config.asgi
→ Redis-cached configuration, and a kill through the service, the REST API or a trigger URL."""

import json
import threading

import pytest
import requests
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from flags import changes, sdk_keys, triggers
from flags.models import FlagChange
from projects.tokens import create_token
from tests.factories import grant, make_project
from tests.flags.factories import make_flag, make_sdk_key
from tests.live import wait_for

pytestmark = [pytest.mark.integration]


def user(key="user-42", **attributes):
    return EvaluationContext(targeting_key=key, attributes=attributes)


def test_real_client_evaluates_then_sees_a_kill_through_the_service(ofrep_client, project, alice):
    flag = make_flag(project, "new-checkout")
    ofrep_client.use_key(make_sdk_key(project))
    before = ofrep_client.get_boolean_details("new-checkout", False, user())
    assert (before.value, before.reason, before.variant, before.error_code) == (True, Reason.STATIC, "on", None)
    assert before.flag_metadata["owner"] == "alice"

    changes.disable_flag(flag, "production", actor=alice, reason="checkout errors after 1.4.0", source="automation")

    after = ofrep_client.get_boolean_details("new-checkout", True, user())
    assert (after.value, after.reason, after.variant, after.error_code) == (False, Reason.DISABLED, "off", None)
    assert FlagChange.objects.get(action="disabled").reason == "checkout errors after 1.4.0"


def test_real_client_reads_targeting_splits_and_every_value_type(ofrep_client, project):
    rule = {"conditions": [{"attribute": "plan", "op": "in", "value": ["pro"]}], "variant": "on"}
    make_flag(project, "search-v2", environments={"production": {"enabled": True, "rollout_percentage": 0, "rules": [rule]}})
    make_flag(project, "dark-mode", environments={"production": {"enabled": True, "rollout_percentage": 50}})
    make_flag(project, "ui/theme", value_type="string", variants={"dark": "#111", "off": "#fff"},
              environments={"production": {"enabled": True, "default_variant": "dark"}})
    make_flag(project, "limits", value_type="number", variants={"high": 2.5, "off": 1.0},
              environments={"production": {"enabled": True, "default_variant": "high"}})
    make_flag(project, "layout", value_type="json", variants={"on": {"columns": 3}, "off": {}})
    ofrep_client.use_key(make_sdk_key(project))

    pro = ofrep_client.get_boolean_details("search-v2", False, user(plan="pro"))
    free = ofrep_client.get_boolean_details("search-v2", True, user(plan="free"))
    assert (pro.value, pro.reason, free.value, free.reason) == (True, Reason.TARGETING_MATCH, False, Reason.DEFAULT)
    split = [ofrep_client.get_boolean_details("dark-mode", False, user(f"u{i}")) for i in range(20)]
    assert {d.reason for d in split} == {Reason.SPLIT} and {d.value for d in split} == {True, False}
    assert ofrep_client.get_string_value("ui/theme", "", user()) == "#111"
    assert ofrep_client.get_float_value("limits", 0.0, user()) == 2.5
    assert ofrep_client.get_object_value("layout", {}, user()) == {"columns": 3}


def test_real_client_gets_the_specs_errors_for_bad_input(ofrep_client, project, alice, charlie):
    make_flag(project, "new-checkout")
    make_flag(project, "dark-mode", environments={"production": {"enabled": True, "rollout_percentage": 50}})
    key_row, key = sdk_keys.create_sdk_key(project, "production", source="command")
    ofrep_client.use_key(key)

    unknown = ofrep_client.get_boolean_details("nope", False, user())
    assert (unknown.value, unknown.error_code) == (False, ErrorCode.FLAG_NOT_FOUND)
    no_key = ofrep_client.get_boolean_details("dark-mode", False, EvaluationContext(attributes={"plan": "pro"}))
    assert (no_key.value, no_key.error_code) == (False, ErrorCode.TARGETING_KEY_MISSING)
    needs_none = ofrep_client.get_boolean_details("new-checkout", False, EvaluationContext())
    assert (needs_none.value, needs_none.error_code) == (True, None)

    ofrep_client.use_key(make_sdk_key(make_project("billing", members=[charlie])))
    other = ofrep_client.get_boolean_details("new-checkout", False, user())
    assert (other.value, other.error_code) == (False, ErrorCode.FLAG_NOT_FOUND)

    ofrep_client.use_key("sysrv_" + "x" * 43)
    wrong = ofrep_client.get_boolean_details("new-checkout", False, user())
    assert (wrong.value, wrong.error_code, wrong.error_message) == (False, ErrorCode.GENERAL, "unauthorized")

    sdk_keys.revoke_sdk_key(key_row, actor=alice, source="dashboard")
    ofrep_client.use_key(key)
    # Refused everywhere within KEY_CACHE_SECONDS (each process memoises a key for a second).
    wait_for(lambda: ofrep_client.get_boolean_details("new-checkout", False, user()).error_code == ErrorCode.GENERAL,
             timeout=10, what="the revoked key to be refused")


def test_malformed_body_gets_a_json_parse_error_from_the_live_server(live_stack, project):
    make_flag(project, "new-checkout")
    key = make_sdk_key(project)
    response = requests.post(f"{live_stack.url}/ofrep/v1/evaluate/flags/new-checkout", data=b'{"context":',
                             headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "PARSE_ERROR"


def test_one_api_call_kills_the_flag_for_the_client(ofrep_client, live_stack, project, alice):
    make_flag(project, "new-checkout")
    grant(alice, "flags.change_flag")
    ofrep_client.use_key(make_sdk_key(project))
    assert ofrep_client.get_boolean_value("new-checkout", False, user()) is True
    response = requests.post(f"{live_stack.url}/api/0/projects/{project.id}/flags/new-checkout/disable/",
                             json={"environment": "production", "reason": "pipeline rollback"},
                             headers={"Authorization": f"Bearer {create_token(alice)}"}, timeout=5)
    assert response.json()["changed"] is True
    assert ofrep_client.get_boolean_value("new-checkout", True, user()) is False


def test_trigger_url_kills_the_flag_for_the_client(ofrep_client, live_stack, project, alice):
    flag = make_flag(project, "new-checkout")
    _, token = triggers.create_trigger(flag, "production", label="alertmanager", actor=alice, source="dashboard")
    ofrep_client.use_key(make_sdk_key(project))
    assert ofrep_client.get_boolean_value("new-checkout", False, user()) is True
    assert requests.post(triggers.trigger_url(token, live_stack.url), timeout=5).json()["disabled"] is True
    assert ofrep_client.get_boolean_value("new-checkout", True, user()) is False


def test_change_stream_pushes_the_kill_and_the_bulk_etag_changes(live_stack, project, alice):
    flag = make_flag(project, "new-checkout")
    key = make_sdk_key(project)
    headers = {"Authorization": f"Bearer {key}"}
    bulk_url = f"{live_stack.url}/ofrep/v1/evaluate/flags"
    first = requests.post(bulk_url, json={"context": {"targetingKey": "u1"}}, headers=headers, timeout=5)
    stream_url = first.json()["eventStreams"][0]["url"]
    assert stream_url.startswith(live_stack.url)

    events, connected = [], threading.Event()

    def listen():
        with requests.get(stream_url, stream=True, timeout=10) as response:
            for line in response.iter_lines():
                if line.startswith(b": connected"):
                    connected.set()
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert connected.wait(10), "the stream never opened"
    changes.disable_flag(flag, "production", actor=alice, reason="spike", source="dashboard")
    listener.join(10)
    assert events and (events[0]["type"], events[0]["flag"], events[0]["action"]) == ("refetchEvaluation", "new-checkout", "disabled")

    again = requests.post(bulk_url, json={"context": {"targetingKey": "u1"}}, timeout=5,
                          headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    assert again.json()["flags"][0]["reason"] == "DISABLED"
    unchanged = requests.post(bulk_url, json={"context": {"targetingKey": "u1"}}, timeout=5,
                              headers={**headers, "If-None-Match": again.headers["ETag"]})
    assert unchanged.status_code == 304


def test_change_stream_accepts_an_sdk_key_and_refuses_a_forged_token(live_stack, project):
    key = make_sdk_key(project)
    with requests.get(f"{live_stack.url}/ofrep/v1/stream", headers={"Authorization": f"Bearer {key}"}, stream=True,
                      timeout=5) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert next(response.iter_lines()).startswith(b"retry:")
    forged = requests.get(f"{live_stack.url}/ofrep/v1/stream?token=1:server:production:forged", timeout=5)
    assert forged.status_code == 401 and forged.json()["errorCode"] == "GENERAL"
