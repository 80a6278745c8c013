"""Flag evaluation: order of targeting, reasons, and sticky percentage bucketing."""

import uuid
from decimal import Decimal

from flags.evaluation import BUCKETS, bucket, evaluate
from tests.flags.factories import flag_config

PRO_RULE = {"conditions": [{"attribute": "plan", "op": "in", "value": ["pro"]}], "variant": "on"}


def test_disabled_flag_serves_its_off_value_with_reason_disabled():
    result = evaluate(flag_config(enabled=False), {"targetingKey": "u1"})
    assert (result.value, result.reason, result.variant, result.error_code) == (False, "DISABLED", "off", None)


def test_enabled_flag_without_targeting_is_static_and_needs_no_targeting_key():
    result = evaluate(flag_config(), {})
    assert (result.value, result.reason, result.variant) == (True, "STATIC", "on")


def test_rule_match_serves_the_rules_variant_and_says_which_rule():
    config = flag_config(rollout_percentage=Decimal(0), rules=[PRO_RULE])
    result = evaluate(config, {"targetingKey": "u1", "plan": "pro"})
    assert (result.value, result.reason, result.metadata["ruleIndex"]) == (True, "TARGETING_MATCH", 0)


def test_context_that_matches_no_rule_falls_through_with_reason_default():
    config = flag_config(rollout_percentage=Decimal(0), rules=[PRO_RULE])
    result = evaluate(config, {"targetingKey": "u1", "plan": "free"})
    assert (result.value, result.reason, result.variant) == (False, "DEFAULT", "off")


def test_first_matching_rule_wins():
    rules = [
        {"conditions": [{"attribute": "country", "op": "equals", "value": "DE"}], "variant": "blue"},
        {"conditions": [{"attribute": "plan", "op": "equals", "value": "pro"}], "variant": "green"},
    ]
    config = flag_config(value_type="string", variants={"blue": "b", "green": "g", "off": "o"},
                         default_variant="green", rules=rules)
    assert evaluate(config, {"country": "DE", "plan": "pro"}).variant == "blue"
    assert evaluate(config, {"country": "FR", "plan": "pro"}).variant == "green"


def test_all_conditions_of_a_rule_must_hold():
    rule = {"conditions": [{"attribute": "plan", "op": "equals", "value": "pro"},
                           {"attribute": "release", "op": "semver_gte", "value": "1.4.0"}], "variant": "on"}
    config = flag_config(rollout_percentage=Decimal(0), rules=[rule])
    assert evaluate(config, {"plan": "pro", "release": "shop@1.4.2"}).value is True
    assert evaluate(config, {"plan": "pro", "release": "shop@1.3.9"}).value is False


def test_deny_list_beats_allow_list_and_rules():
    config = flag_config(rules=[PRO_RULE], allow_keys=["u1"], deny_keys=["u1", "u2"])
    result = evaluate(config, {"targetingKey": "u1", "plan": "pro"})
    assert (result.value, result.reason, result.metadata["match"]) == (False, "TARGETING_MATCH", "deny")


def test_allow_list_gets_the_default_variant_even_outside_the_rollout():
    config = flag_config(rollout_percentage=Decimal(0), allow_keys=["vip"])
    assert evaluate(config, {"targetingKey": "vip"}).value is True
    assert evaluate(config, {"targetingKey": "someone"}).value is False


def test_partial_rollout_without_targeting_key_is_targeting_key_missing():
    result = evaluate(flag_config(rollout_percentage=Decimal(30)), {"plan": "pro"})
    assert result.error_code == "TARGETING_KEY_MISSING"
    assert result.reason == "ERROR"
    assert "targetingKey" in result.error_details


def test_partial_rollout_answers_split_with_the_bucket_in_metadata():
    result = evaluate(flag_config(key="f", rollout_percentage=Decimal(30)), {"targetingKey": "user-42"})
    assert result.reason == "SPLIT"
    assert result.metadata["bucket"] == bucket("f", "user-42")
    assert result.value is (bucket("f", "user-42") < 3000)


def test_metadata_carries_owner_kind_and_environment():
    result = evaluate(flag_config(kind="experiment"), {})
    assert result.metadata == {"owner": "alice", "kind": "experiment", "environment": "production"}


def test_bucket_is_deterministic_and_in_range():
    assert bucket("new-checkout", "user-1") == bucket("new-checkout", "user-1")
    assert all(0 <= bucket("f", f"u{i}") < BUCKETS for i in range(1000))


def test_rollout_distribution_is_within_half_a_percent_over_100k_keys():
    keys = [uuid.UUID(int=i).hex for i in range(100_000)]
    for percentage in (1, 10, 25, 50, 90):
        config = flag_config(key="dist", rollout_percentage=Decimal(percentage))
        share = sum(evaluate(config, {"targetingKey": k}).value for k in keys) / len(keys)
        assert abs(share - percentage / 100) < 0.005, (percentage, share)


def test_percentage_rollout_is_sticky_per_targeting_key_when_it_grows():
    keys = [f"user-{i}" for i in range(20_000)]
    in_at = {}
    for percentage in (10, 20, 50):
        config = flag_config(key="ramp", rollout_percentage=Decimal(percentage))
        in_at[percentage] = {k for k in keys if evaluate(config, {"targetingKey": k}).value}
    assert in_at[10] < in_at[20] < in_at[50]  # growing keeps everyone already in
    assert abs(len(in_at[10]) / len(keys) - 0.10) < 0.01


def test_same_user_lands_in_independent_buckets_for_different_flags():
    keys = [f"user-{i}" for i in range(20_000)]
    a = {k for k in keys if bucket("flag-a", k) < 1000}
    b = {k for k in keys if bucket("flag-b", k) < 1000}
    overlap = len(a & b) / len(keys)
    assert abs(overlap - 0.01) < 0.005  # 10 % × 10 %, not the same 10 %


def test_zero_and_hundred_percent_need_no_targeting_key():
    assert evaluate(flag_config(rollout_percentage=Decimal(0)), {}).value is False
    assert evaluate(flag_config(rollout_percentage=Decimal(100)), {}).value is True


def test_string_number_and_json_variants_evaluate_to_their_values():
    text = flag_config(value_type="string", variants={"blue": "#00f", "off": "#000"}, default_variant="blue")
    number = flag_config(value_type="number", variants={"fast": 2.5, "off": 1.0}, default_variant="fast")
    data = flag_config(value_type="json", variants={"on": {"limit": 10}, "off": {}})
    assert evaluate(text, {}).value == "#00f"
    assert evaluate(number, {}).value == 2.5
    assert evaluate(data, {}).value == {"limit": 10}
