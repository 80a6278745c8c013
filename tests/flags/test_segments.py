"""Segments: membership (flags.conditions), edits audited and published (flags.segments), and the
rules that refer to them (flags.changes)."""

import json

import pytest

from flags import cache, changes, segments
from flags.conditions import validate_condition
from flags.evaluation import evaluate, prepare_flag
from flags.models import FlagChange
from flags.validation import InvalidChange
from tests.flags.factories import flag_config, make_flag

BETA = {"included": ["vip"], "excluded": ["banned"],
        "rules": [{"conditions": [{"attribute": "plan", "op": "in", "value": ["pro", "team"]}]},
                  {"conditions": [{"attribute": "email", "op": "ends_with", "value": "@example.com"}]}]}
IN_BETA = [{"conditions": [{"op": "in_segment", "value": ["beta"]}], "variant": "on"}]


def beta_flag(**state):
    return prepare_flag(flag_config("search-v2", rollout_percentage=0, rules=IN_BETA, **state), {"beta": BETA})


@pytest.mark.parametrize("context, member", [
    ({"targetingKey": "vip"}, True),
    ({"targetingKey": "banned", "plan": "pro"}, False),  # excluded wins over a rule
    ({"targetingKey": "u1", "plan": "team"}, True),
    ({"targetingKey": "u2", "email": "ann@example.com"}, True),
    ({"targetingKey": "u3", "plan": "free", "email": "ann@elsewhere.org"}, False),
    ({}, False),
])
def test_a_context_is_in_a_segment_by_key_or_by_any_rule(context, member):
    result = evaluate(beta_flag(), context)
    assert result.value is member
    assert result.reason == ("TARGETING_MATCH" if member else "DEFAULT")


def test_not_in_segment_and_an_unknown_segment():
    outside = [{"conditions": [{"op": "not_in_segment", "value": "beta"}], "variant": "on"}]
    flag = prepare_flag(flag_config("x", rollout_percentage=0, rules=outside), {"beta": BETA})
    assert evaluate(flag, {"targetingKey": "u3"}).value is True and evaluate(flag, {"targetingKey": "vip"}).value is False
    assert evaluate(prepare_flag(flag_config("y", rollout_percentage=0, rules=IN_BETA), {}), {"targetingKey": "vip"}).value is False


def test_segment_conditions_name_no_attribute_and_segments_cannot_nest():
    assert validate_condition({"op": "in_segment", "value": "beta"}) == {"op": "in_segment", "value": ["beta"]}
    with pytest.raises(ValueError, match="cannot refer to segments"):
        validate_condition({"op": "in_segment", "value": ["beta"]}, segments_allowed=False)


@pytest.fixture
def beta(project, alice):
    return segments.create_segment(project, key="beta", name="Beta testers", actor=alice, source="dashboard", **BETA)


def test_creating_and_editing_a_segment_is_audited_with_before_and_after(project, alice, beta):
    segments.update_segment(beta, {"included": ["vip", "ceo"]}, actor=alice, source="api", reason="the CEO wants in")
    created, updated = FlagChange.objects.filter(segment_key="beta").order_by("id")
    assert (created.action, created.flag_key, created.after["name"]) == ("segment_created", "", "Beta testers")
    assert (updated.action, updated.before["included"], updated.after["included"]) == ("segment_updated", ["vip"], ["vip", "ceo"])
    assert (updated.actor, updated.reason) == (alice, "the CEO wants in")
    assert segments.update_segment(beta, {"included": ["vip", "ceo"]}, actor=alice, source="api") is None


def test_a_segment_edit_reaches_every_flag_using_it_and_names_them_on_the_stream(
        project, alice, beta, redis_client, django_capture_on_commit_callbacks):
    make_flag(project, "search-v2", environments={"production": {"enabled": True, "rollout_percentage": 0, "rules": IN_BETA}})
    make_flag(project, "search-v2-ui", prerequisites=[{"key": "search-v2", "variants": ["on"]}])
    config = cache.load(project.id, "production")
    assert evaluate(config.flags["search-v2"], {"targetingKey": "ceo"}, config.flags).value is False
    pubsub = redis_client.pubsub()
    pubsub.subscribe(cache.channel(project.id))
    pubsub.get_message(timeout=1)

    with django_capture_on_commit_callbacks(execute=True):
        segments.update_segment(beta, {"included": ["vip", "ceo"]}, actor=alice, source="dashboard")

    config = cache.load(project.id, "production")
    assert evaluate(config.flags["search-v2"], {"targetingKey": "ceo"}, config.flags).value is True
    messages = [json.loads(pubsub.get_message(timeout=5)["data"]) for _ in range(3)]  # one per environment
    pubsub.close()
    production = next(m for m in messages if m["environment"] == "production")
    assert (production["segment"], production["action"], production["dependants"]) == (
        "beta", "segment_updated", ["search-v2", "search-v2-ui"])


def test_rules_may_only_name_segments_of_the_project(project, alice, beta):
    flag = make_flag(project, "search-v2")
    unknown = [{"conditions": [{"op": "in_segment", "value": ["gamma"]}], "variant": "on"}]
    with pytest.raises(InvalidChange, match="no such segment: gamma"):
        changes.update_environment(flag, "production", {"rules": unknown}, actor=alice, source="api")
    changes.update_environment(flag, "production", {"rules": IN_BETA}, actor=alice, source="api")


def test_a_segment_in_use_cannot_be_deleted_and_an_unused_one_can(project, alice, beta):
    make_flag(project, "search-v2", environments={"production": {"enabled": True, "rules": IN_BETA}})
    with pytest.raises(InvalidChange, match=r"used by search-v2 \(production\)"):
        segments.delete_segment(beta, actor=alice, source="api")
    other = segments.create_segment(project, key="gamma", actor=alice, source="api")
    segments.delete_segment(other, actor=alice, source="api", reason="unused")
    assert FlagChange.objects.get(segment_key="gamma", action="segment_deleted").before["key"] == "gamma"


@pytest.mark.parametrize("fields, message", [
    ({"included": "vip"}, "included must be a list"),
    ({"rules": [{"conditions": []}]}, "non-empty list of conditions"),
    ({"rules": [{"conditions": [{"attribute": "plan", "op": "bogus", "value": 1}]}]}, "unknown condition"),
    ({"colour": "red"}, "unknown segment field"),
])
def test_bad_segments_are_refused_with_a_message(project, alice, fields, message):
    with pytest.raises(InvalidChange, match=message):
        segments.create_segment(project, key="beta", actor=alice, source="api", **fields)


def test_segment_keys_are_unique_per_project(project, alice, beta):
    with pytest.raises(InvalidChange, match="already exists"):
        segments.create_segment(project, key="beta", actor=alice, source="api")
