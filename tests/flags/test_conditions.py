"""The registry of named conditions: each operator's matches, misses and operand validation."""

import pytest

from flags import conditions
from flags.conditions import holds, parse_semver, prepare_condition, validate_condition


def check(attribute_value, op, value) -> bool:
    condition = prepare_condition(validate_condition({"attribute": "a", "op": op, "value": value}))
    return holds(condition, {"a": attribute_value})


@pytest.mark.parametrize("attribute, op, value, expected", [
    ("pro", "equals", "pro", True),
    ("Pro", "equals", "pro", False),
    (True, "equals", True, True),
    (1, "equals", True, False),          # Python says 1 == True; a flag rule must not
    ("1", "equals", 1, False),
    (3, "equals", 3.0, True),
    ("pro", "not_equals", "free", True),
    ("team", "in", ["pro", "team"], True),
    ("free", "in", ["pro", "team"], False),
    (True, "in", [1, 2], False),
    (2, "in", [1, 2], True),
    ("free", "not_in", ["pro", "team"], True),
    ({"nested": 1}, "in", ["x"], False),
    ("ann@example.com", "ends_with", "@example.com", True),
    ("ann@example.org", "ends_with", "@example.com", False),
    ("eu-west-1", "starts_with", "eu-", True),
    ("mobile-safari", "contains", "safari", True),
    (5, "contains", "5", False),
    (41, "number_gte", 18, True),
    (17, "number_gte", 18, False),
    ("41.5", "number_gt", 41, True),      # numeric strings compare as numbers
    ("old", "number_gt", 1, False),
    (True, "number_eq", 1, False),        # a boolean is not a number
    (2.5, "number_lt", 3, True),
    (3, "number_lte", 3, True),
    ("1.4.0", "semver_gte", "1.4.0", True),
    ("1.10.0", "semver_gt", "1.9.3", True),        # numeric, not lexicographic
    ("shop@1.5.0", "semver_gt", "1.4.9", True),     # Sentry-style release names
    ("v2.0.0", "semver_eq", "2.0.0", True),
    ("1.4.0-rc.1", "semver_lt", "1.4.0", True),     # a pre-release precedes its release
    ("1.4.0-alpha", "semver_lt", "1.4.0-alpha.1", True),
    ("1.4.0-alpha.2", "semver_lt", "1.4.0-alpha.10", True),
    ("1.4.0-beta", "semver_gt", "1.4.0-alpha.9", True),
    ("1.4.0+build.7", "semver_eq", "1.4.0", True),  # build metadata does not count
    ("1.4", "semver_gte", "1.0.0", False),          # not a semantic version: no match
    (140, "semver_gte", "1.0.0", False),
])
def test_condition_matches_as_documented(attribute, op, value, expected):
    assert check(attribute, op, value) is expected


def test_a_missing_attribute_never_matches_even_a_negative_condition():
    condition = prepare_condition(validate_condition({"attribute": "plan", "op": "not_in", "value": ["pro"]}))
    assert holds(condition, {"targetingKey": "u1"}) is False


@pytest.mark.parametrize("condition, message", [
    ({"attribute": "plan", "op": "like", "value": "x"}, "unknown condition 'like'"),
    ({"attribute": "plan", "op": "in", "value": []}, "non-empty list"),
    ({"attribute": "plan", "op": "in", "value": [["nested"]]}, "expected a string, number or boolean"),
    ({"attribute": "age", "op": "number_gt", "value": "old"}, "expected a number"),
    ({"attribute": "release", "op": "semver_gte", "value": "1.4"}, "semantic version"),
    ({"attribute": "", "op": "equals", "value": "x"}, "attribute name"),
    ({"attribute": "plan", "op": "equals", "value": "x", "extra": 1}, "unknown condition field"),
    ("plan == pro", "is an object"),
])
def test_invalid_condition_is_refused_with_a_message(condition, message):
    with pytest.raises(ValueError, match=message):
        validate_condition(condition)


def test_number_operand_given_as_numeric_string_is_stored_as_a_number():
    assert validate_condition({"attribute": "age", "op": "number_gte", "value": "18"})["value"] == 18


def test_every_registered_condition_has_its_three_functions():
    assert {"equals", "in", "semver_gte", "number_lt", "ends_with"} <= set(conditions.REGISTRY)
    for condition in conditions.REGISTRY.values():
        assert callable(condition.validate) and callable(condition.prepare) and callable(condition.check)


def test_semver_ordering_follows_semver_precedence():
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
               "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    assert sorted(ordered, key=parse_semver) == ordered
