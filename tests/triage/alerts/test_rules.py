"""Alert rules: what a rule may be, which rules a fired trigger matches, and repeats per rule and group."""

import pytest

from triage.alerts import rules
from triage.alerts.rules import InvalidRule, claim_repeat, create_rule, enabled_rules, matches, validate_rule
from triage.models import AlertRule

pytestmark = pytest.mark.django_db

VALID = {"name": "On call", "trigger": "new_group", "webhook_url": "https://hooks.example.com/x"}


def rule_of(**fields) -> AlertRule:
    return AlertRule(**{"name": "r", "trigger": "new_group", "webhook_url": "https://h.example.com/", **fields})


@pytest.mark.parametrize(("change", "message"), [
    ({"name": ""}, "name is required"),
    ({"name": "x" * 101}, "name is required"),
    ({"trigger": "tuesday"}, "trigger must be one of new_group, regression, spike, flag_cohort, guard"),
    ({"trigger": "spike"}, "a spike rule needs a threshold"),
    ({"trigger": "flag_cohort", "threshold": None}, "a flag_cohort rule needs a threshold"),
    ({"trigger": "spike", "threshold": "10"}, "threshold must be a number"),
    ({"trigger": "spike", "threshold": -1}, "threshold must be a number"),
    ({"trigger": "spike", "threshold": True}, "threshold must be a number"),
    ({"threshold": 3}, "only spike and flag_cohort rules have a threshold"),
    ({"webhook_url": "ftp://files.example.com/"}, "webhook_url must be an http or https URL"),
    ({"webhook_url": "javascript:alert(1)"}, "webhook_url must be an http or https URL"),
    ({"webhook_url": "https://user:pw@hooks.example.com/"}, "may not carry a user name or password"),
    ({"webhook_url": 7}, "webhook_url must be an http or https URL"),
    ({"webhook_url": "", "emails": []}, "a rule needs a webhook_url, emails, or both"),
    ({"emails": "ops@example.com"}, "emails must be a list"),
    ({"emails": ["ops@example.com", "not an address"]}, "not an email address: 'not an address'"),
    ({"emails": [{"a": 1}]}, "not an email address"),
    ({"format": "xml"}, "format must be json or slack"),
    ({"repeat_minutes": -1}, "repeat_minutes must be a whole number"),
    ({"repeat_minutes": 1.5}, "repeat_minutes must be a whole number"),
])
def test_a_rule_with_bad_fields_is_refused_with_a_message(change, message):
    with pytest.raises(InvalidRule, match=message):
        validate_rule({**VALID, **change})


def test_valid_fields_get_defaults_and_lose_duplicate_addresses():
    fields = validate_rule({**VALID, "name": " On call ", "emails": ["a@example.com", "a@example.com", "b@example.com"]})
    assert fields == {"name": "On call", "trigger": "new_group", "threshold": None, "webhook_url": "https://hooks.example.com/x",
                      "format": "json", "emails": ["a@example.com", "b@example.com"], "repeat_minutes": 30}
    assert validate_rule({"name": "s", "trigger": "spike", "threshold": 12, "emails": ["a@example.com"]})["threshold"] == 12.0


def test_each_rule_gets_its_own_secret(project, alice):
    first, secret = create_rule(project, VALID, actor=alice)
    second, _ = create_rule(project, VALID, actor=alice)
    assert secret == first.secret and len(secret) >= 40 and first.secret != second.secret
    assert first.created_by == alice


@pytest.mark.parametrize(("trigger", "threshold", "value", "fires"), [
    ("spike", 10.0, 9.99, False),
    ("spike", 10.0, 10.0, True),
    ("spike", 10.0, 250.0, True),
    ("spike", 10.0, None, False),
    ("flag_cohort", 0.2, 0.19, False),
    ("flag_cohort", 0.2, 0.31, True),
    ("new_group", None, None, True),
    ("regression", None, None, True),
    ("guard", None, 5.0, True),
])
def test_a_rule_matches_when_the_value_reaches_its_threshold(trigger, threshold, value, fires):
    assert matches(rule_of(trigger=trigger, threshold=threshold), value) is fires


def test_a_rule_repeats_at_most_once_per_group_in_its_minutes(redis_client):
    rule = rule_of(id=1, repeat_minutes=30)
    assert claim_repeat(redis_client, rule, 7, None) is True
    assert claim_repeat(redis_client, rule, 7, None) is False  # same rule, same group
    assert claim_repeat(redis_client, rule, 8, None) is True  # another group
    assert claim_repeat(redis_client, rule_of(id=2, repeat_minutes=30), 7, None) is True  # another rule
    assert claim_repeat(redis_client, rule, None, "new-checkout") is True  # a flag, not a group
    assert claim_repeat(redis_client, rule, None, "new-checkout") is False
    assert 1790 < redis_client.ttl(rules.repeat_key(1, 7, None)) <= 1800


def test_a_rule_with_no_repeat_minutes_always_repeats(redis_client):
    rule = rule_of(id=1, repeat_minutes=0)
    assert claim_repeat(redis_client, rule, 7, None) and claim_repeat(redis_client, rule, 7, None)


def test_enabled_rules_are_cached_and_forgotten_when_this_process_changes_one(project, alice, tunables,
                                                                              django_assert_num_queries):
    tunables["ALERT_RULES_CACHE_SECONDS"] = 60
    rules.forget_cached_rules()
    assert enabled_rules(project.id, "new_group") == []
    with django_assert_num_queries(0):
        assert enabled_rules(project.id, "new_group") == []  # cached
    rule, _ = create_rule(project, VALID, actor=alice)
    rules.forget_cached_rules()  # what create_rule does on commit
    assert enabled_rules(project.id, "new_group") == [rule]
    assert enabled_rules(project.id, "regression") == []
    rules.set_rule_enabled(rule, False)
    rules.forget_cached_rules()
    assert enabled_rules(project.id, "new_group") == []


def test_changes_to_rules_forget_the_cache_on_commit(project, alice, tunables, django_capture_on_commit_callbacks):
    tunables["ALERT_RULES_CACHE_SECONDS"] = 60
    rules.forget_cached_rules()
    assert enabled_rules(project.id, "new_group") == []
    with django_capture_on_commit_callbacks(execute=True):
        rule, _ = create_rule(project, VALID, actor=alice)
    assert enabled_rules(project.id, "new_group") == [rule]
    with django_capture_on_commit_callbacks(execute=True):
        rules.delete_rule(rule)
    assert enabled_rules(project.id, "new_group") == []
