"""Weighted variants: the split's accuracy, stickiness, independence across flags, and how few
users a weight change moves (flags.weights, flags.evaluation)."""

import random
import uuid
from collections import Counter
from decimal import Decimal

import pytest

from flags.evaluation import evaluate
from flags.weights import BUCKETS, WeightsError, bucket_counts, moved_share, reallocate, validate_weights
from tests.flags.factories import flag_config

KEYS = [uuid.UUID(int=i).hex for i in range(100_000)]
VARIANTS = {"control": "control", "a": "a", "b": "b", "off": "off"}


def experiment(weights: dict, allocation=None, salt: str = "exp-salt", **state) -> dict:
    return flag_config(key="checkout-copy", value_type="string", variants=VARIANTS, salt=salt, weights=weights,
                       allocation=allocation if allocation is not None else reallocate([], weights), **state)


def served(config: dict, keys=KEYS) -> dict[str, str]:
    return {k: evaluate(config, {"targetingKey": k}).variant for k in keys}


def test_weights_split_100k_keys_within_one_percent_of_each_target():
    shares = Counter(served(experiment({"control": 45, "a": 45, "b": 10})).values())
    for variant, target in {"control": 0.45, "a": 0.45, "b": 0.10}.items():
        assert abs(shares[variant] / len(KEYS) - target) < 0.01, (variant, shares[variant])
    assert set(shares) == {"control", "a", "b"}


def test_weights_split_only_the_users_in_the_rollout():
    shares = Counter(served(experiment({"control": 50, "a": 50}, rollout_percentage=Decimal(20))).values())
    assert abs(shares["off"] / len(KEYS) - 0.80) < 0.01
    assert abs(shares["control"] / len(KEYS) - 0.10) < 0.01 and abs(shares["a"] / len(KEYS) - 0.10) < 0.01


def test_a_weighted_answer_is_a_sticky_split_with_its_bucket():
    config = experiment({"control": 45, "a": 45, "b": 10})
    first = evaluate(config, {"targetingKey": "user-42"})
    assert first == evaluate(config, {"targetingKey": "user-42"})
    assert first.reason == "SPLIT" and "variantBucket" in first.metadata and first.value == first.variant


def test_a_weighted_flag_without_targeting_key_is_targeting_key_missing():
    result = evaluate(experiment({"control": 50, "a": 50}), {"plan": "pro"})
    assert result.error_code == "TARGETING_KEY_MISSING" and "weight" in result.error_details


def test_first_allocation_is_contiguous_in_the_order_given():
    assert reallocate([], {"control": 45, "a": 45, "b": 10}) == [[0, 4500, "control"], [4500, 9000, "a"], [9000, 10000, "b"]]


@pytest.mark.parametrize("old, new", [
    ({"control": 45, "a": 45, "b": 10}, {"control": 50, "a": 45, "b": 5}),  # contiguous ranges would move 10 %
    ({"control": 45, "a": 45, "b": 10}, {"control": 40, "a": 50, "b": 10}),
    ({"control": 34, "a": 33, "b": 33}, {"control": 100 / 4, "a": 25, "b": 50}),
    ({"control": 50, "a": 50}, {"control": 50, "a": 25, "b": 25}),  # a variant added
    ({"control": 50, "a": 25, "b": 25}, {"control": 50, "a": 50}),  # a variant removed
])
def test_a_weight_change_moves_exactly_the_buckets_that_must_move(old, new):
    before = reallocate([], old)
    after = reallocate(before, new)
    least = sum(max(0, c - bucket_counts(new).get(v, 0)) for v, c in bucket_counts(old).items()) / BUCKETS
    assert moved_share(before, after) == pytest.approx(least)
    assert {v: sum(e - s for s, e, name in after if name == v) for v in new} == bucket_counts(new)


def test_many_random_weight_changes_always_move_the_least_and_cover_every_bucket():
    rng = random.Random(7)
    allocation = reallocate([], {"control": 40, "a": 30, "b": 30})
    old = bucket_counts({"control": 40, "a": 30, "b": 30})
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, 100), 2))
        new = {"control": cuts[0], "a": cuts[1] - cuts[0], "b": 100 - cuts[1]}
        after = reallocate(allocation, new)
        assert sum(e - s for s, e, _ in after) == BUCKETS and all(a[1] == b[0] for a, b in zip(after, after[1:], strict=False))
        least = sum(max(0, c - bucket_counts(new)[v]) for v, c in old.items()) / BUCKETS
        assert moved_share(allocation, after) == pytest.approx(least)
        allocation, old = after, bucket_counts(new)


def test_users_moved_by_a_weight_change_are_the_least_over_100k_keys():
    old = experiment({"control": 45, "a": 45, "b": 10})
    new = experiment({"control": 50, "a": 45, "b": 5}, allocation=reallocate(old["split"], {"control": 50, "a": 45, "b": 5}))
    before, after = served(old), served(new)
    moves = Counter((before[k], after[k]) for k in KEYS if before[k] != after[k])
    assert set(moves) == {("b", "control")}  # only the shrinking variant gave users, only to the growing one
    assert abs(sum(moves.values()) / len(KEYS) - 0.05) < 0.005
    assert all(before[k] == after[k] for k in KEYS if before[k] in ("control", "a"))


def test_two_experiments_with_their_own_salts_bucket_users_independently():
    first = served(experiment({"control": 50, "a": 50}, salt="s1"), KEYS[:40_000])
    second = served(experiment({"control": 50, "a": 50}, salt="s2"), KEYS[:40_000])
    both = Counter((first[k], second[k]) for k in first)
    for pair in [("control", "control"), ("control", "a"), ("a", "control"), ("a", "a")]:
        assert abs(both[pair] / 40_000 - 0.25) < 0.01, pair  # 50 % × 50 %, not the same half


def test_the_same_salt_buckets_two_flags_together():
    first = served(experiment({"control": 50, "a": 50}, salt="shared"), KEYS[:5_000])
    second = served(experiment({"control": 50, "a": 50}, salt="shared"), KEYS[:5_000])
    assert first == second


def test_rollout_and_variant_buckets_are_independent():
    shares = Counter(served(experiment({"control": 50, "a": 50}, rollout_percentage=Decimal(1))).values())
    assert shares["control"] > 350 and shares["a"] > 350  # the first 1 % is not all in the first variant


@pytest.mark.parametrize("weights, message", [
    ({"control": 50, "a": 40}, "add up to 100"),
    ({"control": 50, "nope": 50}, "not one of the variants"),
    ({"control": 100.005 - 50, "a": 49.995}, "two decimals"),
    ({"control": -10, "a": 110}, "from 0 to 100"),
    ({"control": True, "a": 99}, "from 0 to 100"),
    ({"control": 100, "a": 0}, "at least two variants"),
    ([45, 55], "an object"),
])
def test_bad_weights_are_refused_with_a_message(weights, message):
    with pytest.raises(WeightsError, match=message):
        validate_weights(weights, VARIANTS)


def test_weights_are_normalised_and_empty_clears_them():
    assert validate_weights({"control": "45.5", "a": 54.5}, VARIANTS) == {"control": 45.5, "a": 54.5}
    assert validate_weights({}, VARIANTS) == {} and reallocate([[0, BUCKETS, "a"]], {}) == []
