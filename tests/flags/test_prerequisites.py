"""Prerequisites: a flag that requires another to serve given variants for the same context
(flags.evaluation), refused cycles and dangling references (flags.changes), and a kill of the
prerequisite reaching the dependant through the same configuration and change stream."""

import json
from decimal import Decimal

import pytest

from flags import cache, changes, prerequisites
from flags.evaluation import evaluate, prepare_flag
from flags.models import FlagChange, FlagEnvironment
from flags.validation import InvalidChange
from tests.flags.factories import flag_config, make_flag

NEEDS_CHECKOUT = [{"key": "new-checkout", "variants": ["on"]}]


def environment(*configs) -> dict:
    return {c["key"]: prepare_flag(c) for c in configs}


def test_a_dependant_evaluates_normally_while_its_prerequisite_serves_the_required_variant():
    flags = environment(flag_config("new-checkout"), flag_config("tax", prerequisites=NEEDS_CHECKOUT))
    result = evaluate(flags["tax"], {"targetingKey": "u1"}, flags)
    assert (result.value, result.reason, result.variant) == (True, "DEFAULT", "on")
    assert "reasonKind" not in result.metadata


def test_a_killed_prerequisite_turns_the_dependant_off_with_reason_disabled():
    flags = environment(flag_config("new-checkout", enabled=False), flag_config("tax", prerequisites=NEEDS_CHECKOUT))
    result = evaluate(flags["tax"], {"targetingKey": "u1"}, flags)
    assert (result.value, result.reason, result.variant, result.error_code) == (False, "DISABLED", "off", None)
    assert (result.metadata["reasonKind"], result.metadata["prerequisiteKey"]) == ("PREREQUISITE_FAILED", "new-checkout")


def test_a_prerequisite_serving_another_variant_to_this_context_is_a_targeting_match():
    rule = {"conditions": [{"attribute": "country", "op": "equals", "value": "FR"}], "variant": "off"}
    flags = environment(flag_config("new-checkout", rules=[rule]), flag_config("tax", prerequisites=NEEDS_CHECKOUT))
    french = evaluate(flags["tax"], {"targetingKey": "u1", "country": "FR"}, flags)
    german = evaluate(flags["tax"], {"targetingKey": "u2", "country": "DE"}, flags)
    assert (french.value, french.reason, french.metadata["reasonKind"]) == (False, "TARGETING_MATCH", "PREREQUISITE_FAILED")
    assert (german.value, german.reason) == (True, "DEFAULT")


def test_prerequisites_on_a_split_hold_for_exactly_the_users_the_prerequisite_serves():
    flags = environment(flag_config("new-checkout", rollout_percentage=Decimal(30)),
                        flag_config("tax", prerequisites=NEEDS_CHECKOUT))
    for key in (f"user-{i}" for i in range(2000)):
        parent = evaluate(flags["new-checkout"], {"targetingKey": key}, flags)
        assert evaluate(flags["tax"], {"targetingKey": key}, flags).value is parent.value


def test_a_chain_fails_at_its_root_and_each_link_names_its_own_prerequisite():
    flags = environment(flag_config("new-checkout", enabled=False), flag_config("tax", prerequisites=NEEDS_CHECKOUT),
                        flag_config("tax-banner", prerequisites=[{"key": "tax", "variants": ["on"]}]))
    result = evaluate(flags["tax-banner"], {}, flags)
    assert (result.reason, result.metadata["prerequisiteKey"]) == ("DISABLED", "tax")


def test_a_prerequisites_error_is_the_dependants_error():
    flags = environment(flag_config("new-checkout", rollout_percentage=Decimal(50)),
                        flag_config("tax", prerequisites=NEEDS_CHECKOUT))
    result = evaluate(flags["tax"], {}, flags)
    assert result.error_code == "TARGETING_KEY_MISSING" and "prerequisite 'new-checkout'" in result.error_details


def test_a_cycle_that_reached_the_configuration_anyway_is_an_error_not_a_hang():
    flags = environment(flag_config("a", prerequisites=[{"key": "b", "variants": ["on"]}]),
                        flag_config("b", prerequisites=[{"key": "a", "variants": ["on"]}]))
    assert evaluate(flags["a"], {}, flags).error_code == "GENERAL"


def test_a_disabled_dependant_is_disabled_whatever_its_prerequisite():
    flags = environment(flag_config("new-checkout"), flag_config("tax", enabled=False, prerequisites=NEEDS_CHECKOUT))
    assert "reasonKind" not in evaluate(flags["tax"], {}, flags).metadata


# --- saving -----------------------------------------------------------------------------------


@pytest.fixture
def checkout(project):
    return make_flag(project, "new-checkout")


def test_a_flag_saves_prerequisites_of_its_project_and_the_audit_log_has_them(project, checkout, alice):
    tax = make_flag(project, "tax")
    changes.update_flag(tax, {"prerequisites": [{"key": "new-checkout", "variants": "on"}]}, actor=alice, source="api")
    tax.refresh_from_db()
    assert tax.prerequisites == NEEDS_CHECKOUT
    change = FlagChange.objects.filter(flag=tax, action="updated").get()
    assert (change.before["prerequisites"], change.after["prerequisites"]) == ([], NEEDS_CHECKOUT)
    assert prerequisites.dependants(project.id, "new-checkout") == ["tax"]


def test_a_cycle_is_refused_on_save_with_the_path(project, checkout, alice):
    make_flag(project, "tax", prerequisites=NEEDS_CHECKOUT)
    make_flag(project, "banner", prerequisites=[{"key": "tax", "variants": ["on"]}])
    with pytest.raises(InvalidChange, match="cycle: new-checkout → banner → tax → new-checkout"):
        changes.update_flag(checkout, {"prerequisites": [{"key": "banner", "variants": ["on"]}]}, actor=alice, source="api")
    checkout.refresh_from_db()
    assert checkout.prerequisites == []


@pytest.mark.parametrize("prerequisites, message", [
    ([{"key": "nope", "variants": ["on"]}], "no flag 'nope'"),
    ([{"key": "new-checkout", "variants": ["maybe"]}], "has no variant maybe"),
    ([{"key": "tax", "variants": ["on"]}], "its own prerequisite"),
    ([{"key": "new-checkout"}], "each prerequisite is"),
    ("new-checkout", "must be a list"),
])
def test_bad_prerequisites_are_refused(project, checkout, alice, prerequisites, message):
    tax = make_flag(project, "tax")
    with pytest.raises(InvalidChange, match=message):
        changes.update_flag(tax, {"prerequisites": prerequisites}, actor=alice, source="api")


def test_a_required_flag_cannot_be_deleted_nor_lose_a_required_variant(project, checkout, alice):
    make_flag(project, "tax", prerequisites=NEEDS_CHECKOUT)
    with pytest.raises(InvalidChange, match="tax requires new-checkout"):
        changes.delete_flag(checkout, actor=alice, source="api")
    with pytest.raises(InvalidChange, match="tax requires new-checkout to serve on"):
        changes.update_flag(checkout, {"variants": {"yes": True, "off": False}}, actor=alice, source="api")


def test_killing_the_prerequisite_turns_the_dependant_off_at_once_without_touching_it(
        project, checkout, alice, django_capture_on_commit_callbacks):
    tax = make_flag(project, "tax", prerequisites=NEEDS_CHECKOUT)
    assert evaluate(cache.load(project.id, "production").flags["tax"], {}, cache.load(project.id, "production").flags).value

    with django_capture_on_commit_callbacks(execute=True):
        changes.disable_flag(checkout, "production", actor=alice, reason="payment errors", source="dashboard")

    config = cache.load(project.id, "production")
    result = evaluate(config.flags["tax"], {}, config.flags)
    assert (result.value, result.reason, result.metadata["prerequisiteKey"]) == (False, "DISABLED", "new-checkout")
    state = FlagEnvironment.objects.get(flag=tax, environment="production")
    assert state.enabled and not FlagChange.objects.filter(flag=tax).exclude(action="created").exists()


def test_the_kills_change_message_names_the_dependants_for_the_streams(
        project, checkout, alice, redis_client, django_capture_on_commit_callbacks):
    make_flag(project, "tax", prerequisites=NEEDS_CHECKOUT, client_side=True)
    make_flag(project, "tax-banner", prerequisites=[{"key": "tax", "variants": ["on"]}])
    pubsub = redis_client.pubsub()
    pubsub.subscribe(cache.channel(project.id))
    pubsub.get_message(timeout=1)
    with django_capture_on_commit_callbacks(execute=True):
        changes.disable_flag(checkout, "production", actor=alice, reason="payment errors", source="dashboard")
    message = pubsub.get_message(timeout=5)
    pubsub.close()
    data = json.loads(message["data"])
    assert (data["flag"], data["dependants"], data["client_dependants"]) == ("new-checkout", ["tax", "tax-banner"], ["tax"])
