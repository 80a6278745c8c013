"""Issue 14 end to end with real parts: openfeature-sdk + openfeature-provider-ofrep → uvicorn /
config.asgi → the Redis-cached configuration; changes made through the service, the REST API and
a real Celery beat + worker.

- a prerequisite's kill reaches its dependant on the very next evaluation, as a direct kill does,
  and the change stream names the dependant;
- weighted variants: the server's answers are the evaluator's, whose split over 100k keys is
  within 1 % of each weight; a weight change moves only the users it must;
- a segment edit reaches a flag that uses it at once;
- a scheduled step is applied by beat and the worker, and the client sees it.
"""

import datetime as dt
import json
import threading
import uuid
from collections import Counter

import pytest
import requests
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import Reason

from flags import cache, changes, schedules, segments
from flags.evaluation import evaluate
from flags.models import FlagChange, FlagEnvironment
from projects.tokens import create_token
from tests.factories import grant
from tests.flags.factories import make_flag, make_sdk_key
from tests.live import wait_for

pytestmark = [pytest.mark.integration]

NEEDS_CHECKOUT = [{"key": "new-checkout", "variants": ["on"]}]
COPY = {"control": "Buy now", "urgent": "Only 3 left!", "social": "1,000 bought today", "off": "Buy"}


def user(key="user-42", **attributes):
    return EvaluationContext(targeting_key=key, attributes=attributes)


def test_a_prerequisite_kill_reaches_the_dependant_on_the_next_evaluation_like_a_direct_kill(ofrep_client, project, alice):
    checkout = make_flag(project, "new-checkout")
    make_flag(project, "tax", prerequisites=NEEDS_CHECKOUT)
    ofrep_client.use_key(make_sdk_key(project))
    before = ofrep_client.get_boolean_details("tax", False, user())
    assert (before.value, before.reason, before.error_code) == (True, Reason.DEFAULT, None)

    changes.disable_flag(checkout, "production", actor=alice, reason="payment errors", source="dashboard")

    # The first evaluation after the kill returned, of the killed flag and of its dependant alike.
    direct = ofrep_client.get_boolean_details("new-checkout", True, user())
    dependant = ofrep_client.get_boolean_details("tax", True, user())
    assert (direct.value, direct.reason) == (False, Reason.DISABLED)
    assert (dependant.value, dependant.reason, dependant.variant, dependant.error_code) == (False, Reason.DISABLED, "off", None)
    assert (dependant.flag_metadata["reasonKind"], dependant.flag_metadata["prerequisiteKey"]) == (
        "PREREQUISITE_FAILED", "new-checkout")
    assert FlagEnvironment.objects.get(flag__key="tax", environment="production").enabled  # its own settings untouched
    assert not FlagChange.objects.filter(flag_key="tax").exclude(action="created").exists()

    changes.enable_flag(checkout, "production", actor=alice, reason="fixed", source="dashboard")
    assert ofrep_client.get_boolean_value("tax", False, user()) is True


def test_a_prerequisite_serving_another_variant_is_a_targeting_match_for_the_client(ofrep_client, project):
    french_off = [{"conditions": [{"attribute": "country", "op": "equals", "value": "FR"}], "variant": "off"}]
    make_flag(project, "new-checkout", environments={"production": {"enabled": True, "rules": french_off}})
    make_flag(project, "tax", prerequisites=NEEDS_CHECKOUT)
    ofrep_client.use_key(make_sdk_key(project))
    french = ofrep_client.get_boolean_details("tax", True, user(country="FR"))
    assert (french.value, french.reason, french.flag_metadata["reasonKind"]) == (False, Reason.TARGETING_MATCH,
                                                                                 "PREREQUISITE_FAILED")
    assert ofrep_client.get_boolean_value("tax", False, user(country="DE")) is True


def test_the_change_stream_names_the_dependants_of_a_killed_prerequisite(live_stack, project, alice):
    checkout = make_flag(project, "new-checkout")
    make_flag(project, "tax", prerequisites=NEEDS_CHECKOUT)
    key = make_sdk_key(project)
    events, connected = [], threading.Event()

    def listen():
        with requests.get(f"{live_stack.url}/ofrep/v1/stream", headers={"Authorization": f"Bearer {key}"}, stream=True,
                          timeout=10) as response:
            for line in response.iter_lines():
                if line.startswith(b": connected"):
                    connected.set()
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert connected.wait(10), "the stream never opened"
    changes.disable_flag(checkout, "production", actor=alice, reason="spike", source="dashboard")
    listener.join(10)
    assert events and (events[0]["flag"], events[0]["action"], events[0]["dependants"]) == ("new-checkout", "disabled", ["tax"])


def test_weighted_variants_are_split_within_one_percent_as_the_server_answers(ofrep_client, project):
    make_flag(project, "checkout-copy", value_type="string", variants=COPY,
              environments={"production": {"enabled": True, "weights": {"control": 45, "urgent": 45, "social": 10}}})
    ofrep_client.use_key(make_sdk_key(project))
    config = cache.load(project.id, "production")  # what the server evaluates, from the same Redis
    flag = config.flags["checkout-copy"]
    keys = [uuid.UUID(int=i).hex for i in range(100_000)]
    served = Counter(evaluate(flag, {"targetingKey": k}, config.flags).variant for k in keys)
    for variant, target in {"control": 0.45, "urgent": 0.45, "social": 0.10}.items():
        assert abs(served[variant] / len(keys) - target) < 0.01, (variant, served[variant])
    for k in keys[:1500]:  # the real client gets exactly those answers
        details = ofrep_client.get_string_details("checkout-copy", "", user(k))
        assert (details.variant, details.value, details.reason) == (
            evaluate(flag, {"targetingKey": k}, config.flags).variant, COPY[details.variant], Reason.SPLIT)


def test_a_weight_change_moves_only_the_users_it_must(ofrep_client, live_stack, project, alice):
    make_flag(project, "checkout-copy", value_type="string", variants=COPY,
              environments={"production": {"enabled": True, "weights": {"control": 45, "urgent": 45, "social": 10}}})
    grant(alice, "flags.change_flag")
    ofrep_client.use_key(make_sdk_key(project))
    keys = [f"user-{i}" for i in range(2000)]
    before = {k: ofrep_client.get_string_details("checkout-copy", "", user(k)).variant for k in keys}

    response = requests.patch(f"{live_stack.url}/api/0/projects/{project.id}/flags/checkout-copy/",
                              json={"environments": {"production": {"weights": {"control": 50, "urgent": 45, "social": 5}}},
                                    "reason": "social proof underperforms"},
                              headers={"Authorization": f"Bearer {create_token(alice)}"}, timeout=5)
    assert response.status_code == 200, response.content

    after = {k: ofrep_client.get_string_details("checkout-copy", "", user(k)).variant for k in keys}
    moved = Counter((before[k], after[k]) for k in keys if before[k] != after[k])
    assert set(moved) == {("social", "control")}  # 5 % of users had to move; only they did
    assert abs(sum(moved.values()) / len(keys) - 0.05) < 0.02


def test_a_segment_edit_reaches_the_client_at_once(ofrep_client, project, alice):
    beta = segments.create_segment(project, key="beta", actor=alice, source="api", included=["vip"])
    in_beta = [{"conditions": [{"op": "in_segment", "value": ["beta"]}], "variant": "on"}]
    make_flag(project, "search-v2", environments={"production": {"enabled": True, "rollout_percentage": 0, "rules": in_beta}})
    ofrep_client.use_key(make_sdk_key(project))
    assert ofrep_client.get_boolean_value("search-v2", False, user("vip")) is True
    assert ofrep_client.get_boolean_value("search-v2", False, user("ceo")) is False
    segments.update_segment(beta, {"included": ["vip", "ceo"]}, actor=alice, source="dashboard", reason="the CEO asked")
    ceo = ofrep_client.get_boolean_details("search-v2", False, user("ceo"))
    assert (ceo.value, ceo.reason) == (True, Reason.TARGETING_MATCH)


def test_beat_and_the_worker_apply_a_scheduled_step_that_the_client_then_sees(ofrep_client, beat, project, alice):
    flag = make_flag(project, "new-checkout", environments={})
    ofrep_client.use_key(make_sdk_key(project))
    assert ofrep_client.get_boolean_details("new-checkout", True, user()).reason == Reason.DISABLED
    schedule = schedules.create_schedule(flag, "production", schedules.progressive_steps([100, 100], every_minutes=60),
                                         start_at=dt.datetime.now(dt.UTC), actor=alice, source="api", reason="launch")
    wait_for(lambda: FlagChange.objects.filter(flag=flag, source="schedule", action="enabled").exists(), timeout=60,
             what="beat and the worker to apply the first step")
    details = ofrep_client.get_boolean_details("new-checkout", False, user())
    assert (details.value, details.reason) == (True, Reason.STATIC)
    schedule.refresh_from_db()
    assert (schedule.next_step, schedule.status) == (1, "scheduled")
    assert FlagChange.objects.get(flag=flag, action="enabled").reason.startswith("step 1/2 (on, 100 %)")
