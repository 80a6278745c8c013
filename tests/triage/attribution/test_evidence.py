"""triage.attribution.evidence on generated traffic whose cause is known: five flags at 50 %, each
user evaluating them through OFREP; the errors of one group come from one of them. The causal
value ranks first and is significant, no noise flag is, and after the kill an unrelated group
has no suspect."""

import json
import random

import pytest
from django.utils import timezone

from flags import changes
from tests.factories import make_event
from tests.flags.factories import make_flag, make_sdk_key
from tests.triage.helpers import push
from triage.attribution.evidence import attribute
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db
FLAGS = ["bad-checkout", "noise-a", "noise-b", "noise-c", "noise-d"]
USERS = [f"user-{n}" for n in range(300)]


@pytest.fixture
def flagged(project):
    for key in FLAGS:
        make_flag(project, key, environments={"production": {"enabled": True, "rollout_percentage": 50}})
    return project


def evaluate(client, sdk_key: str, user: str) -> dict[str, str]:
    """What the user's app got for every flag, through the bulk OFREP endpoint (counted as exposures)."""
    response = client.post("/ofrep/v1/evaluate/flags", json.dumps({"context": {"targetingKey": user}}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {sdk_key}")
    return {item["key"]: "true" if item["value"] else "false" for item in response.json()["flags"]}


def error(user: str, flags: dict[str, str], function: str) -> dict:
    event = make_event(user={"id": user})
    event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["function"] = function
    event["contexts"]["flags"]["values"] = [{"flag": k, "result": v == "true"} for k, v in flags.items()]
    return event


def traffic(client, project, rng, bad_rate=0.3, base_rate=0.01, unrelated_rate=0.05):
    sdk_key = make_sdk_key(project)
    events = []
    for user in USERS:
        flags = evaluate(client, sdk_key, user)
        if rng.random() < (bad_rate if flags["bad-checkout"] == "true" else base_rate):
            events.append(error(user, flags, "apply_discount"))
        if rng.random() < unrelated_rate:
            events.append(error(user, flags, "render_invoice"))
    return events


def group(project, function):
    return ErrorGroup.objects.get(project=project, culprit__endswith=f"in {function}")


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_the_causal_flag_ranks_first_and_no_noise_flag_is_significant(client, flagged, redis_client, seed):
    push(flagged, redis_client, traffic(client, flagged, random.Random(seed)))
    ranked = attribute(redis_client, group(flagged, "apply_discount"), timezone.now()).suspicions
    assert (ranked[0].key, ranked[0].value, ranked[0].significant, ranked[0].basis) == ("bad-checkout", "true", True, "exposures")
    assert [s.key for s in ranked if s.significant or s.suspect] == ["bad-checkout"]
    assert 0 < ranked[0].rate_with <= 1 and ranked[0].rate_without < ranked[0].rate_with
    assert "users who got true hit this error" in ranked[0].evidence


@pytest.mark.parametrize("seed", [11, 12])
def test_an_unrelated_group_has_no_suspect_before_or_after_the_kill(client, flagged, redis_client, alice, seed):
    rng = random.Random(seed)
    push(flagged, redis_client, traffic(client, flagged, rng))
    changes.disable_flag(flagged.flags.get(key="bad-checkout"), "production", actor=alice, reason="spike",
                         source="dashboard")
    push(flagged, redis_client, traffic(client, flagged, rng))  # everyone gets false now
    unrelated = attribute(redis_client, group(flagged, "render_invoice"), timezone.now()).suspicions
    assert not [s for s in unrelated if s.suspect or s.significant]


def test_a_flag_turned_on_for_everyone_just_before_a_group_appeared_is_suspect_by_timing(client, project, alice, redis_client):
    from tests.triage.helpers import crash

    push(project, redis_client, [crash("old_bug", user={"id": f"user-{n}"}) for n in range(5)])  # the app reported before
    flag = make_flag(project, "new-checkout", environments={"production": {"enabled": False}})
    changes.enable_flag(flag, "production", actor=alice, reason="launch", source="dashboard")
    sdk_key = make_sdk_key(project)
    push(project, redis_client, [error(u, evaluate(client, sdk_key, u), "apply_discount") for u in USERS[:20]])
    [suspicion] = attribute(redis_client, group(project, "apply_discount"), timezone.now()).suspicions
    assert (suspicion.key, suspicion.value, suspicion.suspect, suspicion.significant, suspicion.basis) == (
        "new-checkout", "true", True, False, "timing")
    assert suspicion.evidence.startswith("enabled in production less than a minute before this group appeared, by alice")


def test_on_a_fresh_install_a_flag_set_up_before_the_first_error_is_no_evidence(client, project, alice, redis_client):
    make_flag(project, "new-checkout")  # on for everyone in production, before any error
    sdk_key = make_sdk_key(project)
    push(project, redis_client, [error(u, evaluate(client, sdk_key, u), "apply_discount") for u in USERS[:20]])
    [suspicion] = attribute(redis_client, group(project, "apply_discount"), timezone.now()).suspicions
    assert not suspicion.suspect and suspicion.basis == "none"
